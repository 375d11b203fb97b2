package livechat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// pgCluster is several servers (Services with their PostgreSQL bus) on one
// fresh database.
type pgCluster struct {
	t       *testing.T
	ctx     context.Context
	db      *schema.DB
	crm     *crm.Manager
	clock   *clock
	servers []*livechat.Service
	buses   []*livechat.PGBus
	site    livechat.Site
}

func newPGCluster(t *testing.T, n int, opts ...livechat.PGBusOpts) *pgCluster {
	t.Helper()
	db := schematest.Postgres(t) // skips without PARLEY_TEST_POSTGRES
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	m, err := crm.New(ctx, crm.Opts{DB: db, Now: clk.Now, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	c := &pgCluster{t: t, ctx: ctx, db: db, crm: m, clock: clk}
	for i := 0; i < n; i++ {
		o := livechat.PGBusOpts{DB: db, PollInterval: 200 * time.Millisecond}
		if i < len(opts) {
			o = opts[i]
			o.DB = db
		}
		bus, err := livechat.NewPGBus(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bus.Close() })
		s, err := livechat.New(ctx, livechat.Opts{DB: db, CRM: m, Now: clk.Now, Bus: bus})
		if err != nil {
			t.Fatal(err)
		}
		c.servers, c.buses = append(c.servers, s), append(c.buses, bus)
	}
	name := "Site"
	origins := []string{"https://www.example.com"}
	if c.site, err = c.servers[0].CreateSite(ctx, livechat.SiteInput{Name: &name, AllowedOrigins: &origins}); err != nil {
		t.Fatal(err)
	}
	p, err := c.servers[0].CreatePlaybook(ctx, readExample(t, "live-chat.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.servers[0].Publish(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

// handOver runs the live chat sample for v on server a down to its card
// and has agent claim the chat on server b.
func (c *pgCluster) handOver(a, b *livechat.Service, v livechat.Visitor, agent crm.User) livechat.Conversation {
	c.t.Helper()
	conv, err := a.Start(c.ctx, v, "live-chat", livechat.PageInfo{})
	if err != nil {
		c.t.Fatal(err)
	}
	for i, val := range []string{"Ada", "ada@example.com", "Acme"} {
		if _, err := a.Answer(c.ctx, v, livechat.AnswerInput{ClientID: fmt.Sprintf("f-%d", i), Card: "contact", Field: i, Value: val}); err != nil {
			c.t.Fatal(err)
		}
	}
	if _, err := b.Assign(c.ctx, conv.ID, agent.ID, agent.ID); err != nil {
		c.t.Fatal(err)
	}
	return conv
}

func (c *pgCluster) agent(name string) crm.User {
	c.t.Helper()
	u, err := c.crm.CreateUser(c.ctx, crm.UserInput{Name: name, Email: name + "@example.com"})
	if err != nil {
		c.t.Fatal(err)
	}
	if u, err = c.crm.SetUserStatus(c.ctx, u.ID, crm.StatusOnline); err != nil {
		c.t.Fatal(err)
	}
	return u
}

// waitingChat makes a visitor on server s and runs the live chat sample up
// to its live chat card.
func (c *pgCluster) waitingChat(s *livechat.Service) (livechat.Visitor, livechat.Conversation) {
	c.t.Helper()
	v, _, err := s.CreateVisitor(c.ctx, c.site.ID)
	if err != nil {
		c.t.Fatal(err)
	}
	conv, err := s.Start(c.ctx, v, "live-chat", livechat.PageInfo{})
	if err != nil {
		c.t.Fatal(err)
	}
	for i, val := range []string{"Ada", "ada@example.com", "Acme"} {
		in := livechat.AnswerInput{ClientID: fmt.Sprintf("form-%s-%d", conv.ID, i), Card: "contact", Field: i, Value: val}
		if _, err := s.Answer(c.ctx, v, in); err != nil {
			c.t.Fatalf("contact field %d: %v", i, err)
		}
	}
	return v, conv
}

// collector records the stored-event frames of one subscription.
type collector struct {
	mu    sync.Mutex
	seqs  []int64
	texts []string
	done  chan struct{}
}

func collect(sub *livechat.Subscription, visitor bool) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for f := range sub.C {
			if f.Seq == 0 {
				continue
			}
			b := f.Agent
			if visitor {
				b = f.Visitor
			}
			if b == nil {
				continue
			}
			c.mu.Lock()
			c.seqs = append(c.seqs, f.Seq)
			c.texts = append(c.texts, string(b))
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) snapshot() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.seqs...)
}

// waitFor waits until the collector holds want, or fails with what it got.
func waitFor(t *testing.T, what string, c *collector, want []int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := c.snapshot()
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if len(got) > len(want) || time.Now().After(deadline) {
			t.Fatalf("%s: got seqs\n%v\nwant\n%v", what, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func seqsOf(evs []livechat.Event, visitorOnly bool) []int64 {
	var out []int64
	for _, e := range evs {
		if !visitorOnly || e.VisibleToVisitor {
			out = append(out, e.Seq)
		}
	}
	return out
}

// TestPGBusPollOnly: a server that hears no notification at all (it
// listens on another channel) still gets every event once and in order,
// from the poll.
func TestPGBusPollOnly(t *testing.T) {
	c := newPGCluster(t, 2,
		livechat.PGBusOpts{Channel: "parley_a", PollInterval: 100 * time.Millisecond},
		livechat.PGBusOpts{Channel: "parley_b", PollInterval: 100 * time.Millisecond})
	a, b := c.servers[0], c.servers[1]
	agent := c.agent("Bo")
	sub := b.Hub().SubscribeAgents(4096)
	defer sub.Close()
	got := collect(sub, false)
	// Everything happens on A: B has nothing of its own to fill gaps from.
	_, conv := c.waitingChat(a)
	if _, err := a.Assign(c.ctx, conv.ID, agent.ID, agent.ID); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if _, err := a.AgentMessage(c.ctx, conv.ID, agent.ID, fmt.Sprintf("m-%d", i), fmt.Sprintf("hello %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := a.Events(c.ctx, conv.ID, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "server B's agents", got, seqsOf(evs, false))
	if st := c.buses[1].Stats(); st.Received != 0 || st.Polled == 0 {
		t.Errorf("server B should only have polled: %+v", st)
	}
}

// TestPGBusBigEvent: an event far over NOTIFY's 8000 bytes reaches the
// other server, since only its id is notified.
func TestPGBusBigEvent(t *testing.T) {
	c := newPGCluster(t, 2, livechat.PGBusOpts{PollInterval: time.Hour}, livechat.PGBusOpts{PollInterval: time.Hour})
	a, b := c.servers[0], c.servers[1]
	agent := c.agent("Bo")
	v, conv := c.waitingChat(a)
	if _, err := b.Assign(c.ctx, conv.ID, agent.ID, agent.ID); err != nil {
		t.Fatal(err)
	}
	sub := a.Hub().SubscribeVisitor(v.ID, 64)
	defer sub.Close()
	text := strings.Repeat("é", livechat.MaxMessageLen) // 8000 bytes of text, more once framed
	ack, err := b.AgentMessage(c.ctx, conv.ID, agent.ID, "big-1", text)
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case f := <-sub.C:
			if f.Seq == ack.Seq {
				if !strings.Contains(string(f.Visitor), text) {
					t.Fatalf("the big message arrived cut: %d bytes", len(f.Visitor))
				}
				if st := c.buses[0].Stats(); st.ReadByID == 0 {
					t.Errorf("server A should have read the event by id: %+v", st)
				}
				return
			}
		case <-timeout:
			t.Fatal("the big message never reached server A")
		}
	}
}

// TestPGBusTimerOnce: two servers racing for a due deadline fire it once,
// and both hear the offline branch.
func TestPGBusTimerOnce(t *testing.T) {
	c := newPGCluster(t, 2)
	a, b := c.servers[0], c.servers[1]
	c.agent("Bo") // someone online, so the live chat card waits
	subB := b.Hub().SubscribeAgents(1024)
	defer subB.Close()
	gotB := collect(subB, false)
	_, conv := c.waitingChat(a)
	c.clock.Advance(2 * time.Minute)
	var wg sync.WaitGroup
	fired := make([]int, 6)
	for i := range fired {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			n, err := s.RunDueTimers(c.ctx)
			if err != nil {
				t.Error(err)
			}
			fired[i] = n
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range fired {
		total += n
	}
	if total != 1 {
		t.Fatalf("the deadline fired %d times (%v)", total, fired)
	}
	evs, err := a.Events(c.ctx, conv.ID, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(evs, livechat.KindOffline); n != 1 {
		t.Fatalf("%d offline events: %v", n, kinds(evs))
	}
	waitFor(t, "server B's agents", gotB, seqsOf(evs, false))
}
