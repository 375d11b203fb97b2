package livechat_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// TestMessageStatementBudget: a visitor's message to the agent holding the
// chat costs two statements on PostgreSQL: the open conversation (read
// without a lock) and one write of the conversation with its event, over
// the version read (step.go, updateFrom). SQLite writes the two in a short
// transaction of their own: three. Presence is cached, the site too; no
// client_id lookup (the unique key decides). The agent's reply, from a
// caller that has read the conversation (the api), is the write alone.
func TestMessageStatementBudget(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		cdb, q := counted(t, db)
		f := newFixture(t, cdb)
		ann := f.agent("ann", crm.StatusOnline)
		v := f.visitor()
		c := f.heldChat(v, ann)
		want := 2
		if db.Dialect == schema.SQLite {
			want = 3
		}
		q.Reset()
		ack, err := f.s.Message(f.ctx, v, "m1", "Where is my order?")
		if err != nil {
			t.Fatal(err)
		}
		if n := q.Total(); n > want {
			t.Errorf("one message ran %d statements, want at most %d (open conversation, save with its event)", n, want)
		}
		c, err = f.s.GetConversation(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		q.Reset()
		if _, err := f.s.AgentMessageIn(f.ctx, c, livechat.Agent{ID: ann.ID, Name: ann.Name}, "r1", "On its way"); err != nil {
			t.Fatal(err)
		}
		if n := q.Total(); n > want-1 {
			t.Errorf("one agent reply ran %d statements, want at most %d", n, want-1)
		}
		// Numbered in memory, stored by save: the row agrees with the acks.
		if got, _ := f.s.GetConversation(f.ctx, c.ID); got.LastSeq != ack.Seq+1 {
			t.Fatalf("last_seq %d, want the reply's, after ack seq %d", got.LastSeq, ack.Seq)
		}
		// A resend still gets the first ack and stores nothing.
		n := len(f.events(c.ID))
		if again, err := f.s.Message(f.ctx, v, "m1", "Where is my order?"); err != nil || again != ack {
			t.Fatalf("resend: %+v %v, want %+v", again, err, ack)
		}
		if len(f.events(c.ID)) != n {
			t.Fatal("a resend stored an event")
		}
	})
}

// TestSiteChangeSeenAtOnce: the env's site is cached, but a change made
// through this Service is seen by the next start, not after the TTL.
func TestSiteChangeSeenAtOnce(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.publish([]byte("id: hours\nname: hours\nstart: a\ncards:\n" +
			"  a:\n    type: message\n    text: x\n    next:\n      - if: in_hours\n        goto: open\n      - goto: shut\n" +
			"  open: {type: end, text: open}\n  shut: {type: end, text: shut}\n"))
		endText := func() string {
			t.Helper()
			c, err := f.s.Start(f.ctx, f.visitor(), "hours", livechat.PageInfo{})
			if err != nil {
				t.Fatal(err)
			}
			evs := f.events(c.ID)
			return fmt.Sprint(data(t, evs[len(evs)-1])["text"])
		}
		if got := endText(); got != "open" {
			t.Fatalf("no business hours: %q, want open", got)
		}
		// 10:00 UTC on a Wednesday; open only on Sundays now.
		if _, err := f.s.UpdateSite(f.ctx, f.site.ID, livechat.SiteInput{BusinessHours: &livechat.BusinessHours{TimeZone: "UTC", Days: map[string][]string{"sun": {"09:00-17:00"}}}}); err != nil {
			t.Fatal(err)
		}
		if got := endText(); got != "shut" {
			t.Fatalf("after closing the site: %q, want shut", got)
		}
	})
}

// TestPlaybookStepBudget: starting the live chat sample and answering its
// form down to the live chat card costs, on PostgreSQL, three statements for
// the start (the open conversation, the playbook, the new conversation with
// its first events in one) and two per answer, the last one included: the
// deadline timer is written with the step. The deadline still fires.
func TestPlaybookStepBudget(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		cdb, q := counted(t, db)
		f := newFixture(t, cdb)
		f.agent("ann", crm.StatusOnline)
		f.publish(readExample(t, "live-chat.yaml"))
		v := f.visitor()
		// A first visitor warms what is cached under load: presence, the
		// site, the compiled playbook.
		f.startLiveChat(f.visitor(), "Bo", "bo@example.com", "Bo Inc")
		start, answer := 3, 2
		if db.Dialect == schema.SQLite {
			start, answer = 5, 3 // the write is a transaction of insert/update + one insert per event
		}
		q.Reset()
		c, err := f.s.Start(f.ctx, v, "live-chat", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		if n := q.Total(); db.Dialect == schema.Postgres && n > start {
			t.Errorf("start ran %d statements, want at most %d:\n%s", n, start, q.Dump())
		}
		for i, val := range []string{"Ada", "ada@example.com", "Acme"} {
			q.Reset()
			in := livechat.AnswerInput{ClientID: fmt.Sprintf("f-%d", i), Card: "contact", Field: i, Value: val}
			if _, err := f.s.Answer(f.ctx, v, in); err != nil {
				t.Fatal(err)
			}
			if n := q.Total(); db.Dialect == schema.Postgres && n > answer {
				t.Errorf("answer %d ran %d statements, want at most %d:\n%s", i, n, answer, q.Dump())
			}
		}
		got, err := f.s.GetConversation(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != livechat.StateWaiting || got.Deadline == nil {
			t.Fatalf("after the form: state %s deadline %v, want waiting with a deadline", got.State, got.Deadline)
		}
		f.clock.Advance(10 * time.Minute)
		if n, err := f.s.RunDueTimers(f.ctx); err != nil || n != 2 {
			t.Fatalf("fire due: %d %v, want the two visitors' deadlines", n, err)
		}
		if got, _ = f.s.GetConversation(f.ctx, c.ID); got.State != livechat.StateOffline {
			t.Fatalf("after the deadline: %s, want offline", got.State)
		}
	})
}
