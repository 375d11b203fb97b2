package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type fakeDriver struct {
	mu      sync.Mutex
	replies []string
}

func (f *fakeDriver) assign(context.Context, int, string) error { return nil }

func (f *fakeDriver) reply(_ context.Context, k int, conv, clientID, text string) error {
	f.mu.Lock()
	f.replies = append(f.replies, conv+" "+clientID)
	f.mu.Unlock()
	return nil
}

// TestAgentSetChecks: a visitor message seen on two agents' sockets is
// counted and answered once; the same event twice on one connection is a
// duplicate, but not the resume overlap after a reconnect; a seq going
// back is out of order.
func TestAgentSetChecks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drv := &fakeDriver{}
	a := newAgentSet(ctx, drv, "test", 2, 2)
	now := time.Now()
	msg := func(id, seq int64) sighting {
		return sighting{conv: "c1", message: true, id: id, seq: seq, kind: "visitor_message", text: stamp(now, "t")}
	}
	a.observe(0, sighting{conv: "c1", waiting: true}, now)
	a.observe(1, sighting{conv: "c1", waiting: true}, now) // one claim
	a.observe(0, msg(10, 5), now)
	a.observe(1, msg(10, 5), now) // the other agent's socket: no duplicate, no second reply
	a.observe(0, msg(10, 5), now) // duplicate on socket 0
	a.reconnected(0)
	a.observe(0, msg(10, 5), now) // resume overlap
	a.observe(0, msg(12, 7), now)
	a.observe(0, msg(11, 6), now) // out of order
	deadline := time.Now().Add(5 * time.Second)
	for a.report().Replies < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r := a.report()
	if r.Claims != 1 || r.Received != 3 || r.Replies != 3 || r.Duplicates != 1 || r.OutOfOrder != 1 || r.Reconnects != 1 || r.Errors != 0 || r.PerConv["c1"] != 3 {
		t.Errorf("%+v", r)
	}
	if len(drv.replies) != 3 || drv.replies[0] != "c1 r-10" {
		t.Errorf("replies %q", drv.replies)
	}
}

// TestAPIAgentReconnect: an API agent whose socket drops resumes with
// last_event, and a message sent meanwhile still reaches it once and is
// answered once.
func TestAPIAgentReconnect(t *testing.T) {
	ctx := context.Background()
	s, err := startServer(ctx, serverOpts{DB: filepath.Join(t.TempDir(), "load.db"), Addr: "127.0.0.1:0", Agents: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := &run{o: loadOpts{Site: s.site.SiteKey, Origin: s.URL(), AgentURL: s.URL()}, client: &http.Client{Timeout: 10 * time.Second},
		dialer: websocket.Dialer{HandshakeTimeout: 10 * time.Second}}
	ag, err := r.startAgents(ctx)
	if err != nil || ag == nil {
		t.Fatalf("agents: %v %v", ag, err)
	}
	defer ag.close()
	v, err := r.connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer v.ws.Close()
	r.send(v, map[string]any{"type": "start", "playbook": "live-chat", "on": "open"})
	select {
	case <-v.joined:
	case <-time.After(10 * time.Second):
		t.Fatal("no agent joined")
	}
	ag.mu.Lock()
	ag.conns[0].Close() // the reader reconnects
	ag.mu.Unlock()
	v.sent.Add(1)
	r.send(v, map[string]any{"type": "message", "client_id": "m-1", "text": stamp(time.Now(), "1")})
	deadline := time.Now().Add(10 * time.Second)
	for v.replies.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for a duplicate
	ag.close()
	rep := ag.set.report()
	b, _ := json.Marshal(rep)
	r.mu.Lock()
	errs, first := r.errs, r.firstErr
	r.mu.Unlock()
	if v.replies.Load() != 1 || rep.Claims != 1 || rep.Received != 1 || rep.Replies != 1 || rep.Reconnects != 1 ||
		rep.Duplicates != 0 || rep.OutOfOrder != 0 || rep.Errors != 0 || errs != 0 || r.dups.Load() != 0 {
		t.Errorf("%d replies at the visitor (errors %d %s), agents %s", v.replies.Load(), errs, first, b)
	}
}
