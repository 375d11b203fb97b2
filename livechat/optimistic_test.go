package livechat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// TestStaleReadIsRedone: a message step that runs on a conversation read
// before someone else saved it is not written over theirs: the version
// decides, the step is redone on a fresh read, and nothing is lost or
// numbered twice.
func TestStaleReadIsRedone(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		other := f.newService() // another server on the same database
		ann := f.agent("ann", crm.StatusOnline)
		v := f.visitor()
		c := f.heldChat(v, ann)
		stale := c
		// The other server stores two messages after our read.
		for i := 0; i < 2; i++ {
			if _, err := other.Message(f.ctx, v, fmt.Sprintf("o%d", i), "from the other server"); err != nil {
				t.Fatal(err)
			}
		}
		me := livechat.Agent{ID: ann.ID, Name: ann.Name}
		ack, err := f.s.AgentMessageIn(f.ctx, stale, me, "a1", "Hi, how can I help?")
		if err != nil {
			t.Fatal(err)
		}
		if want := stale.LastSeq + 3; ack.Seq != want {
			t.Fatalf("ack seq %d, want %d (after the other server's two)", ack.Seq, want)
		}
		got, err := f.s.GetConversation(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.LastSeq != ack.Seq || got.Unread != 0 {
			t.Fatalf("conversation last_seq %d unread %d, want %d and 0", got.LastSeq, got.Unread, ack.Seq)
		}
		checkContiguous(t, f.events(c.ID))
		// A resend from the stale read gets the first ack, stores nothing.
		n := len(f.events(c.ID))
		if again, err := f.s.AgentMessageIn(f.ctx, stale, me, "a1", "Hi, how can I help?"); err != nil || again != ack {
			t.Fatalf("resend: %+v %v, want %+v", again, err, ack)
		}
		if len(f.events(c.ID)) != n {
			t.Fatal("a resend stored an event")
		}
		// The holder is checked on the conversation as written, not as read:
		// after a reassignment elsewhere, the old read does not let ann speak.
		bo := f.agent("bo", crm.StatusOnline)
		if _, err := other.Reassign(f.ctx, c.ID, ann.ID, bo.ID, ann.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AgentMessageIn(f.ctx, stale, me, "a2", "still me?"); err == nil {
			t.Fatal("a message from the previous holder, on a stale read, was stored")
		}
	})
}

// TestConcurrentWritersTwoServers: a visitor on one server, the agent on
// another, and read receipts (a locked step) all at once on one
// conversation. Every message is stored once, seqs have no gap or double,
// and the unread count is what the events say it is.
func TestConcurrentWritersTwoServers(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		b := f.newService()
		ann := f.agent("ann", crm.StatusOnline)
		v := f.visitor()
		if _, err := f.s.Message(f.ctx, v, "m0", "Hello?"); err != nil {
			t.Fatal(err)
		}
		c, err := f.s.OpenConversation(f.ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Assign(f.ctx, c.ID, ann.ID, ann.ID); err != nil {
			t.Fatal(err)
		}
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, 3*n)
		wg.Add(3)
		go func() { // the visitor, on server A
			defer wg.Done()
			for i := 0; i < n; i++ {
				if _, err := f.s.Message(f.ctx, v, fmt.Sprintf("v%d", i), fmt.Sprintf("visitor %d", i)); err != nil {
					errs <- fmt.Errorf("visitor %d: %w", i, err)
				}
			}
		}()
		go func() { // the agent, on server B
			defer wg.Done()
			for i := 0; i < n; i++ {
				if _, err := b.AgentMessage(f.ctx, c.ID, ann.ID, fmt.Sprintf("a%d", i), fmt.Sprintf("agent %d", i)); err != nil {
					errs <- fmt.Errorf("agent %d: %w", i, err)
				}
			}
		}()
		go func() { // the agent app marking read, on server A (under the row lock)
			defer wg.Done()
			for i := 0; i < n/4; i++ {
				if err := f.s.MarkReadByAgent(f.ctx, c.ID); err != nil {
					errs <- fmt.Errorf("read %d: %w", i, err)
				}
				time.Sleep(time.Millisecond)
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		evs := f.events(c.ID)
		checkContiguous(t, evs)
		if got := count(evs, livechat.KindVisitorMessage); got != n+1 {
			t.Errorf("%d visitor messages stored, want %d", got, n+1)
		}
		if got := count(evs, livechat.KindAgentMessage); got != n {
			t.Errorf("%d agent messages stored, want %d", got, n)
		}
		got, err := f.s.GetConversation(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if last := evs[len(evs)-1].Seq; got.LastSeq != last {
			t.Errorf("conversation last_seq %d, last event %d", got.LastSeq, last)
		}
		// Unread: visitor messages after the agent last wrote or read.
		want := 0
		for _, e := range evs {
			switch e.Kind {
			case livechat.KindVisitorMessage:
				want++
			case livechat.KindAgentMessage, livechat.KindRead:
				if e.Author != livechat.AuthorVisitor {
					want = 0
				}
			}
		}
		if got.Unread != want {
			t.Errorf("unread %d, want %d from the events (a lost update)", got.Unread, want)
		}
	})
}

func checkContiguous(t *testing.T, evs []livechat.Event) {
	t.Helper()
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: a gap or a double", i+1, e.Seq)
		}
	}
}

// TestPresenceCachedAndInvalidated: presence is read once per TTL, not per
// message, and a status change through the Service is seen at once.
func TestPresenceCachedAndInvalidated(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		cdb, q := counted(t, db)
		f := newFixture(t, cdb)
		ann := f.agent("ann", crm.StatusOnline)
		if n, err := f.s.AgentsOnline(f.ctx, ""); err != nil || n != 1 {
			t.Fatalf("online %d %v, want 1", n, err)
		}
		q.Reset()
		for i := 0; i < 5; i++ {
			if _, err := f.s.AgentsOnline(f.ctx, ""); err != nil {
				t.Fatal(err)
			}
		}
		if n := q.Total(); n != 0 {
			t.Errorf("5 presence reads within the TTL ran %d statements, want 0", n)
		}
		u, err := f.crm.SetUserStatus(f.ctx, ann.ID, crm.StatusOffline)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.AgentStatusChanged(f.ctx, u); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.AgentsOnline(f.ctx, ""); err != nil || n != 0 {
			t.Fatalf("after going offline: online %d %v, want 0 at once", n, err)
		}
	})
}

// TestPresenceChangeReachesOtherServers: a status change made on server B
// empties server A's presence cache through the bus, long before A's TTL.
func TestPresenceChangeReachesOtherServers(t *testing.T) {
	db := schematest.Postgres(t) // skips without PARLEY_TEST_POSTGRES
	ctx := context.Background()
	m, err := crm.New(ctx, crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	var servers []*livechat.Service
	for i := 0; i < 2; i++ {
		bus, err := livechat.NewPGBus(ctx, livechat.PGBusOpts{DB: db, PollInterval: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bus.Close() })
		s, err := livechat.New(ctx, livechat.Opts{DB: db, CRM: m, Bus: bus, PresenceTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	a, b := servers[0], servers[1]
	if n, err := a.AgentsOnline(ctx, ""); err != nil || n != 0 {
		t.Fatalf("A before: %d %v", n, err)
	}
	u, err := m.CreateUser(ctx, crm.UserInput{Name: "Ann", Email: "ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err = m.SetUserStatus(ctx, u.ID, crm.StatusOnline); err != nil {
		t.Fatal(err)
	}
	if err := b.AgentStatusChanged(ctx, u); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := a.AgentsOnline(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server A still counts nobody online 5 s after B's status change (its cache was not emptied)")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
