package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gorilla/websocket"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema/schematest"
)

// wsVisitor is a visitor over the real visitor socket (realtime.md,
// Visitor), as the widget speaks it.
type wsVisitor struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan map[string]any
	n      int
}

func (e *liveEnv) dialVisitor() *wsVisitor {
	e.t.Helper()
	_, tok, err := e.live.CreateVisitor(e.ctx, e.site.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/widget/v1/ws?site=" + url.QueryEscape(e.site.SiteKey) + "&token=" + url.QueryEscape(tok)
	ws, res, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {e.srv.URL}})
	if err != nil {
		e.t.Fatalf("visitor socket: %v %v", err, res)
	}
	e.t.Cleanup(func() { ws.Close() })
	v := &wsVisitor{t: e.t, ws: ws, frames: make(chan map[string]any, 256)}
	go func() {
		defer close(v.frames)
		for {
			var f map[string]any
			if err := ws.ReadJSON(&f); err != nil {
				return
			}
			v.frames <- f
		}
	}()
	v.send(map[string]any{"type": "hello", "last_seq": 0, "language": "en", "timezone": "America/New_York",
		"page": map[string]any{"url": e.srv.URL + "/demo/pricing", "title": "Pricing", "referrer": "https://www.google.com/"}})
	v.next(func(f map[string]any) bool { return f["type"] == "welcome" })
	return v
}

func (v *wsVisitor) send(f map[string]any) {
	v.t.Helper()
	if err := v.ws.WriteJSON(f); err != nil {
		v.t.Fatal(err)
	}
}

func (v *wsVisitor) next(ok func(map[string]any) bool) map[string]any {
	v.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, open := <-v.frames:
			if !open {
				v.t.Fatal("visitor socket closed")
			}
			if os.Getenv("PARLEY_DEBUG_VISITOR") != "" {
				v.t.Logf("visitor frame: %v", f)
			}
			if ok(f) {
				return f
			}
		case <-timeout:
			v.t.Fatal("visitor: no matching frame within 10s")
		}
	}
}

func (v *wsVisitor) event(kind string) map[string]any {
	v.t.Helper()
	return v.next(func(f map[string]any) bool { return f["type"] == "event" && f["kind"] == kind })
}

// startLiveChat fills the sample playbook's form over the socket.
func (v *wsVisitor) startLiveChat(name, email, company string) {
	v.t.Helper()
	v.send(map[string]any{"type": "start", "playbook": "live-chat"})
	v.next(func(f map[string]any) bool { return f["type"] == "event" && f["kind"] == "question" })
	waiting := false
	for i, val := range []string{name, email, company} {
		v.n++
		id := fmt.Sprintf("a-%d", v.n)
		v.send(map[string]any{"type": "answer", "client_id": id, "card": "contact", "field": i, "value": val})
		// The waiting event may come before the last ack.
		v.next(func(f map[string]any) bool {
			waiting = waiting || f["kind"] == "waiting"
			return f["type"] == "ack" && f["client_id"] == id
		})
	}
	if !waiting {
		v.event("waiting")
	}
}

func (v *wsVisitor) say(text string) float64 {
	v.t.Helper()
	v.n++
	v.send(map[string]any{"type": "message", "client_id": fmt.Sprintf("m-%d", v.n), "text": text})
	ack := v.next(func(f map[string]any) bool { return f["type"] == "ack" })
	return ack["seq"].(float64)
}

// poll waits until a JavaScript expression is truthy.
func poll(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[any](js, chromedp.WithPollingTimeout(10*time.Second))(ctx, tg)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", js, err)
		}
		return nil
	})
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("PARLEY_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
}

// agentPage signs an agent in, in its own browser (own profile, own cookie).
func (e *liveEnv) agentPage(t *testing.T, email string) context.Context {
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1440, 900),
		chromedp.Navigate(e.srv.URL+"/app/livechat"),
		chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Sign in"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "agent-password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.lc-folders`)),
		poll(`document.querySelector(".lc-conn.open")`),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	return ctx
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatal(sel, err, pageText(ctx))
	}
	return s
}

// The story, in three windows: two agents in Chromium, a visitor on
// the visitor socket.
func TestBrowserLiveChatStory(t *testing.T) {
	e := newLiveEnv(t, schematest.SQLite(t), true)
	ann, bob := e.newAgent("ann"), e.newAgent("bob")
	_ = bob
	if _, err := e.live.CreateSavedReply(e.ctx, savedReply("pricing", "Our plans start at $29 per seat.")); err != nil {
		t.Fatal(err)
	}
	annCtx := e.agentPage(t, "ann@example.com")
	bobCtx := e.agentPage(t, "bob@example.com")

	// The visitor's playbook reaches the live chat card; both agents are
	// notified and see the chat in Unassigned.
	vis := e.dialVisitor()
	vis.startLiveChat("Vera Visitor", "vera@example.com", "Acme")
	for _, ctx := range []context.Context{annCtx, bobCtx} {
		err := chromedp.Do(ctx,
			poll(`[...document.querySelectorAll(".lc-item .lc-item-name")].some(n => n.textContent === "Vera Visitor")`),
			poll(`window.parleyNotifications.some(n => n.title === "New chat waiting")`),
		)
		if err != nil {
			t.Fatal(err, pageText(ctx))
		}
	}
	screenshot(t, annCtx, "1-queue")
	// Bob looks at it; Ann takes it. Bob is told it was taken.
	if err := chromedp.Do(bobCtx, chromedp.Click(chromedp.CSS(`.lc-item`)), chromedp.WaitVisible(chromedp.CSS(`.lc-assign`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(annCtx, chromedp.Click(chromedp.CSS(`.lc-item`)), chromedp.WaitVisible(chromedp.CSS(`.lc-assign`)),
		chromedp.Click(chromedp.CSS(`.lc-assign`)), chromedp.WaitVisible(chromedp.CSS(`.lc-composer`))); err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	if err := chromedp.Do(bobCtx, poll(`document.querySelector(".lc-banner.taken") && !document.querySelector(".lc-banner").hidden`)); err != nil {
		t.Fatal(err, pageText(bobCtx))
	}
	if s := textOf(t, bobCtx, ".lc-banner"); s != "Taken by ann" {
		t.Fatalf("bob's banner: %q", s)
	}
	// Bob's late click gets the 409 and the same message.
	r := e.as(bob, "POST", "/api/v1/conversations/"+openConvID(t, e)+"/assign", map[string]any{"user_id": bob.ID})
	expect(t, r, 409)

	// The visitor sees Ann join by name.
	joined := vis.event("agent_joined")
	if a, _ := joined["agent"].(map[string]any); a == nil || a["name"] != "ann" {
		t.Fatalf("agent_joined: %v", joined)
	}

	// Typing, an unsafe message shown as text, a reply with Enter, the read receipt.
	vis.send(map[string]any{"type": "typing", "text": "I wond"})
	if err := chromedp.Do(annCtx, poll(`!document.querySelector(".lc-typing").hidden`)); err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	const evil = `<img src=x onerror=alert(1)>`
	vis.say(evil)
	if err := chromedp.Do(annCtx, poll(`[...document.querySelectorAll(".lc-msg.visitor .lc-bubble")].some(b => b.textContent === `+jsString(evil)+`)`),
		poll(`window.parleyNotifications.some(n => n.title.startsWith("New message from"))`)); err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	if n, err := chromedp.Run(annCtx, chromedp.Evaluate[int](`document.querySelectorAll(".lc-timeline img, .lc-list img").length`)); err != nil || n != 0 {
		t.Fatalf("the visitor's markup became %d elements (%v)", n, err)
	}
	err := chromedp.Do(annCtx,
		chromedp.SendKeys(chromedp.CSS(`.lc-input`), "/pri"),
		poll(`!document.querySelector(".lc-replies").hidden && document.querySelector(".lc-reply.on")`),
		chromedp.KeyEvent("\r"), // picks the saved reply
		poll(`document.querySelector(".lc-input").value.startsWith("Our plans")`),
		chromedp.KeyEvent("\r"), // sends it
		poll(`document.querySelector(".lc-input").value.trim() === ""`),
	)
	if err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	if os.Getenv("PARLEY_DEBUG_VISITOR") != "" {
		t.Log(evKinds(e.events(openConvID(t, e))))
		v, _ := chromedp.Run(annCtx, chromedp.Evaluate[string](`document.querySelector(".lc-input").value + " | " + document.querySelector(".lc-banner").textContent`))
		t.Log("composer:", v)
	}
	msg := vis.event("agent_message")
	if msg["text"] != "Our plans start at $29 per seat." {
		t.Fatalf("visitor got %v", msg)
	}
	vis.send(map[string]any{"type": "read", "seq": msg["seq"]})
	if err := chromedp.Do(annCtx, poll(`document.querySelector(".lc-msg.agent .lc-receipt.seen")`)); err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	// ↑ edits the last message.
	err = chromedp.Do(annCtx,
		chromedp.Click(chromedp.CSS(`.lc-input`)),
		chromedp.KeyEvent(kb.ArrowUp),
		poll(`document.querySelector(".lc-composer.editing")`),
		eval(`document.querySelector(".lc-input").value = "Our plans start at $25 per seat."`),
		chromedp.KeyEvent("\r"),
		poll(`[...document.querySelectorAll(".lc-msg.agent .lc-bubble")].some(b => b.textContent.includes("$25"))`),
	)
	if err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	vis.event("message_edited")

	// The side panel: the form is prefilled from the bot's answers; Ann adds
	// the deal value and date and creates the deal.
	if v, err := chromedp.Run(annCtx, chromedp.Value(chromedp.CSS(`.lc-panel input[name=person_name]`))); err != nil || v != "Vera Visitor" {
		t.Fatalf("prefilled name %q %v", v, err)
	}
	err = chromedp.Do(annCtx,
		chromedp.SendKeys(chromedp.CSS(`.lc-panel input[name=value]`), "4200"),
		eval(`const d = document.querySelector(".lc-panel input[name=expected_close_date]"); d.value = "2026-12-31"; d.dispatchEvent(new Event("input", {bubbles: true}))`),
		chromedp.SendKeys(chromedp.CSS(`.lc-panel textarea[name=note]`), "40 seats, starts in January"),
		chromedp.Click(chromedp.CSS(`.lc-create-deal`)),
		poll(`[...document.querySelectorAll(".lc-sys-crm")].some(s => /^Deal created · \d\d:\d\d$/.test(s.textContent))`),
		poll(`document.querySelector(".lc-crm-link.deal")`),
	)
	if err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	deals, _, err := e.crm.ListDeals(e.ctx, crm.DealFilter{}, crm.ListParams{Limit: 10})
	if err != nil || len(deals) != 1 || deals[0].Value != 4200 || deals[0].ExpectedCloseDate == nil || *deals[0].ExpectedCloseDate != "2026-12-31" {
		t.Fatalf("deals: %+v %v", deals, err)
	}
	screenshot(t, annCtx, "2-chat")
	// Ann closes the chat with the keyboard.
	if err := chromedp.Do(annCtx, eval(`document.activeElement.blur()`), chromedp.KeyEvent("e"),
		poll(`[...document.querySelectorAll(".lc-sys")].some(s => s.textContent.startsWith("Chat closed"))`)); err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	vis.event("closed")

	// Nobody claims the next chat in time: the visitor gets the offline
	// message, the capture creates the lead, and Bob can still claim it.
	vis2 := e.dialVisitor()
	vis2.startLiveChat("Olga Offline", "olga@example.com", "Globex")
	if err := chromedp.Do(bobCtx, poll(`[...document.querySelectorAll(".lc-item-name")].some(n => n.textContent === "Olga Offline")`)); err != nil {
		t.Fatal(err, pageText(bobCtx))
	}
	e.clock.Advance(91 * time.Second)
	off := vis2.event("offline")
	if !strings.Contains(fmt.Sprint(off["text"]), "olga@example.com") {
		t.Fatalf("offline message: %v", off)
	}
	// The capture is applied right after the offline branch's commit.
	var leads []crm.Lead
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if leads, _, err = e.crm.ListLeads(e.ctx, crm.LeadFilter{}, crm.ListParams{Limit: 10}); err != nil || len(leads) > 0 {
			break
		}
	}
	if err != nil || len(leads) != 1 || !strings.Contains(leads[0].Title, "Olga Offline") {
		t.Fatalf("leads: %+v %v", leads, err)
	}
	err = chromedp.Do(bobCtx,
		poll(`[...document.querySelectorAll(".lc-item .lc-pill")].some(p => p.textContent === "offline")`),
		eval(`[...document.querySelectorAll(".lc-item")].find(li => li.textContent.includes("Olga")).click()`),
		poll(`document.querySelector(".lc-title").textContent === "Olga Offline" && !document.querySelector(".lc-assign").hidden`),
		chromedp.Click(chromedp.CSS(`.lc-assign`)),
		chromedp.WaitVisible(chromedp.CSS(`.lc-composer`)),
	)
	if err != nil {
		t.Fatal(err, pageText(bobCtx))
	}
	if j := vis2.event("agent_joined"); j["agent"].(map[string]any)["name"] != "bob" {
		t.Fatalf("olga's chat joined by %v", j)
	}
	screenshot(t, bobCtx, "3-offline-claimed")
	_ = ann
}

// openConvID is the one conversation the story's first visitor has.
func openConvID(t *testing.T, e *liveEnv) string {
	t.Helper()
	r := e.asAdmin("GET", "/api/v1/conversations?folder=all", nil)
	cs := decodeConvs(t, r)
	if len(cs) == 0 {
		t.Fatal("no conversation")
	}
	return cs[len(cs)-1].ID
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func savedReply(shortcut, text string) livechat.SavedReplyInput {
	return livechat.SavedReplyInput{Shortcut: &shortcut, Text: &text}
}
