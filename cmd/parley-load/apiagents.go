package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parley/parley/livechat"
)

// apiAgents runs the agents in the generator as the agent app would: each
// agent has its API token (x-api-token) and its own agent socket
// (GET /api/v1/realtime, hello with last_event), and sends its commands over
// REST: POST /api/v1/conversations/{id}/assign {user_id: me} to claim (409:
// someone else won) and POST /api/v1/conversations/{id}/messages
// {client_id, text} to answer.
type apiAgents struct {
	bases  []string // agent i talks to bases[i % len]: agents behind a load balancer
	client *http.Client
	dialer *websocket.Dialer
	creds  []benchAgent
	set    *agentSet
	closed atomic.Bool
	cancel context.CancelFunc
	done   sync.WaitGroup

	mu    sync.Mutex
	conns []*websocket.Conn
}

// resumeMargin: after a dropped socket the agent resumes this many event
// ids before the last one it saw, because events of different
// conversations may be published slightly out of id order; what it has
// already seen is skipped (agentSet.observe), and the server replays at
// most 10,000 events before it asks for a reload.
const resumeMargin = 1000

// agentsFrame is an agent socket frame: welcome, or an event whose data is
// a stored event (message.created, lead.created, deal.created) or a
// conversation (conversation.*).
type agentsFrame struct {
	Type      string          `json:"type"`
	ID        int64           `json:"id"`
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	LastEvent int64           `json:"last_event"` // welcome
	Reset     bool            `json:"reset"`      // welcome: too far behind to replay
}

type wireEvent struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Kind           string `json:"kind"`
	Data           struct {
		Text string `json:"text"`
	} `json:"data"`
}

type wireConversation struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	AssigneeID *int64 `json:"assignee_id"`
}

// startAPIAgents opens one socket per agent and returns once every socket
// has its welcome, so no conversation that waits later is missed.
func startAPIAgents(ctx context.Context, bases []string, creds []benchAgent, client *http.Client, dialer *websocket.Dialer) (*apiAgents, error) {
	ctx, cancel := context.WithCancel(ctx)
	a := &apiAgents{client: client, dialer: dialer, creds: creds, conns: make([]*websocket.Conn, len(creds)), cancel: cancel}
	for _, b := range bases {
		a.bases = append(a.bases, strings.TrimRight(b, "/"))
	}
	a.set = newAgentSet(ctx, a, "in the generator, through the API and agent sockets of "+strings.Join(a.bases, ", "), len(creds), len(creds))
	for i := range creds {
		ws, _, err := a.dial(ctx, i, nil)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("agent %s: socket: %w", creds[i].Email, err)
		}
		a.done.Add(1)
		go a.read(ctx, i, ws)
	}
	return a, nil
}

// base is the server agent i works on.
func (a *apiAgents) base(i int) string { return a.bases[i%len(a.bases)] }

// dial opens agent i's socket and says hello; from nil means live only.
func (a *apiAgents) dial(ctx context.Context, i int, from *int64) (*websocket.Conn, agentsFrame, error) {
	var welcome agentsFrame
	wsURL := "ws" + strings.TrimPrefix(a.base(i), "http") + "/api/v1/realtime"
	ws, _, err := a.dialer.DialContext(ctx, wsURL, http.Header{"x-api-token": {a.creds[i].Token}})
	if err != nil {
		return nil, welcome, err
	}
	b, _ := json.Marshal(map[string]any{"type": "hello", "last_event": from})
	ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
		ws.Close()
		return nil, welcome, err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err == nil && (json.Unmarshal(msg, &welcome) != nil || welcome.Type != "welcome") {
		err = fmt.Errorf("want welcome, got %.200s", msg)
	}
	if err != nil {
		ws.Close()
		return nil, welcome, err
	}
	ws.SetReadDeadline(time.Time{})
	a.mu.Lock()
	a.conns[i] = ws
	a.mu.Unlock()
	if a.closed.Load() { // close ran while this dial was in flight
		ws.Close()
		return nil, welcome, errors.New("closed")
	}
	return ws, welcome, nil
}

// read is agent i's one reader. A socket the server drops (a slow reader
// is dropped with 4000) is reopened with last_event, as the app does,
// until the run ends.
func (a *apiAgents) read(ctx context.Context, i int, ws *websocket.Conn) {
	defer a.done.Done()
	var last int64 // highest event id received
	for {
		_, msg, err := ws.ReadMessage()
		now := time.Now()
		if err != nil {
			ws.Close()
			if ws = a.redial(ctx, i, last); ws == nil {
				return
			}
			continue
		}
		var f agentsFrame
		if json.Unmarshal(msg, &f) != nil {
			a.set.fail(fmt.Errorf("agent socket: bad frame %.100s", msg))
			continue
		}
		if f.Type != "event" {
			continue
		}
		last = max(last, f.ID)
		var s sighting
		switch {
		case f.Event == "message.created":
			var e wireEvent
			if json.Unmarshal(f.Data, &e) != nil {
				a.set.fail(fmt.Errorf("agent socket: bad event %.100s", msg))
				continue
			}
			// A stored waiting event is the queue entry a replay carries too.
			s = sighting{conv: e.ConversationID, waiting: e.Kind == livechat.KindWaiting, message: true,
				id: f.ID, seq: e.Seq, kind: e.Kind, text: e.Data.Text}
		case strings.HasPrefix(f.Event, "conversation."):
			var c wireConversation
			if json.Unmarshal(f.Data, &c) != nil {
				a.set.fail(fmt.Errorf("agent socket: bad conversation %.100s", msg))
				continue
			}
			s = sighting{conv: c.ID, waiting: c.State == livechat.StateWaiting && c.AssigneeID == nil}
		default:
			continue
		}
		a.set.observe(i, s, now)
	}
}

// redial reopens agent i's socket from a little before event last; nil
// once the run is over.
func (a *apiAgents) redial(ctx context.Context, i int, last int64) *websocket.Conn {
	for {
		if a.closed.Load() || ctx.Err() != nil {
			return nil
		}
		from := max(0, last-resumeMargin)
		ws, welcome, err := a.dial(ctx, i, &from)
		if err == nil {
			a.set.reconnected(i)
			if welcome.Reset {
				a.set.fail(fmt.Errorf("agent %s: too far behind to resume from event %d", a.creds[i].Email, from))
			}
			return ws
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// close stops the agents: commands in flight, sockets, and their readers.
func (a *apiAgents) close() {
	a.closed.Store(true)
	a.cancel()
	a.mu.Lock()
	for _, ws := range a.conns {
		if ws != nil {
			ws.Close()
		}
	}
	a.mu.Unlock()
	a.done.Wait()
}

func (a *apiAgents) assign(ctx context.Context, k int, conv string) error {
	return a.post(ctx, k, "/api/v1/conversations/"+url.PathEscape(conv)+"/assign", map[string]int64{"user_id": a.creds[k].ID})
}

func (a *apiAgents) reply(ctx context.Context, k int, conv, clientID, text string) error {
	return a.post(ctx, k, "/api/v1/conversations/"+url.PathEscape(conv)+"/messages", map[string]string{"client_id": clientID, "text": text})
}

// post sends one command as agent k; 409 is errConflict.
func (a *apiAgents) post(ctx context.Context, k int, path string, body any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base(k)+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-token", a.creds[k].Token)
	res, err := a.client.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10)) // read to the end: the connection is kept
	res.Body.Close()
	switch {
	case res.StatusCode == http.StatusConflict:
		return fmt.Errorf("POST %s: %w: %.200s", path, errConflict, msg)
	case res.StatusCode >= 300:
		return fmt.Errorf("POST %s: %s: %.200s", path, res.Status, msg)
	}
	return nil
}
