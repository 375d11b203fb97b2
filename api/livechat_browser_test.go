package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema/schematest"
)

// visitorPage is a visitor in its own Chromium (own profile, so its own
// visitor token): the demo website with the real widget, embedded by the
// one-tag snippet (widget/demo.go), on the liveEnv's site.
type visitorPage struct {
	t   *testing.T
	ctx context.Context
}

// sh is the JS path of an element inside the widget's shadow root (the
// loader's host is #parley-widget, as in widget/browser_test.go).
func sh(sel string) string {
	return fmt.Sprintf(`document.querySelector("#parley-widget")?.shadowRoot?.querySelector(%q)`, sel)
}

// wjs is sh as a chromedp selector, for clicks and keys inside the shadow root.
func wjs(sel string) chromedp.JSPath { return chromedp.JSPath(sh(sel)) }

// widgetText is the JS expression: does any sel element in the widget have
// exactly text?
func widgetText(sel, text string) string {
	return fmt.Sprintf(`[...(document.querySelector("#parley-widget")?.shadowRoot?.querySelectorAll(%q) || [])].some(b => b.textContent === %s)`, sel, jsString(text))
}

func (e *liveEnv) visitorPage(t *testing.T) *visitorPage {
	t.Helper()
	ctx := longer(t, browser(t))
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 860),
		chromedp.Navigate(e.srv.URL+"/demo/pricing?site="+url.QueryEscape(e.site.SiteKey)),
		poll(sh("button.l")),
		chromedp.Click(wjs("button.l")),
		poll(sh(".p.open")),
		poll(sh(".card .fi input[autocomplete=name]")),
	)
	if err != nil {
		t.Fatal(err, widgetDOM(ctx))
	}
	return &visitorPage{t: t, ctx: ctx}
}

// do runs steps in the visitor's page, failing with the widget's DOM.
func (v *visitorPage) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	v.t.Helper()
	if err := chromedp.Do(v.ctx, steps...); err != nil {
		v.t.Fatalf("visitor: %s: %v%s", what, err, widgetDOM(v.ctx))
	}
}

// widgetDOM is the widget panel's text, for failure messages.
func widgetDOM(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](sh(".p")+`?.innerText || "no widget panel"`))
	if err != nil {
		return "(widget: " + err.Error() + ")"
	}
	return "\nwidget:\n" + s
}

// startLiveChat fills the sample playbook's form in the widget, typed for
// real (Enter submits each field), up to the live chat card's online message.
func (v *visitorPage) startLiveChat(name, email, company string) {
	v.t.Helper()
	v.do("fill the contact form",
		chromedp.SendKeys(wjs(".card .fi input[autocomplete=name]"), name+"\r"),
		poll(widgetText(".card .row .val span", name)),
		poll(sh(".card .fi input[type=email]")),
		chromedp.SendKeys(wjs(".card .fi input[type=email]"), email+"\r"),
		poll(widgetText(".card .row .val span", email)),
		poll(sh(".card .fi input[autocomplete=organization]")),
		chromedp.SendKeys(wjs(".card .fi input[autocomplete=organization]"), company+"\r"),
		poll(sh(".ls")+`.textContent.includes("Connecting you with our team")`),
		poll(sh(".cf input")+`.disabled === false`),
	)
}

// say types a message in the widget's composer and waits for its ack.
func (v *visitorPage) say(text string) {
	v.t.Helper()
	v.do("say "+text,
		eval(`document.querySelector("#parley-widget").shadowRoot.querySelector(".cf input").value = ""`),
		chromedp.SendKeys(wjs(".cf input"), text+"\r"),
		poll(widgetText(".m.me:not(.pend) .b", text)),
	)
}

// text is the textContent of the first sel in the widget.
func (v *visitorPage) text(sel string) string {
	v.t.Helper()
	s, err := chromedp.Run(v.ctx, chromedp.Evaluate[string](sh(sel)+`?.textContent ?? ""`))
	if err != nil {
		v.t.Fatal(sel, err)
	}
	return s
}

// longer gives a browser context more than browser's 30 s for the whole
// story (three browsers on a shared, sometimes slow machine): the values
// (the chromedp target) stay, the deadline goes.
func longer(t *testing.T, ctx context.Context) context.Context {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// poll waits until a JavaScript expression is truthy.
func poll(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[any](js, chromedp.WithPollingTimeout(30*time.Second))(ctx, tg)
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
	ctx := longer(t, browser(t))
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

// The story, in three windows: two agents in Chromium, and a
// visitor in a third Chromium running the real widget on the demo page.
func TestBrowserLiveChatStory(t *testing.T) {
	e := newLiveEnv(t, schematest.SQLite(t), true)
	ann, bob := e.newAgent("ann"), e.newAgent("bob")
	if _, err := e.live.CreateSavedReply(e.ctx, savedReply("pricing", "Our plans start at $29 per seat.")); err != nil {
		t.Fatal(err)
	}
	annCtx := e.agentPage(t, "ann@example.com")
	bobCtx := e.agentPage(t, "bob@example.com")

	// The visitor's playbook reaches the live chat card; both agents are
	// notified and see the chat in Unassigned.
	vis := e.visitorPage(t)
	vis.do("agents are online", poll(sh(".st.on")))
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

	// The visitor sees Ann join by name: the header shows her instead of
	// the bot, and the timeline says she joined.
	vis.do("ann joins", poll(sh(".nm")+`?.textContent === "ann"`), poll(widgetText(".sys", "ann joined")))

	// Typing, an unsafe message shown as text, a reply with Enter, the read
	// receipt. The widget sends typing at most every 2 s, with what was typed
	// so far: the first key's.
	vis.do("the visitor types",
		chromedp.Click(wjs(".cf input")),
		chromedp.SendKeys(wjs(".cf input"), "I wond"),
	)
	if err := chromedp.Do(annCtx, poll(`!document.querySelector(".lc-typing").hidden && document.querySelector(".lc-typing").textContent.startsWith("Vera Visitor is typing: I")`)); err != nil {
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
	// The agent's typing reaches the widget: the indicator may last only
	// until the next event, so an observer notes that it was shown.
	vis.do("watch for the typing indicator", eval(`(() => {
		const root = document.querySelector("#parley-widget").shadowRoot;
		window.__typing = "";
		new MutationObserver(() => { const ty = root.querySelector(".ty"); if (ty) window.__typing = ty.textContent; }).observe(root, {subtree: true, childList: true});
	})()`))
	err := chromedp.Do(annCtx,
		chromedp.SendKeys(chromedp.CSS(`.lc-input`), "/pri"),
		poll(`!document.querySelector(".lc-replies").hidden && document.querySelector(".lc-reply.on")`),
	)
	if err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	vis.do("ann is typing", poll(`window.__typing.includes("ann is typing")`))
	err = chromedp.Do(annCtx,
		chromedp.KeyEvent("\r"), // picks the saved reply
		poll(`document.querySelector(".lc-input").value.startsWith("Our plans")`),
		chromedp.KeyEvent("\r"), // sends it
		poll(`document.querySelector(".lc-input").value.trim() === ""`),
	)
	if err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	// The widget shows Ann's message, as text, and reads it: Ann sees "Seen".
	vis.do("ann's message", poll(widgetText(".m.bot .b", "Our plans start at $29 per seat.")))
	if err := chromedp.Do(annCtx, poll(`document.querySelector(".lc-msg.agent .lc-receipt.seen")`)); err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	// ↑ edits the last message; the widget corrects it in place.
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
	vis.do("the edit reaches the widget", poll(widgetText(".m.bot .b", "Our plans start at $25 per seat.")))
	var plans int
	vis.do("edited in place", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		n, err := chromedp.Evaluate[int](`[...document.querySelector("#parley-widget").shadowRoot.querySelectorAll(".m.bot .b")].filter(b => b.textContent.startsWith("Our plans")).length`)(ctx, tg)
		plans = n
		return chromedp.Void{}, err
	})
	if plans != 1 {
		t.Fatalf("%d bubbles with Ann's message in the widget after the edit, want 1 (edited in place)", plans)
	}
	// A reload replays the message and then its edit: still one bubble, corrected.
	vis.do("reload the page",
		chromedp.Reload(),
		poll(sh(".p.open")),
		poll(widgetText(".m.bot .b", "Our plans start at $25 per seat.")),
		poll(`[...document.querySelector("#parley-widget").shadowRoot.querySelectorAll(".m.bot .b")].filter(b => b.textContent.startsWith("Our plans")).length === 1`),
		poll(sh(".nm")+`?.textContent === "ann"`),
	)
	screenshot(t, vis.ctx, "2-widget")

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
	// Ann closes the chat with the keyboard; the widget says it has ended.
	if err := chromedp.Do(annCtx, eval(`document.activeElement.blur()`), chromedp.KeyEvent("e"),
		poll(`[...document.querySelectorAll(".lc-sys")].some(s => s.textContent.startsWith("Chat closed"))`)); err != nil {
		t.Fatal(err, pageText(annCtx))
	}
	vis.do("closed", poll(sh(".end")+`?.textContent.includes("The chat has ended")`))

	// Nobody claims the next chat in time: the second visitor's widget shows
	// the offline message, the capture creates the lead, and Bob can still
	// claim it; the widget shows him joining.
	vis2 := e.visitorPage(t)
	vis2.startLiveChat("Olga Offline", "olga@example.com", "Globex")
	if err := chromedp.Do(bobCtx, poll(`[...document.querySelectorAll(".lc-item-name")].some(n => n.textContent === "Olga Offline")`)); err != nil {
		t.Fatal(err, pageText(bobCtx))
	}
	e.clock.Advance(91 * time.Second)
	vis2.do("the offline message", poll(sh(".ls")+`.textContent.includes("Everyone is busy right now. We'll email you at olga@example.com shortly.")`),
		poll(sh(".end")+`?.textContent.includes("Have a great day!")`))
	// The capture is applied right after the offline branch's commit.
	var leads []crm.Lead
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
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
	vis2.do("bob joins", poll(sh(".nm")+`?.textContent === "bob"`), poll(widgetText(".sys", "bob joined")))
	if got := vis.text(".nm"); got != "ann" {
		t.Errorf("the first visitor's header changed to %q", got)
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
