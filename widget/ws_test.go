package widget

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

func (e *env) storedEvents(conv string) []livechat.Event {
	e.t.Helper()
	evs, err := e.live.Events(e.ctx, conv, 0, false)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// startLiveChat connects a new visitor, starts the live-chat sample and
// returns the client, its token, the conversation and the first question.
func (e *env) startLiveChat() (*client, string, string, frame) {
	e.t.Helper()
	tok := e.token()
	c := e.connect(tok)
	if w := c.hello(0); w["conversation"] != nil {
		e.t.Fatalf("new visitor has a conversation: %v", w)
	}
	c.send(frame{"type": "start"})
	started := c.expect("started", "")
	conv := started.str("conversation")
	if conv == "" {
		e.t.Fatalf("started without conversation: %v", started)
	}
	if bot, _ := started["bot"].(map[string]any); bot["name"] != "Robin" {
		e.t.Errorf("started frame bot = %v, want Robin from the playbook", started["bot"])
	}
	q := c.expect("event", "question")
	return c, tok, conv, q
}

func TestSocketConversationReplayAndDuplicates(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		e.publish("live-chat.yaml")
		c, tok, conv, q := e.startLiveChat()
		if q.str("card") != "contact" || q.num("field") != 0 || q.str("input") != "name" {
			t.Fatalf("first question = %v, want the contact form's name field", q)
		}

		// Answer the name; the ack carries the stored event's seq.
		c.send(frame{"type": "answer", "client_id": "c-1", "card": "contact", "field": 0, "value": "Ada Lovelace"})
		got := c.await("ack", "event:answer", "event:question")
		ack := got["ack"]
		if ack.str("client_id") != "c-1" || ack.num("seq") != got["event:answer"].num("seq") {
			t.Fatalf("ack = %v, answer event %v", ack, got["event:answer"])
		}
		next := got["event:question"]
		if next.num("field") != 1 {
			t.Fatalf("after the name, question = %v", next)
		}
		seenSeq := next.num("seq")
		before := len(e.storedEvents(conv))

		// A resend of the same client_id (after a lost ack) gets the same
		// ack and stores nothing.
		c.send(frame{"type": "answer", "client_id": "c-1", "card": "contact", "field": 0, "value": "Ada Lovelace"})
		dup := c.expect("ack", "")
		if dup.num("seq") != ack.num("seq") {
			t.Fatalf("duplicate ack seq %d, first %d", dup.num("seq"), ack.num("seq"))
		}
		if n := len(e.storedEvents(conv)); n != before {
			t.Fatalf("duplicate client_id stored %d new events", n-before)
		}

		// Cut the connection; meanwhile an event is stored (the email answer
		// from another tab of the same visitor).
		c.ws.Close()
		other := e.connect(tok)
		other.hello(seenSeq)
		other.send(frame{"type": "answer", "client_id": "c-2", "card": "contact", "field": 1, "value": "ada@example.com"})
		other.await("ack", "event:question") // the company field is next

		// Reconnect with last_seq: exactly the later events, in order, once.
		c2 := e.connect(tok)
		w := c2.hello(seenSeq)
		if w.str("conversation") != conv {
			t.Fatalf("welcome conversation %v, want %s", w["conversation"], conv)
		}
		var replay []frame
		for {
			f, ok := c2.tryRead(300 * time.Millisecond)
			if !ok {
				break
			}
			if f.str("type") == "event" {
				replay = append(replay, f)
			}
		}
		want := visible(e.storedEvents(conv), seenSeq)
		if len(replay) != len(want) || len(want) == 0 {
			t.Fatalf("replay after %d: got %d events %v, want %d", seenSeq, len(replay), replay, len(want))
		}
		for i, f := range replay {
			if f.num("seq") != want[i].Seq || f.str("kind") != want[i].Kind {
				t.Fatalf("replay[%d] = %s #%d, want %s #%d", i, f.str("kind"), f.num("seq"), want[i].Kind, want[i].Seq)
			}
		}
		if w.num("seq") != want[len(want)-1].Seq {
			t.Errorf("welcome seq %d, last replayed %d", w.num("seq"), want[len(want)-1].Seq)
		}

		// A reload (last_seq 0) replays the whole conversation.
		c3 := e.connect(tok)
		c3.hello(0)
		first := c3.expect("event", "")
		if first.num("seq") != 1 {
			t.Fatalf("full replay starts at seq %d", first.num("seq"))
		}

		// Live events reach every socket of the visitor exactly once,
		// also the one whose replay overlapped them.
		c2.send(frame{"type": "answer", "client_id": "c-3", "card": "contact", "field": 2, "value": "Analytical Engines"})
		c2.await("ack")
		for _, s := range []*client{c2, c3} {
			seqs := map[int64]bool{}
			deadline := time.After(400 * time.Millisecond)
		drain:
			for {
				select {
				case f := <-s.frames:
					if f.str("type") == "event" {
						if seqs[f.num("seq")] {
							t.Fatalf("event %d delivered twice", f.num("seq"))
						}
						seqs[f.num("seq")] = true
					}
				case <-deadline:
					break drain
				}
			}
		}
	})
}

func visible(evs []livechat.Event, after int64) []livechat.Event {
	var out []livechat.Event
	for _, e := range evs {
		if e.VisibleToVisitor && e.Seq > after {
			out = append(out, e)
		}
	}
	return out
}

func TestSocketRefusesBadFramesAndStaysOpen(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		e.publish("live-chat.yaml")

		// Before hello, nothing but hello.
		early := e.connect(e.token())
		early.send(frame{"type": "start"})
		if f := early.expect("error", ""); f.str("code") != "hello_first" {
			t.Fatalf("frame before hello: %v", f)
		}

		c, _, conv, _ := e.startLiveChat()
		before := len(e.storedEvents(conv))
		for _, tc := range []struct {
			name, frame, code string
		}{
			{"invalid JSON", `{"type": "answer",`, "bad_json"},
			{"not an object", `[1,2]`, "bad_json"},
			{"no type", `{"card":"contact"}`, "missing_field"},
			{"unknown type", `{"type":"teleport"}`, "unknown_type"},
			{"answer without client_id", `{"type":"answer","card":"contact","field":0,"value":"x"}`, "missing_field"},
			{"answer without card", `{"type":"answer","client_id":"a1","value":"x"}`, "missing_field"},
			{"answer without value", `{"type":"answer","client_id":"a2","card":"contact","field":0}`, "missing_field"},
			{"message without text", `{"type":"message","client_id":"a3"}`, "missing_field"},
			{"read without seq", `{"type":"read"}`, "missing_field"},
			{"bad rating", `{"type":"rate","value":"meh"}`, "missing_field"},
			{"second hello", `{"type":"hello","last_seq":0}`, "bad_frame"},
			// Out of order: the bot waits on the form, not on the hand-over card.
			{"answer to a card not waiting", `{"type":"answer","client_id":"a4","card":"handover","value":"x"}`, livechat.CodeNotWaiting},
			{"answer to another field", `{"type":"answer","client_id":"a5","card":"contact","field":2,"value":"x"}`, livechat.CodeNotWaiting},
		} {
			c.send(tc.frame)
			f, ok := c.tryRead(2 * time.Second)
			if !ok || f.str("type") != "error" {
				t.Fatalf("%s: got %v, want an error frame", tc.name, f)
			}
			if tc.code != "" && f.str("code") != tc.code {
				t.Errorf("%s: error code %q (%s), want %q", tc.name, f.str("code"), f.str("message"), tc.code)
			}
			if f.str("message") == "" {
				t.Errorf("%s: error without message", tc.name)
			}
		}
		if n := len(e.storedEvents(conv)); n != before {
			t.Fatalf("refused frames stored %d events", n-before)
		}
		// Still open and working.
		c.send(frame{"type": "answer", "client_id": "ok-1", "card": "contact", "field": 0, "value": "Grace"})
		c.await("ack", "event:answer")
	})
}

func TestSocketOversizeFrameClosesWith1009(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		e.publish("live-chat.yaml")
		c, _, conv, _ := e.startLiveChat()
		before := len(e.storedEvents(conv))
		big := `{"type":"message","client_id":"big-1","text":"` + strings.Repeat("a", MaxFrame) + `"}`
		c.send(big)
		err := c.closed()
		if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
			t.Fatalf("close = %v, want 1009", err)
		}
		if n := len(e.storedEvents(conv)); n != before {
			t.Fatalf("an oversize frame stored %d events", n-before)
		}
	})
}

func TestSocketWrongOriginIs403(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t), Opts{})
	for _, origin := range []string{"https://evil.example.net", ""} {
		_, res, err := e.dial(e.token(), origin)
		if !errors.Is(err, websocket.ErrBadHandshake) || res == nil || res.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: err %v, response %v", origin, err, res)
		}
		var body struct{ Error, Code string }
		b, _ := io.ReadAll(res.Body)
		if json.Unmarshal(b, &body) != nil || body.Code != "origin_not_allowed" || body.Error == "" {
			t.Errorf("origin %q: body %s", origin, b)
		}
	}
	// The server's own pages (the demo site) may connect.
	if _, _, err := e.dial(e.token(), e.srv.URL); err != nil {
		t.Fatalf("same origin: %v", err)
	}
}

func TestSocketUnknownTokenClosesWith4001(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t), Opts{})
	c := e.connect("pv_not-a-token")
	if f := c.read(); f.str("code") != "unknown_visitor" {
		t.Fatalf("frame %v", f)
	}
	if err := c.closed(); !websocket.IsCloseError(err, CloseUnknownVisitor) {
		t.Fatalf("close = %v, want %d", err, CloseUnknownVisitor)
	}
}

func TestSocketFloodIsRateLimitedThenDisconnected(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t), Opts{RateBurst: 10, RatePerSec: 2})
	c := e.connect(e.token())
	c.hello(0)
	for i := 0; i < 40; i++ {
		if c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"typing","text":"hi"}`)) != nil {
			break // the server may already have hung up
		}
	}
	var limited bool
	for f := range c.frames {
		if f.str("type") == "error" && f.str("code") == "rate_limited" {
			limited = true
		}
	}
	if !limited {
		t.Error("no rate_limited error frame before the disconnect")
	}
	if !websocket.IsCloseError(c.err, websocket.ClosePolicyViolation) {
		t.Fatalf("close = %v, want 1008", c.err)
	}
	// A well-behaved client on the same server is unaffected.
	ok := e.connect(e.token())
	ok.hello(0)
}

func TestSocketAgentEventsAndPresenceArriveLive(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		e.publish("live-chat.yaml")
		c, _, conv, _ := e.startLiveChat()
		u, err := e.crm.CreateUser(e.ctx, crmUser("Sam Agent"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.crm.SetUserStatus(e.ctx, u.ID, "online"); err != nil {
			t.Fatal(err)
		}
		if err := e.live.PresenceChanged(e.ctx); err != nil {
			t.Fatal(err)
		}
		if p := c.expect("presence", ""); p["online"] != true {
			t.Fatalf("presence %v", p)
		}
		if _, err := e.live.Assign(e.ctx, conv, u.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		j := c.expect("event", "agent_joined")
		if a, _ := j["agent"].(map[string]any); a["name"] != "Sam Agent" {
			t.Fatalf("agent_joined %v", j)
		}
		if err := e.live.AgentTyping(e.ctx, conv, u.ID); err != nil {
			t.Fatal(err)
		}
		c.expect("typing", "")
		if _, err := e.live.AgentMessage(e.ctx, conv, u.ID, "m-1", "<b>Hello</b> there"); err != nil {
			t.Fatal(err)
		}
		m := c.expect("event", "agent_message")
		if m.str("text") != "<b>Hello</b> there" {
			t.Fatalf("agent text %q", m.str("text"))
		}
		// The visitor writes to the agent; the message is acked and echoed as an event.
		// The event is published while the frame is handled, so it may come
		// before the ack; the widget matches them by seq either way.
		c.send(frame{"type": "message", "client_id": "v-1", "text": "Hi Sam"})
		var ackSeq, evSeq int64
		for ackSeq == 0 || evSeq == 0 {
			f := c.read()
			switch {
			case f.str("type") == "ack":
				ackSeq = f.num("seq")
			case f.str("kind") == "visitor_message":
				if f.str("text") != "Hi Sam" {
					t.Fatalf("visitor_message %v", f)
				}
				evSeq = f.num("seq")
			}
		}
		if ackSeq != evSeq {
			t.Fatalf("ack seq %d, event seq %d", ackSeq, evSeq)
		}
		c.send(frame{"type": "read", "seq": m.num("seq")})
		c.send(frame{"type": "typing", "text": "more"})
		c.send(frame{"type": "page", "page": frame{"url": "https://shop.example.com/cart", "title": "Cart"}})
		c.quiet(300 * time.Millisecond) // none of these is refused
	})
}

func crmUser(name string) crm.UserInput {
	return crm.UserInput{Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"}
}

func TestSocketRestartAndRating(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		e.publish("live-chat.yaml")
		c, _, _, _ := e.startLiveChat()
		var got map[string]frame
		for i, v := range []string{"Ada Lovelace", "ada@example.com", ""} { // the company is optional
			c.send(frame{"type": "answer", "client_id": fmt.Sprintf("f-%d", i), "card": "contact", "field": i, "value": v})
			if i < 2 {
				c.await("ack", "event:question")
			} else {
				// Nobody is online: the offline message, then the end card.
				got = c.await("ack", "event:offline", "event:end")
			}
		}
		end := got["event:end"]
		if end.str("text") != "Have a great day!" || end["restart"] != true {
			t.Fatalf("end %v", end)
		}
		// A rating needs an agent to have taken part.
		c.send(frame{"type": "rate", "value": "up"})
		if f := c.expect("error", ""); f.str("code") != livechat.CodeNotAllowed {
			t.Fatalf("rating without agent: %v", f)
		}
		c.send(frame{"type": "restart"})
		q := c.expect("event", "question")
		if q.str("card") != "contact" || q.num("field") != 0 || q.num("seq") <= end.num("seq") {
			t.Fatalf("after restart: %v", q)
		}
	})
}

// A visitor that stops reading must not slow anyone else: the hub never
// waits for it, and the socket is cut off (the widget resumes by last_seq).
func TestSocketSlowClientIsDroppedAndNeverBlocksTheHub(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t), Opts{SendQueue: 4, WriteWait: 500 * time.Millisecond})
	tok := e.token()
	v, err := e.live.VisitorByToken(e.ctx, e.site.ID, tok)
	if err != nil {
		t.Fatal(err)
	}
	// A raw socket that never reads after the welcome.
	hdr := http.Header{"Origin": {testOrigin}}
	ws, _, err := websocket.DefaultDialer.Dial(e.wsURL(tok), hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","last_seq":0}`))
	ws.ReadMessage()
	for e.h.OpenSockets() != 1 {
		time.Sleep(5 * time.Millisecond)
	}
	big := []byte(`{"type":"typing","from":{"name":"` + strings.Repeat("x", 8<<10) + `"}}`)
	start := time.Now()
	for i := 0; i < 2000; i++ { // 16 MB: more than the kernel's socket buffers hold
		e.live.Hub().Publish(livechat.Frame{VisitorID: v.ID, Visitor: big})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("publishing to a stuck subscriber took %v", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.h.OpenSockets() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stuck socket was not dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
