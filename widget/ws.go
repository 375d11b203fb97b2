package widget

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/parley/parley/livechat"
)

const (
	// MaxFrame is the largest frame a visitor may send (realtime.md); a
	// bigger one closes the connection with 1009 before anything is stored.
	MaxFrame = 16 << 10

	// CloseUnknownVisitor tells the widget its token is unknown (the site was
	// reset, storage copied between sites): register again and reconnect.
	CloseUnknownVisitor = 4001
)

var upgrader = websocket.Upgrader{
	// Chat frames are small: a 1 KB read buffer, and a pooled write buffer
	// held only while writing, keep an idle socket small.
	ReadBufferSize:  1024,
	WriteBufferPool: &sync.Pool{},
	// The Origin is checked against the site before Upgrade is called, so a
	// wrong one gets a plain 403 with a JSON body.
	CheckOrigin: func(*http.Request) bool { return true },
}

// conn is one visitor socket: the handler's goroutine reads, one goroutine
// writes. Only the writer writes data frames, so frames leave in the order
// they were queued.
type conn struct {
	h      *Handler
	ws     *websocket.Conn
	site   livechat.Site
	v      livechat.Visitor
	ua     string
	ctx    context.Context
	out    chan *outItem // bounded: a client that cannot keep up is dropped, never waited on
	done   chan struct{} // closed when the reader ends
	bucket bucket

	// Reader-owned state.
	hello   bool
	page    livechat.PageInfo
	closing bool
	sub     *livechat.Subscription
}

// outItem is what the reader hands the writer: frames to write in order;
// optionally the hub subscription to start forwarding after them (the
// welcome and replay must come first) with the seq already replayed; or a
// close to send after them.
type outItem struct {
	frames [][]byte
	sub    *livechat.Subscription
	conv   string
	seq    int64
	close  *closeMsg
	// hold pauses forwarding hub frames (they wait in the subscription's
	// buffer) until an item with release: so the `started` frame precedes
	// the events of the conversation it names.
	hold, release bool
}

type closeMsg struct {
	code int
	text string
}

func (h *Handler) socket(c *gin.Context) {
	site, ok := h.siteFor(c, c.Query("site"), true)
	if !ok {
		return
	}
	ws, err := upgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		return // Upgrade has answered the client already
	}
	c.Abort() // gin must not write anything on the hijacked connection
	ctx, cancel := context.WithCancel(context.Background())

	token := c.Query("token")
	var v livechat.Visitor
	if token != "" {
		v, err = h.live.VisitorByToken(ctx, site.ID, token)
	}
	if token == "" || errors.Is(err, livechat.ErrNotFound) {
		closeWith(ws, CloseUnknownVisitor, "unknown visitor token", errorFrame("unknown_visitor", "register again: POST /widget/v1/visitors", ""))
		cancel()
		ws.Close()
		return
	}
	if err != nil {
		h.log.Error("widget: visitor by token", "err", err)
		closeWith(ws, websocket.CloseTryAgainLater, "try again", errorFrame("internal", "something went wrong; try again", ""))
		cancel()
		ws.Close()
		return
	}

	cn := &conn{h: h, ws: ws, site: site, v: v, ua: c.Request.UserAgent(), ctx: ctx,
		out: make(chan *outItem, h.opts.SendQueue), done: make(chan struct{}),
		bucket: bucket{tokens: float64(h.opts.RateBurst), burst: float64(h.opts.RateBurst), rate: h.opts.RatePerSec, last: time.Now()}}
	h.connMu.Lock()
	h.conns[cn] = struct{}{}
	h.connMu.Unlock()
	// Fresh goroutines rather than this one: net/http's handler goroutine
	// has a deep stack by now (gin, the upgrade), which an idle socket would
	// otherwise keep for its whole life.
	go cn.writer()
	go func() {
		defer func() {
			cn.endPreview() // a preview ends with its socket (preview.go)
			cancel()
			ws.Close()
			h.connMu.Lock()
			delete(h.conns, cn)
			h.connMu.Unlock()
		}()
		cn.reader()
	}()
}

// closeWith sends one frame and a close, for connections refused after the upgrade.
func closeWith(ws *websocket.Conn, code int, text string, frame []byte) {
	ws.SetWriteDeadline(time.Now().Add(time.Second))
	if ws.WriteMessage(websocket.TextMessage, frame) == nil {
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	}
}

func (c *conn) pongWait() time.Duration { return c.h.opts.PingPeriod * 6 / 5 }

func (c *conn) reader() {
	defer func() {
		close(c.done)
		if c.sub != nil {
			c.sub.Close()
		}
	}()
	c.ws.SetReadLimit(MaxFrame)
	c.ws.SetReadDeadline(time.Now().Add(c.pongWait()))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(c.pongWait())) })
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			// Includes a frame over MaxFrame: gorilla has sent 1009 and we
			// never looked at its content.
			return
		}
		if c.closing {
			continue // a close is on its way; read until the peer answers it
		}
		if !c.bucket.take(time.Now()) {
			c.queue(&outItem{frames: [][]byte{errorFrame("rate_limited", "too many frames; slow down and reconnect", "")},
				close: &closeMsg{websocket.ClosePolicyViolation, "rate limited"}})
			c.closing = true
			go c.closeSoon()
			continue
		}
		if typ != websocket.TextMessage {
			c.reply(errorFrame("bad_frame", "frames are JSON text", ""))
			continue
		}
		c.handle(data)
	}
}

// closeSoon ends a connection whose close frame the peer does not answer.
func (c *conn) closeSoon() {
	select {
	case <-c.done:
	case <-time.After(2 * c.h.opts.WriteWait):
		c.ws.Close()
	}
}

// queue hands an item to the writer without ever blocking: when the queue is
// full the client is not reading, so it is dropped (it resumes by last_seq).
func (c *conn) queue(it *outItem) {
	select {
	case c.out <- it:
	default:
		c.ws.Close()
	}
}

func (c *conn) reply(frames ...[]byte) { c.queue(&outItem{frames: frames}) }

func (c *conn) writer() {
	ping := time.NewTicker(c.h.opts.PingPeriod)
	defer ping.Stop()
	defer c.ws.Close() // a failed write ends the reader too
	var hub <-chan livechat.Frame
	var sub *livechat.Subscription
	sent := map[string]int64{} // highest seq written per conversation
	write := func(b []byte) bool {
		c.ws.SetWriteDeadline(time.Now().Add(c.h.opts.WriteWait))
		return c.ws.WriteMessage(websocket.TextMessage, b) == nil
	}
	for {
		select {
		case <-c.done:
			return
		case it := <-c.out:
			for _, f := range it.frames {
				if !write(f) {
					return
				}
			}
			if it.conv != "" && it.seq > sent[it.conv] {
				sent[it.conv] = it.seq
			}
			if it.sub != nil {
				sub, hub = it.sub, it.sub.C
			}
			if it.hold {
				hub = nil
			}
			if it.release && sub != nil {
				hub = sub.C
			}
			if it.close != nil {
				c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(it.close.code, it.close.text), time.Now().Add(c.h.opts.WriteWait))
				return
			}
		case f, ok := <-hub:
			if !ok {
				// The hub dropped us for falling behind: say so and let the
				// widget reconnect and resume from its last seq.
				if sub.Dropped() {
					c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "too slow; resume"), time.Now().Add(c.h.opts.WriteWait))
				}
				return
			}
			if f.Visitor == nil {
				continue
			}
			if f.Seq > 0 {
				// Stored before it was published: it may already be in the replay.
				if f.Seq <= sent[f.ConversationID] {
					continue
				}
				sent[f.ConversationID] = f.Seq
			}
			if !write(f.Visitor) {
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.opts.WriteWait)); err != nil {
				return
			}
		}
	}
}

// inFrame is every client frame's fields; which are required depends on type.
type inFrame struct {
	Type         string             `json:"type"`
	LastSeq      *int64             `json:"last_seq"`
	Conversation string             `json:"conversation"` // hello: the conversation the client shows, if any
	Page         *livechat.PageInfo `json:"page"`
	Language     string             `json:"language"`
	Timezone     string             `json:"timezone"`
	Device       string             `json:"device"`
	Playbook     string             `json:"playbook"`
	On           string             `json:"on"` // start: the trigger that fired (open, load, delay)
	ClientID     string             `json:"client_id"`
	Card         string             `json:"card"`
	Field        *int               `json:"field"`
	Option       *int               `json:"option"`
	Value        json.RawMessage    `json:"value"`
	Text         *string            `json:"text"`
	Seq          *int64             `json:"seq"`
	Comment      string             `json:"comment"`
	Preview      string             `json:"preview"` // start: a preview token (preview.go)
	Fields       map[string]string  `json:"fields"`  // prechat: the pre-chat form's answers by field name
}

func errorFrame(code, msg, clientID string) []byte {
	b, _ := json.Marshal(struct {
		Type     string `json:"type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		ClientID string `json:"client_id,omitempty"`
	}{"error", code, msg, clientID})
	return b
}

func mustFrame(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain data is marshalled here
	}
	return b
}

// handle validates one frame and runs it. Every refusal is an error frame;
// the connection stays open.
func (c *conn) handle(data []byte) {
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil {
		c.reply(errorFrame("bad_json", "the frame is not a JSON object: "+jsonProblem(err), ""))
		return
	}
	if f.Type == "" {
		c.reply(errorFrame("missing_field", "type is required", f.ClientID))
		return
	}
	if f.Type != "hello" && !c.hello {
		c.reply(errorFrame("hello_first", "send hello first", f.ClientID))
		return
	}
	ctx, cancel := ctxTimeout(c.ctx)
	defer cancel()
	var err error
	switch f.Type {
	case "hello":
		err = c.onHello(ctx, f)
	case "page":
		if f.Page == nil || f.Page.URL == "" {
			c.reply(errorFrame("missing_field", "page.url is required", ""))
			return
		}
		c.page = *f.Page
		var v livechat.Visitor
		if v, err = c.h.live.Page(ctx, c.v, c.page); err == nil {
			c.v = v // the env of later answers sees the current page's timing
		}
	case "start":
		err = c.onStart(ctx, f)
	case "answer":
		err = c.onAnswer(ctx, f)
	case "message":
		err = c.onMessage(ctx, f)
	case "prechat":
		err = c.onPreChat(ctx, f)
	case "typing":
		preview := ""
		if f.Text != nil {
			preview = clip(*f.Text, 200)
		}
		err = c.h.live.Typing(ctx, c.v, preview)
	case "read":
		if f.Seq == nil || *f.Seq <= 0 {
			c.reply(errorFrame("missing_field", "seq is required", ""))
			return
		}
		err = c.h.live.Read(ctx, c.v, *f.Seq)
	case "rate":
		if f.Text != nil && f.Comment == "" {
			f.Comment = *f.Text
		}
		var value string
		_ = json.Unmarshal(f.Value, &value)
		if value != "up" && value != "down" {
			c.reply(errorFrame("missing_field", "value must be up or down", ""))
			return
		}
		err = c.h.live.Rate(ctx, c.v, value, clip(f.Comment, 1000))
	case "restart":
		err = c.h.live.Restart(ctx, c.v)
	default:
		c.reply(errorFrame("unknown_type", "unknown frame type "+strconv.Quote(clip(f.Type, 40)), f.ClientID))
		return
	}
	if err != nil {
		c.refuse(err, f.ClientID)
	}
}

// refuse turns a runtime error into an error frame; internals stay in the log.
func (c *conn) refuse(err error, clientID string) {
	var r *livechat.RefusedError
	switch {
	case errors.As(err, &r) && r.Field != "":
		c.reply(mustFrame(struct {
			Type     string `json:"type"`
			Code     string `json:"code"`
			Message  string `json:"message"`
			Field    string `json:"field"`
			ClientID string `json:"client_id,omitempty"`
		}{"error", r.Code, r.Message, r.Field, clientID}))
	case errors.As(err, &r):
		c.reply(errorFrame(r.Code, r.Message, clientID))
	case errors.Is(err, livechat.ErrNotFound):
		c.reply(errorFrame("not_found", "not found", clientID))
	case errors.Is(err, livechat.ErrConflict):
		c.reply(errorFrame("conflict", "that changed meanwhile; try again", clientID))
	default:
		c.h.log.Error("widget: frame", "visitor", c.v.ID, "err", err)
		c.reply(errorFrame("internal", "something went wrong; try again", clientID))
	}
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return te.Field + " has the wrong type"
	}
	return "invalid"
}

func (c *conn) onHello(ctx context.Context, f inFrame) error {
	if c.hello {
		c.reply(errorFrame("bad_frame", "hello was already sent on this connection", ""))
		return nil
	}
	var last int64
	if f.LastSeq != nil {
		last = *f.LastSeq
	}
	if last < 0 {
		c.reply(errorFrame("missing_field", "last_seq must be 0 or more", ""))
		return nil
	}
	if f.Page != nil {
		c.page = *f.Page
	}
	// Subscribe before reading the replay, so nothing stored in between is
	// missed; the writer skips what the replay already carried.
	sub := c.h.live.Hub().SubscribeVisitor(c.v.ID, c.h.opts.SendQueue)
	w, evs, err := c.h.live.Hello(ctx, c.v, livechat.HelloInput{LastSeq: last, Page: c.page, Language: f.Language,
		Timezone: f.Timezone, Device: f.Device, UserAgent: c.ua})
	if err != nil {
		sub.Close()
		return err
	}
	// Hello recorded the visitor's context (visits, language, device); later
	// calls build the playbook env from c.v, so keep the row hello returned.
	c.hello, c.sub, c.v = true, sub, w.Visitor
	conv := ""
	var bot *botInfo
	if w.Conversation != nil {
		conv = *w.Conversation
		// The client's last_seq counts in another conversation than the open
		// one (it was closed and a new one started elsewhere): replay it all.
		if f.Conversation != "" && f.Conversation != conv && last > 0 {
			if evs, err = c.h.live.Events(ctx, conv, 0, true); err != nil {
				return err
			}
		}
		if cv, err := c.h.live.GetConversation(ctx, conv); err == nil {
			bot = c.botOf(ctx, cv)
		}
	}
	frames := make([][]byte, 0, len(evs)+1)
	frames = append(frames, mustFrame(welcomeFrame{Type: "welcome", Conversation: w.Conversation, Seq: w.Seq, Online: w.Online, Bot: bot}))
	seq := w.Seq
	for _, e := range evs {
		frames = append(frames, e.VisitorFrame())
		seq = max(seq, e.Seq)
	}
	c.queue(&outItem{frames: frames, sub: sub, conv: conv, seq: seq})
	return nil
}

type botInfo struct {
	Name   string `json:"name"`
	Avatar string `json:"avatar,omitempty"`
}

// welcomeFrame adds `bot` to the contract's welcome: the header shows the
// playbook's bot before any agent joins.
type welcomeFrame struct {
	Type         string   `json:"type"`
	Conversation *string  `json:"conversation"`
	Seq          int64    `json:"seq"`
	Online       bool     `json:"online"`
	Bot          *botInfo `json:"bot,omitempty"`
}

func (c *conn) botOf(ctx context.Context, cv livechat.Conversation) *botInfo {
	if cv.PlaybookID == nil {
		return c.previewBot(ctx, cv)
	}
	p, err := c.h.live.Program(ctx, *cv.PlaybookID, cv.PlaybookVersion)
	if err != nil || p.Document().Bot == nil {
		return nil
	}
	b := p.Document().Bot
	return &botInfo{Name: b.Name, Avatar: b.Avatar}
}

func (c *conn) onStart(ctx context.Context, f inFrame) error {
	if f.Preview != "" || c.isPreview() {
		return c.startPreview(ctx, f)
	}
	slug := clip(f.Playbook, 64)
	switch f.On {
	case "", livechat.TriggerOpen:
	case livechat.TriggerLoad, livechat.TriggerDelay:
		// A timed trigger fired in the browser, which cannot judge `when`
		// or "finished today": targeting decides whether it really starts.
		pick, err := c.h.live.PickPlaybook(ctx, c.site, c.v, c.page, f.On)
		if errors.Is(err, livechat.ErrNotFound) || (err == nil && slug != "" && pick.Slug != slug) {
			c.reply(errorFrame("no_playbook", "no playbook starts here now", ""))
			return nil
		}
		if err != nil {
			return err
		}
		slug = pick.Slug
	default:
		c.reply(errorFrame("missing_field", "on must be open, load or delay", ""))
		return nil
	}
	c.queue(&outItem{hold: true})
	released := false
	defer func() {
		if !released {
			c.queue(&outItem{release: true})
		}
	}()
	cv, err := c.h.live.Start(ctx, c.v, slug, c.page)
	var r *livechat.RefusedError
	if errors.Is(err, livechat.ErrNotFound) || (errors.As(err, &r) && r.Code == livechat.CodeNotAllowed) {
		c.reply(errorFrame("no_playbook", "no playbook starts here now", ""))
		return nil
	}
	if err != nil {
		return err
	}
	released = true
	c.queue(&outItem{release: true, frames: [][]byte{mustFrame(struct {
		Type         string   `json:"type"`
		Conversation string   `json:"conversation"`
		Bot          *botInfo `json:"bot,omitempty"`
	}{"started", cv.ID, c.botOf(ctx, cv)})}})
	return nil
}

func validClientID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func (c *conn) onAnswer(ctx context.Context, f inFrame) error {
	if !validClientID(f.ClientID) {
		c.reply(errorFrame("missing_field", "client_id is required (a UUID)", ""))
		return nil
	}
	if f.Card == "" {
		c.reply(errorFrame("missing_field", "card is required", f.ClientID))
		return nil
	}
	in := livechat.AnswerInput{ClientID: f.ClientID, Card: clip(f.Card, 64), Option: f.Option}
	if f.Field != nil {
		in.Field = *f.Field
	}
	if f.Option == nil {
		v, ok := answerValue(f.Value)
		if !ok {
			c.reply(errorFrame("missing_field", "option or value is required", f.ClientID))
			return nil
		}
		if utf8.RuneCountInString(v) > livechat.MaxMessageLen {
			c.reply(errorFrame(livechat.CodeTooLong, "the answer is too long", f.ClientID))
			return nil
		}
		in.Value = v
	}
	ack, err := c.h.live.Answer(ctx, c.v, in)
	if err != nil {
		return err
	}
	c.reply(ackFrame(ack))
	return nil
}

// answerValue accepts a JSON string or number (a number input may send 12).
func answerValue(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}

func (c *conn) onMessage(ctx context.Context, f inFrame) error {
	if !validClientID(f.ClientID) {
		c.reply(errorFrame("missing_field", "client_id is required (a UUID)", ""))
		return nil
	}
	if f.Text == nil || strings.TrimSpace(*f.Text) == "" {
		c.reply(errorFrame("missing_field", "text is required", f.ClientID))
		return nil
	}
	if utf8.RuneCountInString(*f.Text) > livechat.MaxMessageLen {
		c.reply(errorFrame(livechat.CodeTooLong, "the message is longer than 4000 characters", f.ClientID))
		return nil
	}
	ack, err := c.h.live.Message(ctx, c.v, f.ClientID, *f.Text)
	if err != nil {
		return err
	}
	c.reply(ackFrame(ack))
	return nil
}

// onPreChat stores the pre-chat form's answers; a refused field comes back
// as an error frame (code invalid) with `field` naming it.
func (c *conn) onPreChat(ctx context.Context, f inFrame) error {
	if !validClientID(f.ClientID) {
		c.reply(errorFrame("missing_field", "client_id is required (a UUID)", ""))
		return nil
	}
	if f.Fields == nil {
		c.reply(errorFrame("missing_field", "fields is required", f.ClientID))
		return nil
	}
	ack, err := c.h.live.PreChat(ctx, c.v, f.ClientID, f.Fields)
	if err != nil {
		return err
	}
	c.reply(ackFrame(ack))
	return nil
}

func ackFrame(a livechat.Ack) []byte {
	return mustFrame(struct {
		Type     string `json:"type"`
		ClientID string `json:"client_id"`
		Seq      int64  `json:"seq"`
	}{"ack", a.ClientID, a.Seq})
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// bucket is a token bucket: burst frames at once, rate per second after.
// Only the connection's reader touches it.
type bucket struct {
	tokens, burst, rate float64
	last                time.Time
}

func (b *bucket) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
