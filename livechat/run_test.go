package livechat_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

func data(t *testing.T, e livechat.Event) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestQualifierRun answers the sample qualifier with nobody online: a deal
// is created in the CRM with the transcript as its note.
func TestQualifierRun(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		if _, err := f.crm.EnsureDefaultPipeline(f.ctx); err != nil {
			t.Fatal(err)
		}
		f.publish(readExample(t, "qualifier.yaml"))
		v := f.visitor()
		c, err := f.s.Start(f.ctx, v, "sales-qualifier", livechat.PageInfo{URL: "https://www.example.com/pricing"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "c1", Card: "intent", Option: intp(0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "c2", Card: "size", Value: "a dozen"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "c3", Card: "size", Value: "12"}); err != nil {
			t.Fatal(err)
		}
		// A typed message while the bot waits for the email is the answer.
		if _, err := f.s.Message(f.ctx, v, "c4", "ann@acme.test"); err != nil {
			t.Fatal(err)
		}
		evs := f.events(c.ID)
		want := []string{"question", "answer", "question", "answer", "invalid", "question", "answer", "question",
			"visitor_message", "end", "captured"}
		if !slices.Equal(kinds(evs), want) {
			t.Fatalf("events %v\nwant   %v", kinds(evs), want)
		}
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Fatalf("seq %d at %d", e.Seq, i)
			}
		}
		if evs[10].VisibleToVisitor {
			t.Error("captured must be for agents only")
		}
		c, _ = f.s.GetConversation(f.ctx, c.ID)
		if c.DealID == nil || c.PersonID == nil || c.FinishedAt == nil {
			t.Fatalf("conversation after capture %+v", c)
		}
		deal, err := f.crm.GetDeal(f.ctx, *c.DealID)
		if err != nil {
			t.Fatal(err)
		}
		if deal.Title != "ann@acme.test – 12 seats" || deal.Value != 12*49*12 || deal.Currency != "EUR" {
			t.Fatalf("deal %+v", deal)
		}
		notes, _, err := f.crm.ListNotes(f.ctx, crm.NoteFilter{DealID: c.DealID}, crm.ListParams{})
		if err != nil || len(notes) != 1 {
			t.Fatalf("notes %+v %v", notes, err)
		}
		for _, line := range []string{"Visitor: I want a demo", "Visitor: 12", "Bot: How many people"} {
			if !strings.Contains(notes[0].Content, line) {
				t.Errorf("transcript note lacks %q:\n%s", line, notes[0].Content)
			}
		}
		// A repaired hello re-applies nothing: still one capture.
		if _, _, err := f.newService().Hello(f.ctx, v, livechat.HelloInput{}); err != nil {
			t.Fatal(err)
		}
		if n := count(f.events(c.ID), livechat.KindCaptured); n != 1 {
			t.Fatalf("%d captured events", n)
		}
	})
}

// TestLiveChatRunDeadline runs the sample live chat with an agent online:
// it waits, the deadline passes once, the offline branch captures a lead.
func TestLiveChatRunDeadline(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.agent("ann", crm.StatusOnline)
		f.publish(readExample(t, "live-chat.yaml"))
		v := f.visitor()
		c := f.startLiveChat(v, "Ann Lee", "ann@acme.test", "Acme")
		c, _ = f.s.GetConversation(f.ctx, c.ID)
		if c.State != livechat.StateWaiting || c.Deadline == nil || !c.Deadline.Equal(f.clock.Now().Add(90*time.Second)) {
			t.Fatalf("after handover: %+v", c)
		}
		f.clock.Advance(89 * time.Second)
		if n, err := f.s.RunDueTimers(f.ctx); err != nil || n != 0 {
			t.Fatalf("early timers fired %d, %v", n, err)
		}
		f.clock.Advance(2 * time.Second)
		if n, err := f.s.RunDueTimers(f.ctx); err != nil || n != 1 {
			t.Fatalf("due timers fired %d, %v", n, err)
		}
		if n, err := f.s.RunDueTimers(f.ctx); err != nil || n != 0 {
			t.Fatalf("second run fired %d, %v", n, err)
		}
		if n, err := f.newService().RunDueTimers(f.ctx); err != nil || n != 0 {
			t.Fatalf("another server fired %d, %v", n, err)
		}
		evs := f.events(c.ID)
		tail := kinds(evs)[len(evs)-4:]
		if !slices.Equal(tail, []string{"waiting", "offline", "end", "captured"}) {
			t.Fatalf("events %v", kinds(evs))
		}
		c, _ = f.s.GetConversation(f.ctx, c.ID)
		if c.State != livechat.StateOffline || c.LeadID == nil {
			t.Fatalf("after deadline %+v", c)
		}
		lead, err := f.crm.GetLead(f.ctx, *c.LeadID)
		if err != nil {
			t.Fatal(err)
		}
		if lead.Title != "Ann Lee (Acme) – live chat" {
			t.Fatalf("lead %+v", lead)
		}
		// An agent can still claim an offline conversation.
		bob := f.agent("bob", crm.StatusOnline)
		if c, err = f.s.Assign(f.ctx, c.ID, bob.ID, bob.ID); err != nil || c.State != livechat.StateActive {
			t.Fatalf("assign offline: %+v %v", c, err)
		}
	})
}

// TestNobodyOnlineGoesOffline: with no agent online the livechat card runs
// its offline branch at once, without a timer.
func TestNobodyOnlineGoesOffline(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.agent("ann", crm.StatusInvisible) // invisible does not count
		f.publish(readExample(t, "live-chat.yaml"))
		v := f.visitor()
		c := f.startLiveChat(v, "Ann Lee", "ann@acme.test", "")
		evs := f.events(c.ID)
		if count(evs, "waiting") != 0 || count(evs, "offline") != 1 || count(evs, "captured") != 1 {
			t.Fatalf("events %v", kinds(evs))
		}
		if n, _ := f.s.RunDueTimers(f.ctx); n != 0 {
			t.Fatal("a timer was created")
		}
	})
}

func TestReplayAndIdempotentAnswers(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.publish(readExample(t, "qualifier.yaml"))
		v := f.visitor()
		c, err := f.s.Start(f.ctx, v, "sales-qualifier", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		// A button that does not exist: refused, nothing stored.
		_, err = f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "bad", Card: "intent", Option: intp(7)})
		var re *livechat.RefusedError
		if !errors.As(err, &re) || re.Code != livechat.CodeBadOption {
			t.Fatalf("bad option: %v", err)
		}
		if n := len(f.events(c.ID)); n != 1 {
			t.Fatalf("a refused answer stored events: %v", kinds(f.events(c.ID)))
		}
		// Sequential resend: same ack, one event.
		a1, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "same", Card: "intent", Option: intp(1)})
		if err != nil {
			t.Fatal(err)
		}
		a2, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "same", Card: "intent", Option: intp(1)})
		if err != nil || a2 != a1 {
			t.Fatalf("resend ack %+v vs %+v, %v", a2, a1, err)
		}
		// Eight racing resends of the next answer.
		var wg sync.WaitGroup
		acks := make([]livechat.Ack, 8)
		errs := make([]error, 8)
		for i := range acks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				acks[i], errs[i] = f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "race", Card: "size", Value: "3"})
			}()
		}
		wg.Wait()
		for i := range acks {
			if errs[i] != nil || acks[i] != acks[0] {
				t.Fatalf("racing resend %d: %+v %v (first %+v)", i, acks[i], errs[i], acks[0])
			}
		}
		evs := f.events(c.ID)
		if count(evs, "answer") != 2 {
			t.Fatalf("answers stored: %v", kinds(evs))
		}
		// An answer to a card that is not waiting: refused, nothing stored.
		before := len(evs)
		_, err = f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "late", Card: "intent", Option: intp(0)})
		if !errors.As(err, &re) || re.Code != livechat.CodeNotWaiting {
			t.Fatalf("answer to a card not waiting: %v", err)
		}
		if got := len(f.events(c.ID)); got != before {
			t.Fatalf("refused answers stored events: %d -> %d", before, got)
		}

		// Replay after last_seq: exactly the later visitor-visible events.
		all, _ := f.s.Events(f.ctx, c.ID, 0, true)
		for _, last := range []int64{0, 2, all[len(all)-1].Seq} {
			w, replay, err := f.s.Hello(f.ctx, v, livechat.HelloInput{LastSeq: last})
			if err != nil {
				t.Fatal(err)
			}
			if w.Conversation == nil || *w.Conversation != c.ID || w.Seq != all[len(all)-1].Seq {
				t.Fatalf("welcome %+v", w)
			}
			var want []int64
			for _, e := range all {
				if e.Seq > last {
					want = append(want, e.Seq)
				}
			}
			var got []int64
			for _, e := range replay {
				got = append(got, e.Seq)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("replay after %d: %v, want %v", last, got, want)
			}
		}
	})
}

// TestAssignRacesDeadline: many agents click "Assign to me" while the
// deadline passes; exactly one assignment wins and the offline branch runs
// only if the deadline came first.
func TestAssignRacesDeadline(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		var agents []crm.User
		for _, n := range []string{"a1", "a2", "a3", "a4", "a5", "a6"} {
			agents = append(agents, f.agent(n, crm.StatusOnline))
		}
		f.publish(readExample(t, "live-chat.yaml"))
		for round := 0; round < 4; round++ {
			v := f.visitor()
			c := f.startLiveChat(v, "Ann", "ann@acme.test", "")
			f.clock.Advance(91 * time.Second)
			other := f.newService()
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins, conflicts, fired := 0, 0, 0
			for _, a := range agents {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := f.s.Assign(f.ctx, c.ID, a.ID, a.ID)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						wins++
					case errors.Is(err, livechat.ErrConflict):
						conflicts++
					default:
						t.Errorf("assign: %v", err)
					}
				}()
			}
			for _, s := range []*livechat.Service{f.s, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := s.RunDueTimers(f.ctx)
					if err != nil {
						t.Errorf("timers: %v", err)
					}
					mu.Lock()
					fired += n
					mu.Unlock()
				}()
			}
			wg.Wait()
			// Assign cancels the deadline, so the timer fires only when it
			// came first.
			if wins != 1 || conflicts != len(agents)-1 || fired > 1 {
				t.Fatalf("round %d: %d wins, %d conflicts, %d timers fired", round, wins, conflicts, fired)
			}
			evs := f.events(c.ID)
			joined := slices.Index(kinds(evs), "agent_joined")
			offline := slices.Index(kinds(evs), "offline")
			if count(evs, "agent_joined") != 1 || count(evs, "offline") > 1 || (offline >= 0 && offline > joined) {
				t.Fatalf("round %d: both outcomes: %v", round, kinds(evs))
			}
			t.Logf("round %d: deadline first: %v", round, offline >= 0)
			if (offline >= 0) != (fired == 1) {
				t.Fatalf("round %d: %d timers fired, events %v", round, fired, kinds(evs))
			}
			if offline < 0 && count(evs, "captured") != 0 {
				t.Fatalf("round %d: assignment won but the offline branch ran: %v", round, kinds(evs))
			}
			c, _ = f.s.GetConversation(f.ctx, c.ID)
			if c.State != livechat.StateActive {
				t.Fatalf("round %d: state %s", round, c.State)
			}
			if _, err := f.s.Close(f.ctx, c.ID, *c.AssigneeID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.Assign(f.ctx, c.ID, agents[0].ID, agents[0].ID); !errors.Is(err, livechat.ErrConflict) {
				t.Fatalf("assign closed: %v", err)
			}
		}
	})
}

// TestOverdueDeadlineAfterRestart: a deadline that passed while no server
// ran fires exactly once on the next one.
func TestOverdueDeadlineAfterRestart(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.agent("ann", crm.StatusOnline)
		f.publish(readExample(t, "faq.yaml"))
		v := f.visitor()
		c, err := f.s.Start(f.ctx, v, "shop-faq", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{Card: "ask", Option: intp(2)}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(10 * time.Minute) // the server was down
		s2, s3 := f.newService(), f.newService()
		var wg sync.WaitGroup
		var fired [2]int
		for i, s := range []*livechat.Service{s2, s3} {
			wg.Add(1)
			go func() { defer wg.Done(); fired[i], _ = s.RunDueTimers(f.ctx) }()
		}
		wg.Wait()
		if fired[0]+fired[1] != 1 {
			t.Fatalf("fired %v", fired)
		}
		evs := f.events(c.ID)
		if count(evs, "offline") != 1 || kinds(evs)[len(evs)-1] != "question" {
			t.Fatalf("events %v", kinds(evs))
		}
	})
}

// TestEventsArePublishedAfterStorage: a visitor subscription sees the
// stored events in seq order with the visitor frame, and never agents-only
// ones; presence flips are broadcast.
func TestEventsArePublished(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.publish(readExample(t, "qualifier.yaml"))
		v := f.visitor()
		sub := f.s.Hub().SubscribeVisitor(v.ID, 0)
		defer sub.Close()
		c, err := f.s.Start(f.ctx, v, "sales-qualifier", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		fr := <-sub.C
		var m map[string]any
		if err := json.Unmarshal(fr.Visitor, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] != "event" || m["kind"] != "question" || m["seq"] != 1.0 || m["card"] != "intent" || fr.ConversationID != c.ID {
			t.Fatalf("frame %s", fr.Visitor)
		}
		stored := f.events(c.ID)
		if len(stored) != 1 || stored[0].ID != fr.EventID {
			t.Fatalf("published before/without storing: %v", stored)
		}
		f.agent("ann", crm.StatusOnline)
		if err := f.s.PresenceChanged(f.ctx); err != nil {
			t.Fatal(err)
		}
		for fr := range sub.C {
			if fr.Broadcast {
				if string(fr.Visitor) != `{"online":true,"type":"presence"}` {
					t.Fatalf("presence frame %s", fr.Visitor)
				}
				break
			}
		}
		if n, _ := f.s.AgentsOnline(f.ctx, ""); n != 1 {
			t.Fatalf("agents online %d", n)
		}
	})
}

// TestCaptureRepairedAfterCrash: a crash after the CRM wrote the lead but
// before the conversation recorded it is repaired on the next hello, by a
// new server, without a second lead.
func TestCaptureRepairedAfterCrash(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.publish(readExample(t, "live-chat.yaml"))
		v := f.visitor()
		c := f.startLiveChat(v, "Ann Lee", "ann@acme.test", "")
		c, _ = f.s.GetConversation(f.ctx, c.ID)
		if c.LeadID == nil {
			t.Fatalf("no lead: %v", kinds(f.events(c.ID)))
		}
		first := *c.LeadID
		// Undo what happened after crm.Capture, as if the server died there.
		for _, q := range []string{
			`UPDATE conversation_captures SET done = FALSE WHERE conversation_id = ?`,
			`DELETE FROM conversation_events WHERE kind = 'captured' AND conversation_id = ?`,
			`UPDATE conversations SET lead_id = NULL WHERE id = ?`,
		} {
			if _, err := db.Exec(db.Rebind(q), c.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := f.newService().Hello(f.ctx, v, livechat.HelloInput{}); err != nil {
			t.Fatal(err)
		}
		c, _ = f.s.GetConversation(f.ctx, c.ID)
		if c.LeadID == nil || *c.LeadID != first || count(f.events(c.ID), livechat.KindCaptured) != 1 {
			t.Fatalf("after repair: lead %v (first %s), events %v", c.LeadID, first, kinds(f.events(c.ID)))
		}
		leads, _, err := f.crm.ListLeads(f.ctx, crm.LeadFilter{}, crm.ListParams{})
		if err != nil || len(leads) != 1 {
			t.Fatalf("leads %d, %v", len(leads), err)
		}
	})
}

// TestAgentChat: assignment, agent messages, visitor messages to the agent,
// conflicts, rating and close.
func TestAgentChat(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		ann, bob := f.agent("ann", crm.StatusOnline), f.agent("bob", crm.StatusOnline)
		f.publish(readExample(t, "faq.yaml"))
		v := f.visitor()
		c, err := f.s.Start(f.ctx, v, "shop-faq", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		if again, err := f.s.Start(f.ctx, v, "", livechat.PageInfo{}); err != nil || again.ID != c.ID {
			t.Fatalf("second start: %+v %v", again, err)
		}
		if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{Card: "ask", Option: intp(2)}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Rate(f.ctx, v, "up", ""); err == nil {
			t.Fatal("rating before an agent took part")
		}
		if _, err := f.s.AgentMessage(f.ctx, c.ID, ann.ID, "m0", "hello?"); !errors.Is(err, livechat.ErrForbidden) {
			t.Fatalf("message before assignment: %v", err)
		}
		if _, err := f.s.Assign(f.ctx, c.ID, ann.ID, ann.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.Assign(f.ctx, c.ID, bob.ID, bob.ID)
		if !errors.Is(err, livechat.ErrConflict) || !strings.Contains(err.Error(), "already assigned to ann") {
			t.Fatalf("second agent: %v", err)
		}
		if _, err := f.s.Assign(f.ctx, c.ID, ann.ID, ann.ID); err != nil {
			t.Fatalf("re-assign to the holder: %v", err)
		}
		// The assignment cancelled the deadline: it never fires.
		f.clock.Advance(time.Hour)
		if n, err := f.s.RunDueTimers(f.ctx); err != nil || n != 0 {
			t.Fatalf("deadline after assignment fired %d, %v", n, err)
		}
		a1, err := f.s.AgentMessage(f.ctx, c.ID, ann.ID, "m1", "Hi, I'm Ann")
		if err != nil {
			t.Fatal(err)
		}
		if a2, _ := f.s.AgentMessage(f.ctx, c.ID, ann.ID, "m1", "Hi, I'm Ann"); a2 != a1 {
			t.Fatalf("agent resend %+v vs %+v", a2, a1)
		}
		if _, err := f.s.Message(f.ctx, v, "v1", strings.Repeat("x", livechat.MaxMessageLen+1)); err == nil {
			t.Fatal("an over-long message was accepted")
		}
		if _, err := f.s.Message(f.ctx, v, "v1", "Where is my order?"); err != nil {
			t.Fatal(err)
		}
		c, _ = f.s.GetConversation(f.ctx, c.ID)
		if c.State != livechat.StateActive || c.Unread != 1 || !c.AgentJoined {
			t.Fatalf("conversation %+v", c)
		}
		mine, err := f.s.ListConversations(f.ctx, livechat.ConversationFilter{Folder: "mine", AgentID: ann.ID})
		if err != nil || len(mine) != 1 {
			t.Fatalf("mine: %v %v", mine, err)
		}
		if un, _ := f.s.ListConversations(f.ctx, livechat.ConversationFilter{Folder: "unassigned"}); len(un) != 0 {
			t.Fatalf("unassigned: %v", un)
		}
		if err := f.s.Rate(f.ctx, v, "up", "quick"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Close(f.ctx, c.ID, ann.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Close(f.ctx, c.ID, ann.ID); !errors.Is(err, livechat.ErrConflict) {
			t.Fatalf("close twice: %v", err)
		}
		evs := f.events(c.ID)
		want := []string{"question", "answer", "waiting", "agent_joined", "agent_message", "visitor_message", "closed"}
		if !slices.Equal(kinds(evs), want) {
			t.Fatalf("events %v\nwant   %v", kinds(evs), want)
		}
		if _, err := f.s.Message(f.ctx, v, "v2", "Anyone?"); err != nil {
			t.Fatal(err)
		}
		c2, err := f.s.OpenConversation(f.ctx, v.ID)
		if err != nil || c2.ID == c.ID || c2.State != livechat.StateOffline {
			t.Fatalf("a returning visitor starts a new conversation: %+v %v", c2, err)
		}
	})
}

// TestRestartReadTyping: restart reruns the pinned version from its start;
// read receipts are stored for agents only and never go backwards; typing
// is published, not stored.
func TestRestartReadTyping(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.publish([]byte(simple("again", "Name?")))
		v := f.visitor()
		c, err := f.s.Start(f.ctx, v, "again", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		agents := f.s.Hub().SubscribeAgents(0)
		defer agents.Close()
		if err := f.s.Typing(f.ctx, v, "An"); err != nil {
			t.Fatal(err)
		}
		if fr := <-agents.C; !strings.Contains(string(fr.Agent), `"visitor.typing"`) || fr.Visitor != nil {
			t.Fatalf("typing frame %s", fr.Agent)
		}
		if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{Card: "q", Value: "Ann"}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Read(f.ctx, v, 3); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Read(f.ctx, v, 2); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Restart(f.ctx, v); err != nil {
			t.Fatal(err)
		}
		evs := f.events(c.ID)
		want := []string{"question", "answer", "end", "read", "question"}
		if !slices.Equal(kinds(evs), want) {
			t.Fatalf("events %v, want %v", kinds(evs), want)
		}
		if evs[3].VisibleToVisitor {
			t.Error("the visitor's own read receipt is for agents")
		}
		c, _ = f.s.GetConversation(f.ctx, c.ID)
		if c.VisitorReadSeq != 3 || c.FinishedAt != nil || c.State != livechat.StateBot {
			t.Fatalf("after restart %+v", c)
		}
		if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{Card: "q", Value: "Bo"}); err != nil {
			t.Fatalf("answer after restart: %v", err)
		}
	})
}

// TestRunFiresDeadlines: the timer loop fires a deadline without anyone
// calling RunDueTimers, and stops with its context.
func TestRunFiresDeadlines(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.agent("ann", crm.StatusOnline)
		f.publish(readExample(t, "faq.yaml"))
		ctx, cancel := context.WithCancel(f.ctx)
		done := make(chan error, 1)
		go func() { done <- f.s.Run(ctx) }()
		v := f.visitor()
		c, err := f.s.Start(f.ctx, v, "shop-faq", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{Card: "ask", Option: intp(2)}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(61 * time.Second)
		deadline := time.Now().Add(5 * time.Second)
		for count(f.events(c.ID), livechat.KindOffline) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("Run did not fire the deadline")
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	})
}
