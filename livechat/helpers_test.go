package livechat_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
)

// examples is where the shared sample playbooks live, beside the repository.
const examples = "../../shared/examples"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *schema.DB
	crm   *crm.Manager
	s     *livechat.Service
	clock *clock
	site  livechat.Site
}

func newFixture(t *testing.T, db *schema.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	m, err := crm.New(ctx, crm.Opts{DB: db, Now: clk.Now, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	s, err := livechat.New(ctx, livechat.Opts{DB: db, CRM: m, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	name := "Site"
	origins := []string{"https://www.example.com"}
	site, err := s.CreateSite(ctx, livechat.SiteInput{Name: &name, AllowedOrigins: &origins})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, db: db, crm: m, s: s, clock: clk, site: site}
}

// newService is a second Service on the same database (another server, or
// this one after a restart).
func (f *fixture) newService() *livechat.Service {
	f.t.Helper()
	s, err := livechat.New(f.ctx, livechat.Opts{DB: f.db, CRM: f.crm, Now: f.clock.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) agent(name, status string) crm.User {
	f.t.Helper()
	u, err := f.crm.CreateUser(f.ctx, crm.UserInput{Name: name, Email: name + "@example.com"})
	if err != nil {
		f.t.Fatal(err)
	}
	if u, err = f.crm.SetUserStatus(f.ctx, u.ID, status); err != nil {
		f.t.Fatal(err)
	}
	if err := f.s.AgentStatusChanged(f.ctx, u); err != nil { // as the api does: presence is cached
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) visitor() livechat.Visitor {
	f.t.Helper()
	v, _, err := f.s.CreateVisitor(f.ctx, f.site.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examples, name))
	if err != nil {
		t.Fatalf("sample playbook (shared/ must sit beside the repository): %v", err)
	}
	return b
}

// publish stores and publishes a playbook source.
func (f *fixture) publish(src []byte) livechat.Playbook {
	f.t.Helper()
	p, err := f.s.CreatePlaybook(f.ctx, src, "")
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.s.Publish(f.ctx, p.ID); err != nil {
		f.t.Fatal(err)
	}
	p, err = f.s.GetPlaybook(f.ctx, p.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) events(convID string) []livechat.Event {
	f.t.Helper()
	evs, err := f.s.Events(f.ctx, convID, 0, false)
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

func kinds(evs []livechat.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

func count(evs []livechat.Event, kind string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func intp(i int) *int { return &i }

// startLiveChat starts the sample live chat and fills its contact form.
func (f *fixture) startLiveChat(v livechat.Visitor, name, email, company string) livechat.Conversation {
	f.t.Helper()
	c, err := f.s.Start(f.ctx, v, "live-chat", livechat.PageInfo{})
	if err != nil {
		f.t.Fatal(err)
	}
	for i, val := range []string{name, email, company} {
		in := livechat.AnswerInput{ClientID: fmt.Sprintf("form-%s-%d", c.ID, i), Card: "contact", Field: i, Value: val}
		if _, err := f.s.Answer(f.ctx, v, in); err != nil {
			f.t.Fatalf("contact field %d: %v", i, err)
		}
	}
	return c
}

// heldChat is a chat v opened with a message, assigned to agent: the usual
// start of a test about a chat in progress.
func (f *fixture) heldChat(v livechat.Visitor, agent crm.User) livechat.Conversation {
	f.t.Helper()
	if _, err := f.s.Message(f.ctx, v, "m0", "Hello?"); err != nil {
		f.t.Fatal(err)
	}
	c, err := f.s.OpenConversation(f.ctx, v.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	if c, err = f.s.Assign(f.ctx, c.ID, agent.ID, agent.ID); err != nil {
		f.t.Fatal(err)
	}
	return c
}
