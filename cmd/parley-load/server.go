package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/api"
	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/widget"
)

// benchServer is a real Parley server (the api with the widget mounted, as
// `parley serve` assembles it) plus M agent users, online, and the /bench
// endpoints. The generator runs the agents through the API with the tokens
// of GET /bench/agents; with AgentsInProcess the server runs them itself.
type benchServer struct {
	db     *schema.DB
	live   *livechat.Service
	bus    *livechat.PGBus
	wh     *widget.Handler
	hs     *http.Server
	ln     net.Listener
	site   livechat.Site
	creds  []benchAgent // the agents' API tokens (not in process)
	agents *agentSet    // in process only
	sub    *livechat.Subscription
	cancel context.CancelFunc
	done   chan struct{}
}

type serverOpts struct {
	DB              string // database URL
	Addr            string // loopback listen address
	Agents          int    // agent users on this server (0: none)
	AgentsInProcess bool   // the server runs them through livechat.Service, instead of the generator through the API
	Origin          string // allowed origin of the bench site; defaults to http://<addr>
	Logger          *slog.Logger
	Polling         time.Duration // the PostgreSQL bus's poll; 0 = its default
}

const benchSiteName = "parley-load"

func startServer(ctx context.Context, o serverOpts) (*benchServer, error) {
	if err := checkLoopback(o.Addr); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	db, err := schema.Open(o.DB)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*benchServer, error) { db.Close(); return nil, err }
	if _, err := db.Migrate(ctx); err != nil {
		return fail(err)
	}
	m, err := crm.New(ctx, crm.Opts{DB: db})
	if err != nil {
		return fail(err)
	}
	if _, err := m.EnsureDefaultPipeline(ctx); err != nil {
		return fail(err)
	}
	var bus *livechat.PGBus
	lo := livechat.Opts{DB: db, CRM: m, Logger: o.Logger}
	if db.Dialect == schema.Postgres {
		if bus, err = livechat.NewPGBus(ctx, livechat.PGBusOpts{DB: db, Logger: o.Logger, PollInterval: o.Polling}); err != nil {
			return fail(err)
		}
		lo.Bus = bus
	}
	live, err := livechat.New(ctx, lo)
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fail(err)
	}
	if o.Origin == "" {
		o.Origin = "http://" + ln.Addr().String()
	}
	b := &benchServer{db: db, live: live, bus: bus, ln: ln, done: make(chan struct{})}
	if b.site, err = seed(ctx, live, o.Origin); err != nil {
		ln.Close()
		return fail(err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go live.Run(rctx)
	if o.Agents > 0 {
		if err = b.startAgents(ctx, rctx, m, o.Agents, o.AgentsInProcess); err != nil {
			cancel()
			ln.Close()
			return fail(err)
		}
	}
	b.wh = widget.New(widget.Opts{Live: live, Logger: o.Logger})
	srv, err := api.New(ctx, api.Opts{DB: db, CRM: m, Live: live, Logger: o.Logger,
		RateLimit: 1 << 30, // the load generator is one client doing many visitors' work
		Mount:     []func(*gin.Engine, gin.HandlerFunc){b.wh.MountFunc(), api.PprofMount(), b.mountBench},
	})
	if err != nil {
		cancel()
		ln.Close()
		return fail(err)
	}
	b.hs = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(b.done)
		b.hs.Serve(ln)
	}()
	return b, nil
}

func (b *benchServer) URL() string { return "http://" + b.ln.Addr().String() }

func (b *benchServer) Close() {
	sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
	defer c()
	b.hs.Shutdown(sctx)
	b.hs.Close() // hijacked sockets
	b.cancel()
	if b.sub != nil {
		b.sub.Close()
	}
	if b.bus != nil {
		b.bus.Close()
	}
	<-b.done
	b.db.Close()
}

// seed makes the bench site (once per database) and publishes the live
// chat sample if it is not published yet.
func seed(ctx context.Context, live *livechat.Service, origin string) (livechat.Site, error) {
	var site livechat.Site
	sites, err := live.ListSites(ctx)
	if err != nil {
		return site, err
	}
	for _, s := range sites {
		if s.Name == benchSiteName {
			site = s
		}
	}
	if site.ID == 0 {
		name := benchSiteName
		origins := []string{origin}
		if site, err = live.CreateSite(ctx, livechat.SiteInput{Name: &name, AllowedOrigins: &origins}); err != nil {
			return site, err
		}
	} else if !livechat.OriginAllowed(site, origin) {
		origins := append(site.AllowedOrigins, origin)
		if site, err = live.UpdateSite(ctx, site.ID, livechat.SiteInput{AllowedOrigins: &origins}); err != nil {
			return site, err
		}
	}
	if pb, err := live.PlaybookBySlug(ctx, "live-chat"); err == nil && pb.PublishedVersion > 0 {
		return site, nil
	}
	for _, t := range api.Templates() {
		if t.Name != "live-chat" {
			continue
		}
		p, err := live.CreatePlaybook(ctx, []byte(t.Source), "")
		if err != nil {
			return site, fmt.Errorf("live-chat playbook: %w", err)
		}
		if _, err := live.Publish(ctx, p.ID); err != nil {
			return site, err
		}
		return site, nil
	}
	return site, errors.New("no live-chat template")
}

// serverStats is /bench/stats: what the generator reads from the server.
type serverStats struct {
	Site       string             `json:"site"`
	Sockets    int                `json:"sockets"`
	HeapInuse  uint64             `json:"heap_inuse"`
	StackInuse uint64             `json:"stack_inuse"`
	Sys        uint64             `json:"sys"`
	Goroutines int                `json:"goroutines"`
	Agents     *agentReport       `json:"agents,omitempty"`
	Bus        *livechat.BusStats `json:"bus,omitempty"`
}

func (b *benchServer) stats(gc bool) serverStats {
	if gc {
		runtime.GC()
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := serverStats{Site: b.site.SiteKey, Sockets: b.wh.OpenSockets(), HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse,
		Sys: ms.Sys, Goroutines: runtime.NumGoroutine()}
	if b.agents != nil {
		r := b.agents.report()
		st.Agents = &r
	}
	if b.bus != nil {
		bs := b.bus.Stats()
		st.Bus = &bs
	}
	return st
}

// mountBench adds /bench/stats (?gc=1 collects first, for memory figures),
// /bench/agents and an unauthenticated profiler under /bench/pprof. The
// bench server listens on loopback only (checkLoopback), and its database
// is a bench one, so /bench/agents hands out the agents' API tokens in
// plain text, unauthenticated: that is how the generator, on the same
// machine, becomes those agents.
func (b *benchServer) mountBench(r *gin.Engine, _ gin.HandlerFunc) {
	r.GET("/bench/stats", func(c *gin.Context) { c.JSON(http.StatusOK, b.stats(c.Query("gc") == "1")) })
	r.GET("/bench/agents", func(c *gin.Context) {
		c.JSON(http.StatusOK, benchAgents{InProcess: b.agents != nil, Agents: append([]benchAgent{}, b.creds...)})
	})
	r.GET("/bench/stored/:conv", func(c *gin.Context) { // what the generator's lost check compares with
		evs, err := b.live.Events(c.Request.Context(), c.Param("conv"), 0, false)
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
			return
		}
		n := 0
		for _, e := range evs {
			if e.Kind == livechat.KindVisitorMessage {
				n++
			}
		}
		c.JSON(http.StatusOK, gin.H{"visitor_messages": n})
	})
	r.GET("/bench/pprof/", gin.WrapF(pprof.Index))
	r.GET("/bench/pprof/profile", gin.WrapF(pprof.Profile))
	r.GET("/bench/pprof/:profile", func(c *gin.Context) { pprof.Handler(c.Param("profile")).ServeHTTP(c.Writer, c.Request) })
}

// startAgents makes n agent users (once per database) and sets them
// online. In-process, they work at once through livechat.Service and the
// hub's agent subscription, the load generator's way before the agent API
// existed (kept to compare the two); otherwise each gets a fresh API token
// for /bench/agents, and the generator drives them.
func (b *benchServer) startAgents(ctx, rctx context.Context, m *crm.Manager, n int, inProcess bool) error {
	var ids []int64
	for i := 0; i < n; i++ {
		email := fmt.Sprintf("load-agent-%d@parley.local", i)
		u, err := m.GetUserByEmail(ctx, email)
		if err != nil {
			if u, err = m.CreateUser(ctx, crm.UserInput{Name: fmt.Sprintf("Load agent %d", i), Email: email, Password: crm.GeneratePassword()}); err != nil {
				return fmt.Errorf("agent %d: %w", i, err)
			}
		}
		if _, err := m.SetUserStatus(ctx, u.ID, crm.StatusOnline); err != nil {
			return err
		}
		ids = append(ids, u.ID)
		if !inProcess {
			_, secret, err := m.CreateToken(ctx, u.ID, "parley-load")
			if err != nil {
				return fmt.Errorf("agent %d: token: %w", i, err)
			}
			b.creds = append(b.creds, benchAgent{ID: u.ID, Email: email, Token: secret})
		}
	}
	if err := b.live.PresenceChanged(ctx); err != nil {
		return err
	}
	if inProcess {
		b.sub = b.live.Hub().SubscribeAgents(1 << 16)
		b.agents = newAgentSet(rctx, liveAgents{live: b.live, ids: ids}, "in the bench server "+b.URL()+", in process (livechat.Service)", n, 1)
		go watchHub(b.agents, b.sub)
	}
	return nil
}

// benchAgent is one agent as GET /bench/agents gives it to the generator.
type benchAgent struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Token string `json:"token"`
}

// benchAgents is GET /bench/agents.
type benchAgents struct {
	InProcess bool         `json:"in_process"` // the server runs its agents itself: nothing for the generator to run
	Agents    []benchAgent `json:"agents"`
}

// liveAgents is the in-process agentDriver.
type liveAgents struct {
	live *livechat.Service
	ids  []int64
}

func (l liveAgents) assign(ctx context.Context, k int, conv string) error {
	_, err := l.live.Assign(ctx, conv, l.ids[k], l.ids[k])
	if errors.Is(err, livechat.ErrConflict) {
		return fmt.Errorf("%w: %w", errConflict, err)
	}
	return err
}

func (l liveAgents) reply(ctx context.Context, k int, conv, clientID, text string) error {
	_, err := l.live.AgentMessage(ctx, conv, l.ids[k], clientID, text)
	return err
}

// agentEvent is the part of a hub frame's agent payload the agents read.
type agentEvent struct {
	Event string `json:"event"`
	Data  struct {
		Kind string `json:"kind"`
		Data struct {
			Text string `json:"text"`
		} `json:"data"`
	} `json:"data"`
}

// watchHub feeds the in-process agents every agent frame of the hub (the
// frames' metadata stands for what the socket's data would say).
func watchHub(a *agentSet, sub *livechat.Subscription) {
	for f := range sub.C {
		now := time.Now()
		s := sighting{conv: f.ConversationID, waiting: f.State == livechat.StateWaiting && f.AssigneeID == 0, id: f.EventID, seq: f.Seq}
		var ev agentEvent
		if f.Seq != 0 && f.Agent != nil && json.Unmarshal(f.Agent, &ev) == nil && ev.Event == "message.created" {
			s.message, s.kind, s.text = true, ev.Data.Kind, ev.Data.Data.Text
		}
		a.observe(0, s, now)
	}
}

// A message's text carries when it was sent: "lt <unix ns> <tag>". Both
// processes read the same clock (loopback only).
func stamp(t time.Time, tag string) string {
	return "lt " + strconv.FormatInt(t.UnixNano(), 10) + " " + tag
}

func parseStamp(s string) (time.Time, string, bool) {
	f := strings.Fields(s)
	if len(f) != 3 || f[0] != "lt" {
		return time.Time{}, "", false
	}
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.Unix(0, ns), f[2], true
}

const maxSamples = 2_000_000

type latencyReport struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func latencies(d []time.Duration) latencyReport {
	if len(d) == 0 {
		return latencyReport{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	ms := func(q float64) float64 {
		i := int(q * float64(len(s)-1))
		return float64(s[i].Microseconds()) / 1000
	}
	return latencyReport{N: len(s), P50: ms(0.50), P95: ms(0.95), P99: ms(0.99), Max: ms(1)}
}
