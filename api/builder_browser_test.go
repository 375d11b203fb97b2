package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parley/parley/api"
	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/playbook"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
	"github.com/parley/parley/widget"
)

// withLive runs the live chat runtime (playbook store) on the env's
// database, with the widget mounted for the Preview tab's live widget.
func withLive(t *testing.T, db *schema.DB) envOpt {
	return func(o *api.Opts) {
		live, err := livechat.New(context.Background(), livechat.Opts{DB: db, CRM: o.CRM})
		if err != nil {
			t.Fatal(err)
		}
		o.Live = live
		o.Mount = append(o.Mount, widget.New(widget.Opts{Live: live}).MountFunc())
	}
}

// signIn fills the app's sign-in form as the env's admin (on a page that
// shows it) and waits for the app.
func signIn() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		return chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Sign in"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "ada@example.com"),
			chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "admin-password"),
			chromedp.Click(chromedp.CSS(`button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#whoami`)))
	})
}

// builderSession opens the agent app signed in as the admin, on the builder.
func builderSession(t *testing.T) (*env, context.Context) {
	t.Helper()
	db := schematest.SQLite(t)
	e := newEnv(t, db, withLive(t, db))
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1500, 900),
		chromedp.Navigate(e.srv.URL+"/app"),
		signIn(),
		chromedp.Click(chromedp.CSS(`nav a[data-view=playbooks]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[name=new-playbook]`)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	return e, ctx
}

// shot saves a screenshot under /tmp when PARLEY_SHOTS is set.
func shot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	if os.Getenv("PARLEY_SHOTS") == "" {
		return
	}
	time.Sleep(300 * time.Millisecond)
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Log(err)
		return
	}
	_ = os.WriteFile("/tmp/shots/"+name+".png", b, 0o644)
}

func TestBrowserBuilderTemplate(t *testing.T) {
	_, ctx := builderSession(t)
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[name=new-playbook]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-template=qualifier]`)),
		chromedp.Click(chromedp.CSS(`[data-template=qualifier]`)),
		chromedp.Click(chromedp.CSS(`button[name=create]`)),
		chromedp.WaitVisible(chromedp.CSS(`.bg-node[data-card=capture]`)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	shot(ctx, t, "qualifier")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.bg-node[data-card=size]`)),
		chromedp.WaitVisible(chromedp.CSS(`.bf-form[data-card=size]`)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	shot(ctx, t, "size")
}

// ui is a small vocabulary for driving the builder.
type ui struct {
	t   *testing.T
	ctx context.Context
}

func (u ui) do(steps ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	if err := chromedp.Do(u.ctx, steps...); err != nil {
		u.t.Fatal(err, pageText(u.ctx))
	}
}

func jsq(s string) string { b, _ := json.Marshal(s); return string(b) }

// typeIn empties a text control and types text into it, key by key.
func (u ui) typeIn(sel, text string) {
	u.t.Helper()
	u.do(chromedp.WaitVisible(chromedp.CSS(sel)),
		eval(`(() => { const e = document.querySelector(`+jsq(sel)+`); e.focus(); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); })()`),
		chromedp.SendKeys(chromedp.CSS(sel), text))
}

// choose picks an option of a select, as a click on it would.
func (u ui) choose(sel, value string) {
	u.t.Helper()
	u.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	ok, err := chromedp.Run(u.ctx, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+jsq(sel)+`); e.value = `+jsq(value)+`; if (e.value !== `+jsq(value)+`) return false; e.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`))
	if err != nil || !ok {
		u.t.Fatalf("choose %s in %s: %v%s", value, sel, err, pageText(u.ctx))
	}
}

func (u ui) click(sel string) {
	u.t.Helper()
	u.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// selectCard clicks a card of the graph (it may be panned out of view).
func (u ui) selectCard(id string) {
	u.t.Helper()
	u.do(chromedp.WaitReady(chromedp.CSS(`.bg-node[data-card=`+id+`]`)),
		eval(`document.querySelector(".bg-node[data-card=`+id+`]").dispatchEvent(new MouseEvent("click", {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`.bf-form[data-card=`+id+`]`)))
}

func (u ui) rename(id string) {
	u.t.Helper()
	u.typeIn(`[data-path=card-id]`, id)
	u.do(chromedp.Blur(chromedp.CSS(`[data-path=card-id]`)), chromedp.WaitVisible(chromedp.CSS(`.bf-form[data-card=`+id+`]`)))
}

func (u ui) addCard(typ string) string {
	u.t.Helper()
	u.click(`.b-add [data-add=` + typ + `]`)
	id, err := chromedp.Run(u.ctx, chromedp.Attributes(chromedp.CSS(`.bf-form[data-card]`)))
	if err != nil {
		u.t.Fatal(err)
	}
	return id["data-card"]
}

// settle waits until the draft is converted and saved.
func (u ui) settle() {
	u.t.Helper()
	_, err := chromedp.Run(u.ctx, chromedp.Evaluate[any](`window.__builder.flush().then(() => true)`, chromedp.EvalAwaitPromise))
	if err != nil {
		u.t.Fatal(err)
	}
}

// TestBrowserBuilderBuildsTheQualifier builds the sales qualifier sample
// from a blank playbook by clicking and typing, publishes it, checks the
// published document means the same as the sample, runs it through the real
// widget in the Preview tab, and then in the simulator.
func TestBrowserBuilderBuildsTheQualifier(t *testing.T) {
	e, ctx := builderSession(t)
	ctx, cancel := context.WithTimeout(ctx, 180*time.Second)
	defer cancel()
	u := ui{t, ctx}

	u.click(`button[name=new-playbook]`)
	u.typeIn(`input[name=new-name]`, "Sales qualifier")
	u.click(`[data-template=blank]`)
	u.click(`button[name=create]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(`.bg-node[data-card=welcome]`)))

	// The playbook: bot and fields.
	u.click(`.b-tab[data-tab=playbook]`)
	u.typeIn(`[data-path="bot.name"]`, "Ava")
	u.typeIn(`input[name=new-field]`, "team_size")
	u.choose(`select[name=new-field-type]`, "number")
	u.click(`button.add-field`)
	u.do(chromedp.WaitVisible(chromedp.CSS(`[data-path="fields.team_size"]`)))
	u.typeIn(`input[name=new-field]`, "use_case")
	u.click(`button.add-field`)
	u.do(chromedp.WaitVisible(chromedp.CSS(`[data-path="fields.use_case"]`)))

	// The trigger.
	u.click(`.b-tab[data-tab=trigger]`)
	u.choose(`[data-path="trigger.on"]`, "load")
	u.typeIn(`[data-path="trigger.after"]`, "10s")
	u.typeIn(`[data-path="trigger.pages.include"]`, "/pricing*")
	u.typeIn(`[data-path="trigger.when"]`, "visitor.visits >=")
	u.settle()
	// A condition that does not compile shows its error inline, and
	// publishing is impossible.
	u.do(chromedp.WaitVisible(chromedp.CSS(`[data-err="trigger.when"].on`)))
	if dis, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("button[name=publish]").disabled`)); !dis {
		t.Fatal("publish enabled with an invalid draft")
	}
	shot(ctx, t, "trigger-error")
	u.typeIn(`[data-path="trigger.when"]`, "visitor.visits >= 2")
	u.typeIn(`[data-path="trigger.priority"]`, "10")

	// intent: the blank's first card becomes the first question.
	u.click(`.b-tab[data-tab=card]`)
	u.selectCard("welcome")
	u.rename("intent")
	u.choose(`[data-path=card-type]`, "question")
	u.typeIn(`.bf-form [data-path=text]`, "Hi 👋 What brings you to our pricing page?")
	u.typeIn(`[data-path="options[0].label"]`, "I want a demo")
	u.typeIn(`[data-path="options[0].value"]`, "demo")
	u.typeIn(`[data-path="options[1].label"]`, "Comparing plans")
	u.typeIn(`[data-path="options[1].value"]`, "compare")
	u.click(`button[aria-label="Add a button"]`)
	u.typeIn(`[data-path="options[2].label"]`, "Just looking")
	u.typeIn(`[data-path="options[2].value"]`, "browse")

	// Add the other cards in order; each new card is connected from the
	// selected one's open exit, then renamed.
	for _, c := range []struct{ typ, id string }{
		{"question", "size"}, {"message", "small"}, {"question", "email"}, {"livechat", "rep"},
		{"capture", "capture"}, {"end", "browse"}, {"end", "thanks"},
	} {
		if got := u.addCard(c.typ); got != c.id {
			u.rename(c.id)
		}
	}

	u.selectCard("intent")
	u.choose(`[data-path="options[2].next"]`, "browse")
	u.choose(`[data-path=next]`, "size")

	u.selectCard("size")
	u.typeIn(`.bf-form [data-path=text]`, "How many people are on your sales team?")
	u.choose(`[data-path=answer-mode]`, "input")
	u.choose(`[data-path=input]`, "number")
	u.choose(`[data-path=save]`, "field.team_size")
	u.typeIn(`[data-path=invalid]`, "Please answer with a number, e.g. 12.")
	u.choose(`[data-path="next.mode"]`, "branch")
	u.typeIn(`[data-path="next[0].if"]`, "field.team_size >= 10")
	u.choose(`[data-path="next[0].goto"]`, "email")
	u.choose(`[data-path="next[1].goto"]`, "small")

	u.selectCard("small")
	u.typeIn(`.bf-form [data-path=text]`, "Our Starter plan fits teams of {{ field.team_size }} well — you can start a free trial today.")
	u.choose(`[data-path=next]`, "email")

	u.selectCard("email")
	u.typeIn(`.bf-form [data-path=text]`, "What's your work email?")
	u.choose(`[data-path=answer-mode]`, "input")
	u.choose(`[data-path=input]`, "email")
	u.choose(`[data-path=save]`, "person.email")
	u.choose(`[data-path="next.mode"]`, "branch")
	u.typeIn(`[data-path="next[0].if"]`, `field.team_size >= 10 && answers.intent == "demo" && agents_online > 0`)
	u.choose(`[data-path="next[0].goto"]`, "rep")
	u.choose(`[data-path="next[1].goto"]`, "capture")

	u.selectCard("rep")
	u.typeIn(`[data-path=online_message]`, "Let me bring in one of our account executives.")
	u.typeIn(`[data-path=wait]`, "45s")
	u.typeIn(`[data-path=offline_message]`, "They're all on calls; someone will email you today.")
	u.choose(`[data-path=offline]`, "capture")

	u.selectCard("capture")
	u.choose(`[data-path=create]`, "deal")
	u.typeIn(`[data-path=title]`, "{{ person.email }} – {{ field.team_size }} seats")
	u.typeIn(`[data-path=value]`, "field.team_size * 49 * 12")
	u.typeIn(`[data-path=currency]`, "EUR")
	u.choose(`[data-path=stage]`, "Qualified")
	u.choose(`[data-path=owner]`, "assignee")
	u.do(chromedp.Click(chromedp.CSS(`[data-path="activity.on"]`)))
	u.typeIn(`[data-path="activity.subject"]`, "Intro call")
	u.choose(`[data-path=next]`, "thanks")

	u.selectCard("browse")
	u.typeIn(`.bf-form [data-path=text]`, "Sure! I'm here if you need anything.")
	u.selectCard("thanks")
	u.typeIn(`.bf-form [data-path=text]`, "Thanks! We'll be in touch shortly.")
	u.settle()
	shot(ctx, t, "built")

	// Valid now: publish.
	u.do(chromedp.WaitEnabled(chromedp.CSS(`button[name=publish]`)))
	u.click(`button[name=publish]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(`.b-item .bf-pill.live`)))

	// The published version means what the sample means.
	want := sharedExamples(t)["qualifier"]
	pbs := e.asAdmin("GET", "/api/v1/playbooks", nil)
	var list []struct{ ID int64 }
	pbs.data(t, &list)
	if len(list) != 1 {
		t.Fatalf("%d playbooks", len(list))
	}
	r := e.asAdmin("GET", fmt.Sprintf("/api/v1/playbooks/%d/versions/1", list[0].ID), nil)
	expect(t, r, 200)
	var v struct{ Document string }
	r.data(t, &v)
	sameMeaning(t, "published version", []byte(v.Document), want)

	// The YAML view shows the same document.
	u.click(`button[name=view-yaml]`)
	y, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`textarea[name=yaml]`)))
	if err != nil {
		t.Fatal(err)
	}
	sameMeaning(t, "YAML view", []byte(y), want)
	shot(ctx, t, "yaml")
	u.click(`button[name=view-graph]`)

	// Versions lists version 1 and shows it.
	u.click(`.b-tab[data-tab=versions]`)
	u.click(`.b-version[data-version="1"]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(`.b-vgraph .bg-node[data-card=capture]`)))
	shot(ctx, t, "version")
	u.click(`button[name=close-version]`)

	// The real widget runs the just-published playbook (the draft is the
	// published version): clicked and typed into inside the Preview tab's
	// iframe, a big team asking for a demo while nobody is online skips the
	// live chat card and reaches the capture and the thanks end card.
	u.click(`.b-tab[data-tab=preview]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(`iframe[name=pv-frame]`)),
		poll(widgetJS(`return w.textContent.includes("What brings you to our pricing page?") && w.querySelector(".op:not(:disabled)");`)),
		chromedp.Click(inWidget(`[...w.querySelectorAll(".op:not(:disabled)")].find((b) => b.textContent === "I want a demo")`)),
		poll(widgetJS(`return w.textContent.includes("How many people are on your sales team?") && w.querySelector("form.cf input:not(:disabled)");`)),
		chromedp.SendKeys(inWidget(`w.querySelector("form.cf input")`), "25\r"),
		poll(widgetJS(`return w.textContent.includes("What's your work email?") && w.querySelector("form.cf input[type=email]:not(:disabled)");`)),
		chromedp.SendKeys(inWidget(`w.querySelector("form.cf input")`), "ann@example.com\r"),
		poll(widgetJS(`return [...w.querySelectorAll(".end .b")].some((b) => b.textContent === "Thanks! We'll be in touch shortly.");`)))
	shot(ctx, t, "preview-live")
	chat := waitJS(t, ctx, "widget transcript", widgetJS(`return w.querySelector(".p").innerText;`))
	for _, w := range []string{"I want a demo", "25", "ann@example.com"} {
		if !strings.Contains(chat, w) {
			t.Errorf("widget transcript lacks %q:\n%s", w, chat)
		}
	}
	if strings.Contains(chat, "Let me bring in one of our account executives.") {
		t.Errorf("widget went to the live chat card with nobody online:\n%s", chat)
	}
	// A preview's capture creates nothing.
	if deals, _, err := e.crm.ListDeals(ctx, crm.DealFilter{}, crm.ListParams{}); err != nil || len(deals) != 0 {
		t.Fatalf("deals after the preview: %+v %v", deals, err)
	}

	// The preview's simulator runs the draft: a big team asking for a demo while nobody
	// is online gets the deal captured and the thanks.
	u.click(`button[name=pv-mode-sim]`)
	u.choose(`select[name=pv-agents]`, "0")
	u.do(chromedp.WaitVisible(chromedp.CSS(`.pv-opt`)))
	u.click(`.pv-opt`)
	u.typeIn(`input[name=pv-answer]`, "25\n")
	u.do(chromedp.WaitVisible(chromedp.CSS(`input[name=pv-answer][type=email]`)))
	u.typeIn(`input[name=pv-answer]`, "ann@example.com\n")
	u.do(chromedp.WaitVisible(chromedp.CSS(`.pv-msg.capture`)))
	txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.pv-log`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Would create a deal", "14700 EUR", "Thanks! We'll be in touch shortly."} {
		if !strings.Contains(txt, w) {
			t.Errorf("preview lacks %q:\n%s", w, txt)
		}
	}
	shot(ctx, t, "preview")
}

// sameMeaning compares two playbooks as parsed documents.
func sameMeaning(t *testing.T, what string, got, want []byte) {
	t.Helper()
	g, probs := playbook.Parse(got)
	if len(probs) > 0 {
		t.Fatalf("%s: %v\n%s", what, probs, got)
	}
	w, _ := playbook.Parse(want)
	gj, _ := g.MarshalJSON()
	wj, _ := w.MarshalJSON()
	if string(gj) != string(wj) {
		t.Errorf("%s differs from the sample:\n got %s\nwant %s", what, gj, wj)
	}
}

// TestBrowserBuilderRoundTrip: each sample, made a playbook from its
// template, shows in the YAML view as written (comments and all); after an
// edit in the graph that is undone, the YAML view shows the canonical export
// of the same document — YAML → builder → YAML loses nothing.
func TestBrowserBuilderRoundTrip(t *testing.T) {
	_, ctx := builderSession(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	u := ui{t, ctx}
	for _, name := range []string{"live-chat", "faq", "qualifier"} {
		src := sharedExamples(t)[name]
		doc, _ := playbook.Parse(src)
		u.click(`button[name=new-playbook]`)
		u.click(`[data-template=` + name + `]`)
		u.click(`button[name=create]`)
		u.do(chromedp.WaitVisible(chromedp.CSS(`.bg-node[data-card=` + doc.Start + `]`)))
		u.settle()
		slug, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__builder.state.m.doc.id`))
		if err != nil {
			t.Fatal(err)
		}
		asShipped := slug == doc.ID
		doc.ID = slug
		canonical, err := playbook.Export(doc)
		if err != nil {
			t.Fatal(err)
		}
		yamlView := func() string {
			t.Helper()
			u.click(`button[name=view-yaml]`)
			u.do(chromedp.WaitVisible(chromedp.CSS(`textarea[name=yaml]`)))
			y, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`textarea[name=yaml]`)))
			if err != nil {
				t.Fatal(err)
			}
			u.click(`button[name=view-graph]`)
			u.do(chromedp.WaitVisible(chromedp.CSS(`.bg-node[data-card=` + doc.Start + `]`)))
			return y
		}
		y := yamlView()
		if asShipped && y != string(src) {
			t.Errorf("%s: YAML view of the template:\n%s\nwant the sample as written", name, y)
		}
		if !asShipped && y != string(canonical) {
			t.Errorf("%s: YAML view:\n%s\nwant:\n%s", name, y, canonical)
		}
		// An edit in the graph, undone: the document is the model's now.
		u.selectCard(doc.Start)
		sel := `.bf-form [data-path=text]`
		u.do(chromedp.SendKeys(chromedp.CSS(sel), "!"), chromedp.SendKeys(chromedp.CSS(sel), "\b"))
		u.settle()
		if y := yamlView(); y != string(canonical) {
			t.Errorf("%s: YAML → builder → YAML:\n%s\nwant:\n%s", name, y, canonical)
		}
	}
}

// TestBrowserBuilderHundredCards: a 100-card playbook is laid out without
// overlapping cards, with every edge drawn.
func TestBrowserBuilderHundredCards(t *testing.T) {
	e, ctx := builderSession(t)
	var b strings.Builder
	b.WriteString("id: big\nname: Big\nlanguage: en\nstart: c0\ncards:\n")
	const n = 100
	for i := 0; i < n; i++ {
		switch {
		case i == n-1:
			fmt.Fprintf(&b, "  c%d: {type: end, text: Bye}\n", i)
		case i%3 == 0:
			fmt.Fprintf(&b, "  c%d:\n    type: question\n    text: Question %d?\n    options:\n      - {label: Yes, next: c%d}\n      - {label: No, next: c%d}\n", i, i, i+1, min(i+2+i%5, n-1))
		default:
			fmt.Fprintf(&b, "  c%d: {type: message, text: Message %d, next: c%d}\n", i, i, min(i+1+i%2, n-1))
		}
	}
	r := e.do(req{method: "POST", path: "/api/v1/playbooks", token: e.adminToken, body: b.String(), contentType: "application/yaml"})
	expect(t, r, 201)
	u := ui{t, ctx}
	u.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`.bg-node[data-card=c99]`)))
	res, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => {
		const boxes = [...document.querySelectorAll(".b-canvas .bg-node")].map((g) => { const r = g.querySelector(".bg-card").getBBox(); const m = g.transform.baseVal[0].matrix; return {x: m.e, y: m.f, w: r.width, h: r.height}; });
		let overlaps = 0;
		for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) { const a = boxes[i], b = boxes[j]; if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlaps++; }
		return [boxes.length, overlaps, document.querySelectorAll(".b-canvas .bg-edge").length];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if res[0] != n || res[1] != 0 {
		t.Errorf("%d cards drawn, %d overlaps", res[0], res[1])
	}
	if res[2] < n-1 {
		t.Errorf("%d edges drawn", res[2])
	}
	shot(ctx, t, "hundred")
	u.click(`button[name=fit]`)
	shot(ctx, t, "hundred-fit")
}

// TestBrowserBuilderUndoRedo: graph and inspector edits are undone and
// redone one step at a time, typing in one field being one step, and what
// is redone is saved like any edit.
func TestBrowserBuilderUndoRedo(t *testing.T) {
	e, ctx := builderSession(t)
	u := ui{t, ctx}
	u.do(chromedp.Click(chromedp.CSS(`button[name=new-playbook]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-template=qualifier]`)),
		chromedp.Click(chromedp.CSS(`[data-template=qualifier]`)),
		chromedp.Click(chromedp.CSS(`button[name=create]`)),
		chromedp.WaitVisible(chromedp.CSS(`.bg-node[data-card=capture]`)))
	num := func(js string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	str := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cards := func() int { return num(`Object.keys(window.__builder.state.m.doc.cards).length`) }
	key := func(k string, shift bool) {
		u.do(eval(fmt.Sprintf(`document.activeElement && document.activeElement.blur(); document.dispatchEvent(new KeyboardEvent("keydown", {key: %q, ctrlKey: true, shiftKey: %v, bubbles: true}))`, k, shift)))
	}
	n := cards()
	if n < 3 || str(`String(document.querySelector("button[name=undo]").disabled)`) != "true" {
		t.Fatalf("%d cards from the template, undo enabled before any edit", n)
	}
	id := u.addCard("message")
	u.typeIn(`.bf-form [data-path=text]`, "Hello there")
	textOf := func() string {
		return str(`(window.__builder.state.m.doc.cards[` + jsq(id) + `] || {}).text ?? "(no card)"`)
	}
	if cards() != n+1 || textOf() != "Hello there" {
		t.Fatalf("after adding and typing: %d cards, text %q", cards(), textOf())
	}

	key("z", false) // the typing, all of it
	if cards() != n+1 || textOf() != "New message" {
		t.Fatalf("first undo: %d cards, text %q, want %d and the new card's text", cards(), textOf(), n+1)
	}
	key("z", false) // the card
	if cards() != n || textOf() != "(no card)" {
		t.Fatalf("second undo: %d cards, text %q, want %d and no card", cards(), textOf(), n)
	}
	if str(`String(document.querySelector("button[name=undo]").disabled)`) != "true" {
		t.Fatal("undo is still enabled with nothing left to undo")
	}
	key("z", true) // redo: the card
	if cards() != n+1 || textOf() != "New message" {
		t.Fatalf("redo: %d cards, text %q", cards(), textOf())
	}
	u.click(`button[name=redo]`) // redo: the typing
	if textOf() != "Hello there" {
		t.Fatalf("second redo: text %q", textOf())
	}
	if str(`String(document.querySelector("button[name=redo]").disabled)`) != "true" {
		t.Fatal("redo is still enabled at the newest state")
	}
	u.settle()
	pb := e.asAdmin("GET", "/api/v1/playbooks/"+str(`String(window.__builder.state.pb.id)`), nil)
	if pb.Status != 200 || !strings.Contains(string(pb.Raw), "Hello there") {
		t.Fatalf("the saved draft lacks the redone text: %d %.300s", pb.Status, pb.Raw)
	}
}
