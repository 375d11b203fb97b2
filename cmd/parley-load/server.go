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
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/api"
	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/widget"
)

// benchServer is a real Parley server (the api with the widget mounted, as
// `parley serve` assembles it) plus M simulated agents that work through
// livechat.Service directly, and a /bench/stats endpoint. The agents live in
// the server process because the agent REST endpoints and socket are not
// in the api yet; once they are, an HTTP agent driver can replace them.
type benchServer struct {
	db     *schema.DB
	live   *livechat.Service
	bus    *livechat.PGBus
	wh     *widget.Handler
	hs     *http.Server
	ln     net.Listener
	site   livechat.Site
	agents *agentSim
	cancel context.CancelFunc
	done   chan struct{}
}

type serverOpts struct {
	DB      string // database URL
	Addr    string // loopback listen address
	Agents  int    // simulated agents on this server (0: none)
	Origin  string // allowed origin of the bench site; defaults to http://<addr>
	Logger  *slog.Logger
	Polling time.Duration // the PostgreSQL bus's poll; 0 = its default
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
		if b.agents, err = startAgents(rctx, m, live, o.Agents, o.Logger); err != nil {
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

// mountBench adds /bench/stats (?gc=1 collects first, for memory figures)
// and an unauthenticated profiler under /bench/pprof: the bench server
// listens on loopback only.
func (b *benchServer) mountBench(r *gin.Engine, _ gin.HandlerFunc) {
	r.GET("/bench/stats", func(c *gin.Context) { c.JSON(http.StatusOK, b.stats(c.Query("gc") == "1")) })
	r.GET("/bench/pprof/", gin.WrapF(pprof.Index))
	r.GET("/bench/pprof/profile", gin.WrapF(pprof.Profile))
	r.GET("/bench/pprof/:profile", func(c *gin.Context) { pprof.Handler(c.Param("profile")).ServeHTTP(c.Writer, c.Request) })
}

// agentSim is M agents: each waiting conversation is claimed by the next
// agent in turn, and every visitor message gets one reply from the holder.
// Work on one conversation runs on one worker, in order.
type agentSim struct {
	live    *livechat.Service
	log     *slog.Logger
	ids     []int64
	next    atomic.Int64
	workers []chan agentTask
	sub     *livechat.Subscription

	mu       sync.Mutex
	owner    map[string]int64 // conversation → agent
	lastSeq  map[string]int64 // highest seq seen per conversation (order check)
	seenIDs  map[int64]bool
	lat      []time.Duration
	received int64
	replies  int64
	claims   int64
	errs     int64
	dups     int64
	order    int64
	firstErr string
	perConv  map[string]int64 // visitor messages received per conversation
}

type agentTask struct {
	conv  string
	claim bool
	reply string // text of the reply
	id    int64  // event id replied to
}

// agentReport is the agents' side of the figures.
type agentReport struct {
	Agents     int              `json:"agents"`
	Claims     int64            `json:"claims"`
	Received   int64            `json:"received"` // visitor messages
	Replies    int64            `json:"replies"`
	Errors     int64            `json:"errors"`
	Duplicates int64            `json:"duplicates"`
	OutOfOrder int64            `json:"out_of_order"`
	FirstError string           `json:"first_error,omitempty"`
	Latency    latencyReport    `json:"latency_visitor_to_agent"`
	PerConv    map[string]int64 `json:"-"`
}

func startAgents(ctx context.Context, m *crm.Manager, live *livechat.Service, n int, log *slog.Logger) (*agentSim, error) {
	a := &agentSim{live: live, log: log, owner: map[string]int64{}, lastSeq: map[string]int64{}, seenIDs: map[int64]bool{}, perConv: map[string]int64{}}
	for i := 0; i < n; i++ {
		email := fmt.Sprintf("load-agent-%d@parley.local", i)
		u, err := m.GetUserByEmail(ctx, email)
		if err != nil {
			if u, err = m.CreateUser(ctx, crm.UserInput{Name: fmt.Sprintf("Load agent %d", i), Email: email, Password: crm.GeneratePassword()}); err != nil {
				return nil, fmt.Errorf("agent %d: %w", i, err)
			}
		}
		if _, err := m.SetUserStatus(ctx, u.ID, crm.StatusOnline); err != nil {
			return nil, err
		}
		a.ids = append(a.ids, u.ID)
	}
	if err := live.PresenceChanged(ctx); err != nil {
		return nil, err
	}
	a.sub = live.Hub().SubscribeAgents(1 << 16)
	for i := 0; i < 4*n; i++ {
		ch := make(chan agentTask, 4096)
		a.workers = append(a.workers, ch)
		go a.work(ctx, ch)
	}
	go a.watch(ctx)
	return a, nil
}

func (a *agentSim) fail(err error) {
	a.mu.Lock()
	a.errs++
	if a.firstErr == "" {
		a.firstErr = err.Error()
	}
	a.mu.Unlock()
}

func (a *agentSim) worker(conv string) chan agentTask {
	var h uint32 = 2166136261
	for i := 0; i < len(conv); i++ {
		h = (h ^ uint32(conv[i])) * 16777619
	}
	return a.workers[h%uint32(len(a.workers))]
}

// agentEvent is the part of an agent frame the agents read.
type agentEvent struct {
	ID    int64  `json:"id"`
	Event string `json:"event"`
	Data  struct {
		Seq  int64  `json:"seq"`
		Kind string `json:"kind"`
		Data struct {
			Text string `json:"text"`
		} `json:"data"`
	} `json:"data"`
}

func (a *agentSim) watch(ctx context.Context) {
	for f := range a.sub.C {
		now := time.Now()
		if f.ConversationID == "" {
			continue
		}
		if f.State == livechat.StateWaiting && f.AssigneeID == 0 {
			a.mu.Lock()
			_, taken := a.owner[f.ConversationID]
			if !taken {
				a.owner[f.ConversationID] = 0 // claim in flight
			}
			a.mu.Unlock()
			if !taken {
				a.worker(f.ConversationID) <- agentTask{conv: f.ConversationID, claim: true}
			}
		}
		if f.Seq == 0 || f.Agent == nil {
			continue
		}
		var ev agentEvent
		if json.Unmarshal(f.Agent, &ev) != nil || ev.Event != "message.created" {
			continue
		}
		a.mu.Lock()
		if a.seenIDs[f.EventID] {
			a.dups++
			a.mu.Unlock()
			continue
		}
		a.seenIDs[f.EventID] = true
		if f.Seq <= a.lastSeq[f.ConversationID] {
			a.order++
		}
		a.lastSeq[f.ConversationID] = f.Seq
		if ev.Data.Kind != livechat.KindVisitorMessage {
			a.mu.Unlock()
			continue
		}
		a.received++
		a.perConv[f.ConversationID]++
		sent, tag, ok := parseStamp(ev.Data.Data.Text)
		if ok && len(a.lat) < maxSamples {
			a.lat = append(a.lat, now.Sub(sent))
		}
		a.mu.Unlock()
		if ok {
			a.worker(f.ConversationID) <- agentTask{conv: f.ConversationID, reply: tag, id: f.EventID}
		}
	}
}

func (a *agentSim) work(ctx context.Context, tasks chan agentTask) {
	for {
		var t agentTask
		select {
		case <-ctx.Done():
			return
		case t = <-tasks:
		}
		if t.claim {
			id := a.ids[int(a.next.Add(1))%len(a.ids)]
			_, err := a.live.Assign(ctx, t.conv, id, id)
			a.mu.Lock()
			if err == nil {
				a.owner[t.conv] = id
				a.claims++
			}
			a.mu.Unlock()
			if err != nil && !errors.Is(err, livechat.ErrConflict) && ctx.Err() == nil {
				a.fail(fmt.Errorf("assign: %w", err))
			}
			continue
		}
		a.mu.Lock()
		id := a.owner[t.conv]
		a.mu.Unlock()
		if id == 0 {
			c, err := a.live.GetConversation(ctx, t.conv)
			if err != nil || c.AssigneeID == nil {
				a.fail(fmt.Errorf("reply to %s: not assigned", t.conv))
				continue
			}
			id = *c.AssigneeID
		}
		_, err := a.live.AgentMessage(ctx, t.conv, id, "r-"+strconv.FormatInt(t.id, 10), stamp(time.Now(), t.reply))
		if err != nil {
			if ctx.Err() == nil {
				a.fail(fmt.Errorf("reply: %w", err))
			}
			continue
		}
		a.mu.Lock()
		a.replies++
		a.mu.Unlock()
	}
}

func (a *agentSim) report() agentReport {
	a.mu.Lock()
	defer a.mu.Unlock()
	pc := make(map[string]int64, len(a.perConv))
	for k, v := range a.perConv {
		pc[k] = v
	}
	return agentReport{Agents: len(a.ids), Claims: a.claims, Received: a.received, Replies: a.replies, Errors: a.errs,
		Duplicates: a.dups, OutOfOrder: a.order, FirstError: a.firstErr, Latency: latencies(a.lat), PerConv: pc}
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
