package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

type agentFrame struct {
	Type      string          `json:"type"`
	ID        int64           `json:"id"`
	Event     string          `json:"event"`
	LastEvent int64           `json:"last_event"`
	Data      json.RawMessage `json:"data"`
}

// convID is the conversation a frame is about, whatever its event.
func (f agentFrame) convID() string {
	var d struct {
		ConversationID string `json:"conversation_id"`
		ID             any    `json:"id"`
	}
	_ = json.Unmarshal(f.Data, &d)
	if d.ConversationID != "" {
		return d.ConversationID
	}
	if s, ok := d.ID.(string); ok {
		return s
	}
	return ""
}

type agentSock struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan agentFrame
}

func (e *liveEnv) dialAgent(a agentUser, lastEvent *int64) (*agentSock, agentFrame) {
	e.t.Helper()
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/v1/realtime"
	ws, res, err := websocket.DefaultDialer.Dial(u, http.Header{"X-Api-Token": {a.token}})
	if err != nil {
		e.t.Fatalf("dial: %v %v", err, res)
	}
	s := &agentSock{t: e.t, ws: ws, frames: make(chan agentFrame, 512)}
	e.t.Cleanup(func() { ws.Close() })
	go func() {
		defer close(s.frames)
		for {
			var f agentFrame
			if err := ws.ReadJSON(&f); err != nil {
				return
			}
			s.frames <- f
		}
	}()
	if err := ws.WriteJSON(map[string]any{"type": "hello", "last_event": lastEvent}); err != nil {
		e.t.Fatal(err)
	}
	w := s.next(func(f agentFrame) bool { return f.Type == "welcome" })
	return s, w
}

// next waits for a frame matching ok, failing after 5 s.
func (s *agentSock) next(ok func(agentFrame) bool) agentFrame {
	s.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case f, open := <-s.frames:
			if !open {
				s.t.Fatal("socket closed")
			}
			if ok(f) {
				return f
			}
		case <-timeout:
			s.t.Fatal("no matching frame within 5s")
		}
	}
}

// drain returns what arrives within d.
func (s *agentSock) drain(d time.Duration) []agentFrame {
	var out []agentFrame
	timeout := time.After(d)
	for {
		select {
		case f, open := <-s.frames:
			if !open {
				return out
			}
			out = append(out, f)
		case <-timeout:
			return out
		}
	}
}

// Two agents on the socket: both see the queued chat, the loser of the
// claim is told once that it is gone and then hears nothing of it, live or
// on replay; the winner gets everything.
func TestAgentSocketFiltersByVisibility(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		ann, bob := e.newAgent("ann"), e.newAgent("bob")
		as, aw := e.dialAgent(ann, nil)
		bs, _ := e.dialAgent(bob, nil)
		vi := e.newVisitor()
		c := vi.startLiveChat("Vera", "vera@example.com", "Acme")
		for _, s := range []*agentSock{as, bs} {
			s.next(func(f agentFrame) bool { return f.Event == "conversation.updated" && f.convID() == c.ID })
		}
		expect(t, e.as(ann, "POST", "/api/v1/conversations/"+c.ID+"/assign", map[string]any{"user_id": ann.ID}), 200)
		as.next(func(f agentFrame) bool { return f.Event == "conversation.assigned" && f.convID() == c.ID })
		gone := bs.next(func(f agentFrame) bool { return f.convID() == c.ID })
		if gone.Event != "conversation.updated" || !strings.Contains(string(gone.Data), `"gone":true`) || strings.Contains(string(gone.Data), "Vera") {
			t.Fatalf("bob's notice: %s %s", gone.Event, gone.Data)
		}
		vi.say("secret plans")
		as.next(func(f agentFrame) bool {
			return f.Event == "message.created" && strings.Contains(string(f.Data), "secret plans")
		})
		for _, f := range bs.drain(300 * time.Millisecond) {
			if f.convID() == c.ID || strings.Contains(string(f.Data), "secret") {
				t.Fatalf("bob got %s %s", f.Event, f.Data)
			}
		}
		// Replays: from before the chat started, Ann gets its events, Bob none.
		as2, _ := e.dialAgent(ann, &aw.LastEvent)
		got := as2.drain(300 * time.Millisecond)
		seen := false
		for _, f := range got {
			if strings.Contains(string(f.Data), "secret plans") {
				seen = true
			}
		}
		if !seen {
			t.Fatalf("ann's replay lacks the message: %d frames", len(got))
		}
		bs2, _ := e.dialAgent(bob, &aw.LastEvent)
		for _, f := range bs2.drain(300 * time.Millisecond) {
			if f.convID() == c.ID {
				t.Fatalf("bob's replay has %s %s", f.Event, f.Data)
			}
		}
		// Status switches reach every agent.
		expect(t, e.as(ann, "PATCH", "/api/v1/users/me/status", map[string]any{"status": "invisible"}), 200)
		bs2.next(func(f agentFrame) bool {
			return f.Event == "agent.status" && strings.Contains(string(f.Data), "invisible")
		})
	})
}

// With the session cookie the socket only opens from the server's own pages.
func TestAgentSocketChecksOriginForCookies(t *testing.T) {
	e := newLiveEnv(t, schematest.SQLite(t), false)
	r := e.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"email": "sam@example.com", "password": "agent-password"}})
	expect(t, r, 200)
	var cookie string
	for _, c := range r.Header.Values("Set-Cookie") {
		cookie = strings.SplitN(c, ";", 2)[0]
	}
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/v1/realtime"
	_, res, err := websocket.DefaultDialer.Dial(u, http.Header{"Cookie": {cookie}, "Origin": {"https://evil.example"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v %v", err, res)
	}
	ws, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Cookie": {cookie}, "Origin": {e.srv.URL}})
	if err != nil {
		t.Fatalf("own origin: %v", err)
	}
	ws.Close()
	if _, res, _ := websocket.DefaultDialer.Dial(u, nil); res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no credentials: %v", res)
	}
}

// The PostgreSQL bus hands a server other servers' events in batches of up
// to 500, all at once: an agent's socket must take such a burst without
// being dropped as too slow (it was, with a 256-frame queue, and then
// reconnected and replayed over and over under load).
func TestAgentSocketTakesABurst(t *testing.T) {
	e := newLiveEnv(t, schematest.SQLite(t), false)
	ann := e.newAgent("ann")
	as, _ := e.dialAgent(ann, nil)
	const n = 2000
	for i := 1; i <= n; i++ {
		e.live.Hub().Publish(livechat.Frame{ConversationID: "c-burst", State: livechat.StateWaiting,
			Agent: []byte(fmt.Sprintf(`{"type":"event","id":%d,"event":"conversation.updated","data":{"id":"c-burst"}}`, i))})
	}
	got := 0
	for got < n {
		f := as.next(func(f agentFrame) bool { return f.Event == "conversation.updated" })
		if got++; f.ID != int64(got) {
			t.Fatalf("frame %d has id %d", got, f.ID)
		}
	}
}
