package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/api"
	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/widget"
)

// testClock is real time plus an offset the test moves forward, so that a
// live chat's wait time can pass at once while sockets and HTTP keep real
// deadlines.
type testClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// liveEnv is env plus the live chat runtime (and the widget, for the
// browser test), wired as cmd/parley's serve wires them.
type liveEnv struct {
	*env
	ctx   context.Context
	live  *livechat.Service
	lcrm  *crm.Manager
	clock *testClock
	site  livechat.Site
	pb    livechat.Playbook
}

type agentUser struct {
	crm.User
	token string
}

// newLiveEnv starts a server with live chat on db. run starts the timer
// loop (the browser test wants deadlines to fire by themselves; the race
// tests fire them by hand).
func newLiveEnv(t *testing.T, db *schema.DB, run bool) *liveEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clk := &testClock{}
	m, err := crm.New(ctx, crm.Opts{DB: db, BcryptCost: bcrypt.MinCost, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	live, err := livechat.New(ctx, livechat.Opts{DB: db, CRM: m, Now: clk.Now, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if run {
		go live.Run(ctx)
	}
	wh := widget.New(widget.Opts{Live: live, Now: clk.Now})
	e := newEnv(t, db, func(o *api.Opts) {
		o.Live = live
		o.RateLimit = 100000
		o.Mount = []func(*gin.Engine, gin.HandlerFunc){wh.MountFunc()}
		o.OnStatus = func(ctx context.Context, u crm.User) {
			if err := live.AgentStatusChanged(ctx, u); err != nil {
				t.Log("presence:", err)
			}
		}
	})
	name := "Shop"
	origins := []string{e.srv.URL}
	site, err := live.CreateSite(ctx, livechat.SiteInput{Name: &name, AllowedOrigins: &origins})
	if err != nil {
		t.Fatal(err)
	}
	le := &liveEnv{env: e, ctx: ctx, live: live, lcrm: m, clock: clk, site: site}
	le.pb = le.publish("live-chat.yaml")
	return le
}

func (e *liveEnv) publish(name string) livechat.Playbook {
	e.t.Helper()
	src, err := os.ReadFile(filepath.Join("../../shared/examples", name))
	if err != nil {
		e.t.Fatalf("sample playbook (shared/ must sit beside the repository): %v", err)
	}
	p, err := e.live.CreatePlaybook(e.ctx, src, "")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.live.Publish(e.ctx, p.ID); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// newAgent adds an agent with an API token, online.
func (e *liveEnv) newAgent(name string) agentUser {
	e.t.Helper()
	email := fmt.Sprintf("%s@example.com", name)
	u, err := e.crm.CreateUser(e.ctx, crm.UserInput{Name: name, Email: email, Password: "agent-password", Role: crm.RoleAgent})
	if err != nil {
		e.t.Fatal(err)
	}
	if u, err = e.crm.SetUserStatus(e.ctx, u.ID, crm.StatusOnline); err != nil {
		e.t.Fatal(err)
	}
	if err := e.live.AgentStatusChanged(e.ctx, u); err != nil { // as the api does: presence is cached
		e.t.Fatal(err)
	}
	_, tok, err := e.crm.CreateToken(e.ctx, u.ID, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return agentUser{User: u, token: tok}
}

func (e *liveEnv) as(a agentUser, method, path string, body any) *resp {
	e.t.Helper()
	return e.do(req{method: method, path: path, token: a.token, body: body})
}

// visitor is a visitor driven through the runtime directly, as the visitor
// socket would.
type visitor struct {
	e *liveEnv
	v livechat.Visitor
	n int
}

func (e *liveEnv) newVisitor() *visitor {
	e.t.Helper()
	v, _, err := e.live.CreateVisitor(e.ctx, e.site.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.live.Hello(e.ctx, v, livechat.HelloInput{Page: livechat.PageInfo{URL: e.srv.URL + "/pricing", Title: "Pricing"}, Timezone: "Europe/Berlin", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"}); err != nil {
		e.t.Fatal(err)
	}
	if v, err = e.live.GetVisitor(e.ctx, v.ID); err != nil {
		e.t.Fatal(err)
	}
	return &visitor{e: e, v: v}
}

// startLiveChat runs the sample live chat up to its livechat card: the
// conversation is waiting with a 90 s deadline.
func (vi *visitor) startLiveChat(name, email, company string) livechat.Conversation {
	e := vi.e
	e.t.Helper()
	c, err := e.live.Start(e.ctx, vi.v, "live-chat", livechat.PageInfo{})
	if err != nil {
		e.t.Fatal(err)
	}
	for i, val := range []string{name, email, company} {
		in := livechat.AnswerInput{ClientID: fmt.Sprintf("form-%s-%d", c.ID, i), Card: "contact", Field: i, Value: val}
		if _, err := e.live.Answer(e.ctx, vi.v, in); err != nil {
			e.t.Fatalf("contact field %d: %v", i, err)
		}
	}
	if c, err = e.live.GetConversation(e.ctx, c.ID); err != nil {
		e.t.Fatal(err)
	}
	if c.State != livechat.StateWaiting {
		e.t.Fatalf("state after the form: %s", c.State)
	}
	return c
}

func (vi *visitor) say(text string) {
	vi.e.t.Helper()
	vi.n++
	if _, err := vi.e.live.Message(vi.e.ctx, vi.v, fmt.Sprintf("v%d-%d", vi.v.ID, vi.n), text); err != nil {
		vi.e.t.Fatal(err)
	}
}

// events reads a conversation's stored events.
func (e *liveEnv) events(id string) []livechat.Event {
	e.t.Helper()
	evs, err := e.live.Events(e.ctx, id, 0, false)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func countKind(evs []livechat.Event, kind string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func seqOf(evs []livechat.Event, kind string) int64 {
	for _, e := range evs {
		if e.Kind == kind {
			return e.Seq
		}
	}
	return 0
}

// conv decodes a conversation answer.
type convResp struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	AssigneeID *int64 `json:"assignee_id"`
	LeadID     *string
	Assignee   *struct {
		Name string `json:"name"`
	} `json:"assignee"`
	Contact struct {
		Person map[string]string `json:"person"`
	} `json:"contact"`
	Visitor *struct {
		Browser string `json:"browser"`
	} `json:"visitor"`
}

func decodeConvs(t *testing.T, r *resp) []convResp {
	t.Helper()
	var cs []convResp
	if err := json.Unmarshal(r.Body.Data, &cs); err != nil {
		t.Fatalf("conversations %s: %v", r.Raw, err)
	}
	return cs
}

func ids(cs []convResp) map[string]bool {
	m := map[string]bool{}
	for _, c := range cs {
		m[c.ID] = true
	}
	return m
}
