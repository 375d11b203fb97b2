package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema/schematest"
)

// widgetJS runs js with `w` bound to the widget's shadow root inside the
// builder's preview iframe (same origin, so the page can reach into it).
func widgetJS(js string) string {
	return `(() => { const f = document.querySelector("iframe[name=pv-frame]"); const d = f && f.contentDocument;
  const host = d && d.getElementById("parley-widget"); const w = host && host.shadowRoot; if (!w) return null; ` + js + ` })()`
}

// inWidget selects the element that js gives, with `w` bound as in widgetJS,
// so that clicks and keys go to the widget inside the preview iframe.
func inWidget(js string) chromedp.JSPath { return chromedp.JSPath(widgetJS(`return ` + js + `;`)) }

// waitJS polls a JS expression until it returns a non-empty string.
func waitJS(t *testing.T, ctx context.Context, what, js string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const r = `+js+`; return r == null ? "" : String(r); })()`))
		if err == nil && s != "" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v%s", what, err, pageText(ctx))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserBuilderLivePreview loads the qualifier template as a draft,
// opens Preview and answers in the real widget inside the iframe: the bot's
// next question comes over the real socket, nothing reaches the CRM, no
// folder lists the chat, and "Restart preview" starts afresh on a new token.
func TestBrowserBuilderLivePreview(t *testing.T) {
	e := newLiveEnv(t, schematest.SQLite(t), true)
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	u := ui{t, ctx}
	u.do(chromedp.EmulateViewport(1500, 1000),
		chromedp.Navigate(e.srv.URL+"/app"),
		signIn(),
		chromedp.Click(chromedp.CSS(`nav a[data-view=playbooks]`)))
	u.click(`button[name=new-playbook]`)
	u.click(`[data-template=qualifier]`)
	u.click(`button[name=create]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(`.bg-node[data-card=capture]`)))
	u.settle() // the new playbook is open and saved: a draft, never published

	// A click by script: a mouse click right after the dialog closes may
	// land on the graph while the layout settles.
	u.do(eval(`document.querySelector(".b-tab[data-tab=preview]").click()`),
		chromedp.WaitVisible(chromedp.CSS(`iframe[name=pv-frame]`)))
	src1 := waitJS(t, ctx, "preview iframe src", `document.querySelector("iframe[name=pv-frame]").getAttribute("src")`)
	if !strings.HasPrefix(src1, "/widget/v1/preview?token=") {
		t.Fatalf("iframe src %q", src1)
	}

	// The real widget opens by itself and asks the draft's first question.
	first := waitJS(t, ctx, "first question", widgetJS(`const b = w.querySelector(".op:not(:disabled)"); return b && w.textContent.includes("What brings you") ? b.textContent : null;`))
	if first == "" {
		t.Fatal("no option")
	}
	shot(ctx, t, "live-preview")
	u.do(eval(widgetJS(`w.querySelector(".op:not(:disabled)").click(); return true;`)))
	waitJS(t, ctx, "next question", widgetJS(`return w.textContent.includes("How many people are on your sales team?") ? "yes" : null;`))
	// A typed answer goes through the widget's own input, then the email question.
	u.do(eval(widgetJS(`const i = w.querySelector("form.cf input"); i.value = "25";
  i.dispatchEvent(new Event("input", {bubbles: true})); w.querySelector("form.cf").requestSubmit(); return true;`)))
	waitJS(t, ctx, "email question", widgetJS(`return w.textContent.includes("What's your work email?") ? "yes" : null;`))

	// Nothing was created, and no agent folder shows the chat.
	if deals, _, err := e.lcrm.ListDeals(e.ctx, crm.DealFilter{}, crm.ListParams{}); err != nil || len(deals) != 0 {
		t.Fatalf("deals %+v %v", deals, err)
	}
	if leads, _, err := e.lcrm.ListLeads(e.ctx, crm.LeadFilter{}, crm.ListParams{}); err != nil || len(leads) != 0 {
		t.Fatalf("leads %+v %v", leads, err)
	}
	if cs, err := e.live.ListConversations(e.ctx, livechat.ConversationFilter{}); err != nil || len(cs) != 0 {
		t.Fatalf("conversations listed: %+v %v", cs, err)
	}

	// Restart: a new token, a fresh conversation from the first question.
	u.click(`button[name=pv-live-restart]`)
	src2 := waitJS(t, ctx, "new token", `(() => { const s = document.querySelector("iframe[name=pv-frame]").getAttribute("src"); return s !== `+jsq(src1)+` ? s : null; })()`)
	if !strings.HasPrefix(src2, "/widget/v1/preview?token=") {
		t.Fatalf("iframe src after restart %q", src2)
	}
	waitJS(t, ctx, "first question again", widgetJS(`return w.textContent.includes("What brings you") && !w.textContent.includes("How many people") ? "yes" : null;`))
}
