package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/parley/parley/livechat"
)

// The agent socket (realtime.md, Agent). It carries events only; commands
// go through REST. Per connection: the handler's goroutine is the one
// writer (replay, live frames, pings), a second goroutine is the one reader
// (the hello, pongs, and noticing a close). The bounded queue is the hub
// subscription: a client that falls DefaultBuffer frames behind is dropped
// and resumes with its last event id.
const (
	agentWriteWait  = 10 * time.Second
	agentPongWait   = 60 * time.Second
	agentPingPeriod = agentPongWait * 9 / 10
	agentHelloWait  = 10 * time.Second
	agentReadLimit  = 4 << 10
	// An agent socket gets other servers' events in the bus's batches (up
	// to 500 at once) and an admin gets every chat's: 256 frames dropped
	// agents under load, who then reconnected and replayed in a loop. There
	// are few agents, so each can have a deep queue (~0.5 MB).
	agentQueue       = 4096
	agentReplayPage  = 1000
	agentReplayPages = 10 // beyond this, the client is told to reload instead
	// CloseSlowClient tells a dropped client to reconnect with last_event.
	closeSlowClient = 4000
)

// agentUpgrader checks no Origin itself: agentSocket has done so for
// cookie-authenticated requests, and API tokens are not sent by browsers on
// their own, so a foreign page cannot ride on them.
var agentUpgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true },
}

// sameOrigin tells whether the page that opened the socket is ours: with a
// session cookie, any site could otherwise open a socket as the signed-in
// agent (cross-site WebSocket hijacking).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// helloFrame opens the stream. LastEvent is the id of the last event the
// client has (the welcome's last_event when it saw none since); null or
// absent means a fresh page that loads its folders over REST: no replay.
type helloFrame struct {
	Type      string `json:"type"`
	LastEvent *int64 `json:"last_event"`
}

func (s *Server) agentSocket(c *gin.Context) {
	p := caller(c)
	if p.session != nil && !sameOrigin(c.Request) {
		s.fail(c, errStatus(http.StatusForbidden, "the agent socket only accepts this server's own pages"))
		return
	}
	if !websocket.IsWebSocketUpgrade(c.Request) {
		s.fail(c, errStatus(http.StatusBadRequest, "this endpoint is a WebSocket: send an upgrade request"))
		return
	}
	// Subscribe before reading the replay, so nothing published in between
	// is missed (the overlap is removed by event id below).
	sub := s.live.Hub().SubscribeAgents(agentQueue)
	defer sub.Close()
	ws, err := agentUpgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer ws.Close()
	// The request context ends with the handler; the socket outlives
	// nothing but this function.
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.Request.Context()))
	defer cancel()
	conn := &agentConn{s: s, ws: ws, sub: sub, userID: p.user.ID, admin: p.user.IsAdmin(), known: map[string]bool{}, replayed: map[int64]bool{}}
	hello := make(chan helloFrame, 1)
	go conn.read(hello, cancel)
	conn.run(ctx, hello)
}

// agentConn is one agent socket.
type agentConn struct {
	s      *Server
	ws     *websocket.Conn
	sub    *livechat.Subscription
	userID int64
	admin  bool
	// known holds the conversations this client has been shown and may
	// still see: when one becomes another agent's, the client gets one
	// content-free conversation.updated saying so, then nothing more.
	known map[string]bool
	// replayed holds the ids the replay sent, to drop the same events
	// arriving live (the subscription started before the replay read).
	// Not a high-water mark: events of different conversations may be
	// published slightly out of id order, and none may be skipped.
	replayed map[int64]bool
}

// read is the one reader: the hello, then only pongs and the close.
func (a *agentConn) read(hello chan<- helloFrame, done context.CancelFunc) {
	defer done()
	a.ws.SetReadLimit(agentReadLimit)
	_ = a.ws.SetReadDeadline(time.Now().Add(agentPongWait))
	a.ws.SetPongHandler(func(string) error { return a.ws.SetReadDeadline(time.Now().Add(agentPongWait)) })
	first := true
	for {
		_, msg, err := a.ws.ReadMessage()
		if err != nil {
			return
		}
		if !first {
			continue // the socket carries events only; commands are REST
		}
		var h helloFrame
		if json.Unmarshal(msg, &h) != nil || h.Type != "hello" {
			continue
		}
		first = false
		hello <- h
	}
}

func (a *agentConn) write(b []byte) error {
	_ = a.ws.SetWriteDeadline(time.Now().Add(agentWriteWait))
	return a.ws.WriteMessage(websocket.TextMessage, b)
}

func (a *agentConn) closeWith(code int, reason string) {
	_ = a.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(agentWriteWait))
}

// run is the one writer.
func (a *agentConn) run(ctx context.Context, hello <-chan helloFrame) {
	var h helloFrame
	select {
	case h = <-hello:
	case <-ctx.Done():
		return
	case <-time.After(agentHelloWait):
		a.closeWith(websocket.ClosePolicyViolation, "send hello first")
		return
	}
	if err := a.seedKnown(ctx); err != nil {
		a.s.log.Error("agent socket: seed", "err", err)
		a.closeWith(websocket.CloseInternalServerErr, "internal error")
		return
	}
	if err := a.replay(ctx, h.LastEvent); err != nil {
		a.s.log.Warn("agent socket: replay", "err", err)
		a.closeWith(websocket.CloseInternalServerErr, "internal error")
		return
	}
	ping := time.NewTicker(agentPingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if err := a.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(agentWriteWait)); err != nil {
				return
			}
		case f, ok := <-a.sub.C:
			if !ok {
				if a.sub.Dropped() {
					a.closeWith(closeSlowClient, "too slow; reconnect with last_event")
				}
				return
			}
			if err := a.deliver(f); err != nil {
				return
			}
		}
	}
}

// seedKnown marks the chats the client's folders show right now, so that
// a claim by another agent removes them from its queue.
func (a *agentConn) seedKnown(ctx context.Context) error {
	for _, folder := range []string{"unassigned", "mine"} {
		cs, err := a.s.live.ListConversations(ctx, livechat.ConversationFilter{Folder: folder, AgentID: a.userID, Limit: 500})
		if err != nil {
			return err
		}
		for _, c := range cs {
			a.known[c.ID] = true
		}
	}
	return nil
}

// replay sends the stored events after lastEvent that the agent may see
// now (by the conversation's current holder), after a welcome naming where
// the stream stands. A client that is too far behind gets reset: true and
// reloads its folders instead of a flood.
func (a *agentConn) replay(ctx context.Context, from *int64) error {
	latest, err := a.s.live.LastEventID(ctx)
	if err != nil {
		return err
	}
	welcome := map[string]any{"type": "welcome", "last_event": latest, "user_id": a.userID}
	if from == nil || *from < 0 || *from > latest {
		// Nothing to resume from: the page loads its folders over REST.
		return a.writeJSON(welcome)
	}
	lastEvent := *from
	var evs []livechat.Event
	after := lastEvent
	for range agentReplayPages {
		page, err := a.s.live.EventsSince(ctx, after, agentReplayPage)
		if err != nil {
			return err
		}
		evs = append(evs, page...)
		if len(page) < agentReplayPage {
			break
		}
		after = page[len(page)-1].ID
	}
	if n := len(evs); n > 0 && n >= agentReplayPage*agentReplayPages {
		welcome["reset"] = true
		return a.writeJSON(welcome)
	}
	if err := a.writeJSON(welcome); err != nil {
		return err
	}
	visible := map[string]bool{}
	for _, e := range evs {
		ok, seen := visible[e.ConversationID]
		if !seen {
			c, err := a.s.live.GetConversation(ctx, e.ConversationID)
			ok = err == nil && livechat.CanSee(c, a.userID, a.admin)
			visible[e.ConversationID] = ok
		}
		a.replayed[e.ID] = true
		if !ok {
			continue
		}
		a.known[e.ConversationID] = true
		if err := a.write(e.AgentFrame()); err != nil {
			return err
		}
	}
	return nil
}

func (a *agentConn) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return a.write(b)
}

// deliver filters one live frame by visibility at send time.
func (a *agentConn) deliver(f livechat.Frame) error {
	if f.Agent == nil {
		return nil
	}
	if f.Seq != 0 && a.replayed[f.EventID] {
		delete(a.replayed, f.EventID)
		return nil // already in the replay
	}
	if !f.VisibleTo(a.userID, a.admin) {
		if !a.known[f.ConversationID] {
			return nil
		}
		delete(a.known, f.ConversationID)
		var holder *int64
		if f.AssigneeID != 0 {
			holder = &f.AssigneeID
		}
		return a.writeJSON(map[string]any{"type": "event", "id": f.EventID, "event": "conversation.updated",
			"data": map[string]any{"id": f.ConversationID, "state": f.State, "assignee_id": holder, "gone": true}})
	}
	if f.ConversationID != "" {
		a.known[f.ConversationID] = true
	}
	return a.write(f.Agent)
}
