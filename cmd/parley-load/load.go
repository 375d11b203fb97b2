package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// loadOpts bound a run: it opens at most Visitors sockets and stops after
// Duration, whatever happens.
type loadOpts struct {
	URLs     []string      // servers, visitors are spread over them in turn
	Site     string        // site key; "" asks the first server's /bench/stats
	Visitors int           // sockets to open and hold
	Chatters int           // of those, how many run the playbook and chat (default: all)
	Rate     float64       // visitor messages per second, all chatters together
	Duration time.Duration // the chat phase
	Connect  time.Duration // the longest the connect phase may take
	Dial     int           // concurrent dials
	PID      int           // server process for RSS (0: none)
	Origin   string        // Origin header; defaults to the first URL
	AgentURL string        // the server whose agents the generator runs (GET /bench/agents); defaults to the last URL. Several, comma-separated: the first lists the agents and they are spread over all (one database, so every token works everywhere)
	Agents   int           // run at most this many of its agents (0: all)
}

// report is what a run measured.
type report struct {
	Servers           []string      `json:"servers"`
	Visitors          int           `json:"visitors"`
	Connected         int64         `json:"connections_held"`
	ConnectSeconds    float64       `json:"connect_seconds"`
	ConnectErrors     int64         `json:"connect_errors"`
	Chatters          int           `json:"chatters"`
	PlaybookSteps     int64         `json:"playbook_steps"`
	StepsPerSec       float64       `json:"playbook_steps_per_sec"`
	Handovers         int64         `json:"live_chats_reached"`
	Joined            int64         `json:"agents_joined"`
	Sent              int64         `json:"visitor_messages_sent"`
	Acked             int64         `json:"visitor_messages_acked"`
	Replies           int64         `json:"agent_messages_received"`
	MessagesPerSec    float64       `json:"chat_messages_per_sec"` // both directions, delivered
	DurationSeconds   float64       `json:"chat_seconds"`
	VisitorToAgent    latencyReport `json:"latency_visitor_to_agent"`
	AgentToVisitor    latencyReport `json:"latency_agent_to_visitor"`
	Lost              int64         `json:"lost"` // acked by the server, yet not in its database: a real loss
	Late              int64         `json:"late"` // stored, but not delivered both ways within the drain (an overloaded server)
	Duplicated        int64         `json:"duplicated"`
	OutOfOrder        int64         `json:"out_of_order"`
	Errors            int64         `json:"errors"`
	FirstError        string        `json:"first_error,omitempty"`
	HeapPerConn       int64         `json:"server_heap_stack_bytes_per_conn"`
	RSSPerConn        int64         `json:"server_rss_bytes_per_conn,omitempty"`
	AgentsRan         string        `json:"agents_ran"` // where the agents ran: in the generator through the API, or in a bench server
	Agents            []agentReport `json:"agents,omitempty"`
	AgentErrors       int64         `json:"agent_errors"`
	AgentReceivedMsgs int64         `json:"agent_received_visitor_messages"`
}

// visitor is one simulated widget.
type visitor struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	conv    string
	lastSeq int64
	joined  chan struct{}
	waiting chan struct{}
	once    sync.Once
	wonce   sync.Once
	sent    atomic.Int64
	acked   atomic.Int64
	replies atomic.Int64
	seenRe  map[string]bool // reader-owned
	steps   atomic.Int64
}

type run struct {
	o        loadOpts
	dialer   websocket.Dialer
	client   *http.Client
	mu       sync.Mutex
	errs     int64
	firstErr string
	lat      []time.Duration
	dups     atomic.Int64
	order    atomic.Int64
}

func (r *run) fail(err error) {
	r.mu.Lock()
	r.errs++
	if r.firstErr == "" {
		r.firstErr = err.Error()
	}
	r.mu.Unlock()
}

// checkLoopback refuses any host but 127.0.0.0/8, ::1 and localhost.
func checkLoopback(hostport string) error {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("parley-load only talks to loopback (127.0.0.0/8, ::1, localhost), not %q", host)
}

func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %q: want http:// or https://", raw)
	}
	return u, checkLoopback(u.Host)
}

func runLoad(ctx context.Context, o loadOpts) (report, error) {
	if len(o.URLs) == 0 {
		return report{}, errors.New("no server url")
	}
	for _, s := range o.URLs {
		if _, err := checkURL(s); err != nil {
			return report{}, err
		}
	}
	if o.Visitors <= 0 || o.Visitors > 50000 {
		return report{}, errors.New("-visitors must be between 1 and 50000")
	}
	if o.Chatters <= 0 || o.Chatters > o.Visitors {
		o.Chatters = o.Visitors
	}
	if o.Duration <= 0 || o.Duration > time.Hour {
		return report{}, errors.New("-duration must be between 0 and 1h")
	}
	if o.Connect <= 0 {
		o.Connect = 2 * time.Minute
	}
	if o.Dial <= 0 {
		o.Dial = 64
	}
	if o.Origin == "" {
		o.Origin = strings.TrimRight(o.URLs[0], "/")
	}
	if o.AgentURL == "" {
		o.AgentURL = o.URLs[len(o.URLs)-1]
	}
	for _, u := range strings.Split(o.AgentURL, ",") {
		if _, err := checkURL(u); err != nil {
			return report{}, err
		}
	}
	// Hard bound: whatever the server does, the run ends.
	ctx, cancel := context.WithTimeout(ctx, o.Connect+o.Duration+time.Minute)
	defer cancel()
	// One client for everything: keep-alive, and idle connections enough
	// for the concurrent dials and the agents' workers (4 per agent).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 0, o.Dial+4*maxAgents
	r := &run{o: o, client: &http.Client{Timeout: 30 * time.Second, Transport: tr},
		dialer: websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024, HandshakeTimeout: 30 * time.Second}}
	if o.Site == "" {
		st, err := r.serverStats(ctx, o.URLs[0], false)
		if err != nil {
			return report{}, fmt.Errorf("no -site, and /bench/stats: %w", err)
		}
		r.o.Site = st.Site
	}
	rep := report{Servers: o.URLs, Visitors: o.Visitors, Chatters: o.Chatters}

	// Agents first, so that their sockets are in the memory baseline and
	// see every conversation that waits.
	agents, err := r.startAgents(ctx)
	if err != nil {
		return report{}, err
	}
	if agents != nil {
		defer agents.close()
	}

	// Baselines for memory per connection.
	base := map[string]serverStats{}
	for _, s := range o.URLs {
		if st, err := r.serverStats(ctx, s, true); err == nil {
			base[s] = st
		}
	}
	rss0 := rss(o.PID)

	// Connect phase: every visitor registers, dials and says hello.
	vs := make([]*visitor, o.Visitors)
	var connected, connErrs atomic.Int64
	start := time.Now()
	sem := make(chan struct{}, o.Dial)
	var wg sync.WaitGroup
	cctx, ccancel := context.WithTimeout(ctx, o.Connect)
	for i := range vs {
		if cctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			v, err := r.connect(cctx, o.URLs[i%len(o.URLs)])
			if err != nil {
				connErrs.Add(1)
				r.fail(fmt.Errorf("connect: %w", err))
				return
			}
			vs[i] = v
			connected.Add(1)
		}()
	}
	wg.Wait()
	ccancel()
	rep.ConnectSeconds = time.Since(start).Seconds()
	rep.Connected, rep.ConnectErrors = connected.Load(), connErrs.Load()

	// Idle memory, once every socket is open and quiet.
	time.Sleep(time.Second)
	var heapDelta, n int64
	for _, s := range o.URLs {
		st, err := r.serverStats(ctx, s, true)
		if b, ok := base[s]; ok && err == nil {
			heapDelta += int64(st.HeapInuse+st.StackInuse) - int64(b.HeapInuse+b.StackInuse)
			n += int64(st.Sockets - b.Sockets)
		}
	}
	if n > 0 {
		rep.HeapPerConn = heapDelta / n
	}
	if rss0 > 0 && rep.Connected > 0 {
		rep.RSSPerConn = (rss(o.PID) - rss0) / rep.Connected
	}

	// Playbook phase: chatters start the live chat playbook and fill its form.
	var chatters []*visitor
	for _, v := range vs[:o.Chatters] {
		if v != nil {
			chatters = append(chatters, v)
		}
	}
	pstart := time.Now()
	for _, v := range chatters {
		r.send(v, map[string]any{"type": "start", "playbook": "live-chat", "on": "open"})
	}
	r.waitAll(ctx, chatters, func(v *visitor) chan struct{} { return v.waiting }, 60*time.Second)
	pdur := time.Since(pstart)
	for _, v := range chatters {
		rep.PlaybookSteps += v.steps.Load()
		select {
		case <-v.waiting:
			rep.Handovers++
		default:
		}
	}
	rep.StepsPerSec = float64(rep.PlaybookSteps) / pdur.Seconds()
	r.waitAll(ctx, chatters, func(v *visitor) chan struct{} { return v.joined }, 30*time.Second)
	var live []*visitor
	for _, v := range chatters {
		select {
		case <-v.joined:
			live = append(live, v)
		default:
		}
	}
	rep.Joined = int64(len(live))

	// Chat phase: messages at the rate, spread over the live chats in turn.
	cstart := time.Now()
	if len(live) > 0 && o.Rate > 0 {
		interval := time.Duration(float64(time.Second) / o.Rate)
		tick := time.NewTicker(max(interval, 50*time.Microsecond))
		per := 1
		if interval < 50*time.Microsecond {
			per = int(float64(50*time.Microsecond) / float64(interval))
		}
		end := time.After(o.Duration)
		k := 0
	chat:
		for {
			select {
			case <-ctx.Done():
				break chat
			case <-end:
				break chat
			case <-tick.C:
				for j := 0; j < per; j++ {
					v := live[k%len(live)]
					k++
					i := v.sent.Add(1)
					r.send(v, map[string]any{"type": "message", "client_id": fmt.Sprintf("m-%d-%d", k, i),
						"text": stamp(time.Now(), strconv.Itoa(k))})
				}
			}
		}
		tick.Stop()
	}
	rep.DurationSeconds = time.Since(cstart).Seconds()

	// Drain: wait for the replies in flight, then count.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var want, got int64
		for _, v := range live {
			want += v.sent.Load()
			got += v.replies.Load()
		}
		if got >= want {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, v := range live {
		rep.Sent += v.sent.Load()
		rep.Acked += v.acked.Load()
		rep.Replies += v.replies.Load()
	}
	if agents != nil {
		agents.close()
		rep.Agents = append(rep.Agents, agents.set.report())
	}
	for _, s := range o.URLs {
		if st, err := r.serverStats(ctx, s, false); err == nil && st.Agents != nil {
			rep.Agents = append(rep.Agents, *st.Agents)
		}
	}
	perConv := map[string]int64{}
	var where []string
	for _, a := range rep.Agents {
		where = append(where, a.Where)
		rep.AgentErrors += a.Errors
		rep.AgentReceivedMsgs += a.Received
		rep.Duplicated += a.Duplicates
		rep.OutOfOrder += a.OutOfOrder
		rep.VisitorToAgent = a.Latency // one set of agents in the bench setups
		for c, n := range a.PerConv {
			perConv[c] += n
		}
	}
	for _, v := range vs {
		if v != nil {
			v.ws.Close()
		}
	}
	r.mu.Lock()
	rep.AgentToVisitor = latencies(r.lat)
	rep.Errors, rep.FirstError = r.errs, r.firstErr
	r.mu.Unlock()
	rep.Duplicated += r.dups.Load()
	rep.OutOfOrder += r.order.Load()
	rep.AgentsRan = strings.Join(where, "; ")
	if where == nil {
		rep.AgentsRan = "nowhere: no agents (serve -agents M)"
	}
	// Short, per conversation: a message sent without a reply back, or
	// (when agents reported) one that never reached an agent. The server's
	// database tells which of those it stored (late: the server was behind)
	// and which it acked but does not have (lost).
	for _, v := range live {
		sent := v.sent.Load()
		short := sent - v.replies.Load()
		if rep.Agents != nil {
			short = max(short, sent-perConv[v.conv])
		}
		if short <= 0 {
			continue
		}
		stored, err := r.stored(ctx, v.conv)
		if err != nil {
			rep.Lost += short // cannot tell: count the worst
			r.fail(fmt.Errorf("stored messages of %s: %w", v.conv, err))
			continue
		}
		lost := max(0, v.acked.Load()-stored)
		rep.Lost += lost
		rep.Late += max(0, short-lost)
	}
	for i := range rep.Agents {
		rep.Agents[i].PerConv = nil // used up; the report stays short
	}
	if rep.DurationSeconds > 0 {
		rep.MessagesPerSec = float64(rep.AgentReceivedMsgs+rep.Replies) / rep.DurationSeconds
	}
	return rep, nil
}

// stored is how many visitor messages of conversation conv the server's
// database holds (GET /bench/stored/ID; every server reads the same one).
func (r *run) stored(ctx context.Context, conv string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(r.o.URLs[0], "/")+"/bench/stored/"+url.PathEscape(conv), nil)
	res, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var out struct {
		VisitorMessages int64 `json:"visitor_messages"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %v", res.Status, err)
	}
	return out.VisitorMessages, nil
}

// maxAgents bounds the agents one generator runs.
const maxAgents = 1000

// startAgents runs the agents of o.AgentURL through the API, unless that
// server runs its own in process, or has none (nil, nil).
func (r *run) startAgents(ctx context.Context) (*apiAgents, error) {
	bases := strings.Split(r.o.AgentURL, ",")
	base := strings.TrimRight(bases[0], "/")
	var ba benchAgents
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/bench/agents", nil)
	res, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("agents: %w", err)
	}
	err = json.NewDecoder(res.Body).Decode(&ba)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || err != nil {
		return nil, fmt.Errorf("agents: %s/bench/agents: %s %v", base, res.Status, err)
	}
	creds := ba.Agents
	if r.o.Agents > 0 && r.o.Agents < len(creds) {
		creds = creds[:r.o.Agents]
	}
	switch {
	case ba.InProcess || len(creds) == 0:
		return nil, nil
	case len(creds) > maxAgents:
		return nil, fmt.Errorf("agents: %d, at most %d", len(creds), maxAgents)
	}
	a, err := startAPIAgents(ctx, bases, creds, r.client, &r.dialer)
	if err != nil {
		return nil, fmt.Errorf("agents: %w", err)
	}
	return a, nil
}

func (r *run) waitAll(ctx context.Context, vs []*visitor, ch func(*visitor) chan struct{}, limit time.Duration) {
	t := time.NewTimer(limit)
	defer t.Stop()
	for _, v := range vs {
		select {
		case <-ch(v):
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (r *run) serverStats(ctx context.Context, base string, gc bool) (serverStats, error) {
	var st serverStats
	u := strings.TrimRight(base, "/") + "/bench/stats"
	if gc {
		u += "?gc=1"
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	res, err := r.client.Do(req)
	if err != nil {
		return st, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return st, fmt.Errorf("%s: %s", u, res.Status)
	}
	return st, json.NewDecoder(res.Body).Decode(&st)
}

// rss is the resident set of a process in bytes, from /proc (Linux).
func rss(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func (r *run) connect(ctx context.Context, base string) (*visitor, error) {
	base = strings.TrimRight(base, "/")
	body, _ := json.Marshal(map[string]string{"site": r.o.Site})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/widget/v1/visitors", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", r.o.Origin)
	res, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	var tok struct {
		Token string `json:"visitor_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&tok)
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || tok.Token == "" {
		return nil, fmt.Errorf("register visitor: %s %v", res.Status, err)
	}
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/widget/v1/ws?site=" + url.QueryEscape(r.o.Site) + "&token=" + url.QueryEscape(tok.Token)
	ws, _, err := r.dialer.DialContext(ctx, wsURL, http.Header{"Origin": {r.o.Origin}})
	if err != nil {
		return nil, err
	}
	v := &visitor{ws: ws, joined: make(chan struct{}), waiting: make(chan struct{}), seenRe: map[string]bool{}}
	if err := r.write(v, map[string]any{"type": "hello", "last_seq": 0, "page": map[string]string{"url": r.o.Origin + "/pricing", "title": "Pricing"}}); err != nil {
		ws.Close()
		return nil, err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return nil, err
	}
	if !bytes.Contains(msg, []byte(`"welcome"`)) {
		ws.Close()
		return nil, fmt.Errorf("want welcome, got %.200s", msg)
	}
	ws.SetReadDeadline(time.Time{})
	go r.read(v)
	return v, nil
}

func (r *run) write(v *visitor, frame any) error {
	b, _ := json.Marshal(frame)
	v.wmu.Lock()
	defer v.wmu.Unlock()
	v.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return v.ws.WriteMessage(websocket.TextMessage, b)
}

func (r *run) send(v *visitor, frame any) {
	if err := r.write(v, frame); err != nil {
		r.fail(fmt.Errorf("write: %w", err))
	}
}

// inFrame is what the visitor reads from the server.
type inFrame struct {
	Type         string `json:"type"`
	Seq          int64  `json:"seq"`
	Kind         string `json:"kind"`
	Card         string `json:"card"`
	Field        *int   `json:"field"`
	Text         string `json:"text"`
	Conversation string `json:"conversation"`
	Code         string `json:"code"`
	Message      string `json:"message"`
	ClientID     string `json:"client_id"`
}

var formValues = []string{"Load Visitor", "visitor@load.example", "Load Inc"}

func (r *run) read(v *visitor) {
	for {
		_, msg, err := v.ws.ReadMessage()
		now := time.Now()
		if err != nil {
			return // closed at the end of the run, or by the server (counted by the missing replies)
		}
		var f inFrame
		if json.Unmarshal(msg, &f) != nil {
			r.fail(fmt.Errorf("bad frame %.100s", msg))
			continue
		}
		switch f.Type {
		case "started":
			v.conv = f.Conversation
		case "ack":
			if strings.HasPrefix(f.ClientID, "m-") {
				v.acked.Add(1)
			}
		case "error":
			r.fail(fmt.Errorf("server error %s: %s", f.Code, f.Message))
		case "event":
			if f.Seq <= v.lastSeq {
				if f.Seq == v.lastSeq {
					r.dups.Add(1)
				} else {
					r.order.Add(1)
				}
				continue
			}
			v.lastSeq = f.Seq
			r.event(v, f, now)
		}
	}
}

func (r *run) event(v *visitor, f inFrame, now time.Time) {
	switch f.Kind {
	case "question":
		if f.Card != "contact" || f.Field == nil || *f.Field >= len(formValues) {
			return
		}
		v.steps.Add(1)
		r.send(v, map[string]any{"type": "answer", "client_id": fmt.Sprintf("f-%d-%d", *f.Field, f.Seq), "card": f.Card,
			"field": *f.Field, "value": formValues[*f.Field]})
	case "waiting":
		v.steps.Add(1) // the last answer's step reached the live chat card
		v.wonce.Do(func() { close(v.waiting) })
	case "offline":
		r.fail(errors.New("nobody claimed a live chat in time (offline)"))
		v.wonce.Do(func() { close(v.waiting) })
	case "agent_joined":
		v.once.Do(func() { close(v.joined) })
	case "agent_message":
		sent, tag, ok := parseStamp(f.Text)
		if !ok {
			return
		}
		if v.seenRe[tag] {
			r.dups.Add(1)
			return
		}
		v.seenRe[tag] = true
		v.replies.Add(1)
		r.mu.Lock()
		if len(r.lat) < maxSamples {
			r.lat = append(r.lat, now.Sub(sent))
		}
		r.mu.Unlock()
	}
}
