package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parley/parley/crm"
)

// TestBrowserSettingsWebhooks drives Settings › Webhooks as the admin: a bad
// URL is refused next to its field, a good one is added and the secret the
// page shows once is the webhook's; the new webhook's deliveries are empty
// until a person is added through the API, and then show that change
// pending; the webhook is deactivated and deleted (behind a confirm). A
// URL with markup in it stays text.
func TestBrowserSettingsWebhooks(t *testing.T) {
	e, ctx := builderSession(t)
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	u := ui{t, ctx}

	markup := "https://hooks.example.com/<img src=x onerror=alert(1)>"
	odd, err := e.crm.CreateWebhook(context.Background(), crm.WebhookInput{SubscriptionURL: markup, EventAction: "*", EventObject: "*"})
	if err != nil {
		t.Fatal(err)
	}
	webhooks := func() []crm.Webhook {
		t.Helper()
		r := e.asAdmin("GET", "/api/v1/webhooks", nil)
		expect(t, r, http.StatusOK)
		var ws []crm.Webhook
		r.data(t, &ws)
		return ws
	}

	// Dialogs are answered yes and remembered; an alert would be markup running.
	form := `form[aria-label="Add webhook"]`
	u.do(chromedp.Navigate(e.srv.URL+"/app/settings/webhooks"),
		chromedp.WaitVisible(chromedp.CSS(form)),
		eval(`window.__alerts = []; window.alert = (m) => __alerts.push(String(m));
		      window.__confirms = []; window.confirm = (m) => (__confirms.push(String(m)), true);`),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-webhook="%d"]`, odd.ID))))
	if on := waitJS(t, ctx, "tab", `document.querySelector('.st-tabs a[data-sub=webhooks]')?.getAttribute('aria-current')`); on != "page" {
		t.Fatalf("the Webhooks tab is not the current one: %q", on)
	}

	// A bad URL: the error is next to the field and nothing is added.
	u.typeIn(form+` input[name=subscription_url]`, "hooks.example.com/parley")
	u.choose(form+` select[name=event_object]`, "person")
	u.choose(form+` select[name=event_action]`, "create")
	u.click(form + ` button[name=add-webhook]`)
	msg := waitJS(t, ctx, "url error", `document.querySelector('`+form+` [data-err=subscription_url]').textContent`)
	if !strings.Contains(msg, "http") {
		t.Fatalf("URL error %q", msg)
	}
	if inv := waitJS(t, ctx, "aria-invalid", `document.querySelector('`+form+` input[name=subscription_url]').getAttribute('aria-invalid')`); inv != "true" {
		t.Fatalf("the URL field is not marked invalid: %q", inv)
	}
	if ws := webhooks(); len(ws) != 1 {
		t.Fatalf("a bad URL added a webhook: %+v", ws)
	}

	// A good one: its secret is shown once and is the webhook's.
	good := "https://hooks.example.com/parley"
	u.typeIn(form+` input[name=subscription_url]`, good)
	u.click(form + ` button[name=add-webhook]`)
	secret := waitJS(t, ctx, "secret", `document.querySelector('[data-once=webhook] [data-secret]')?.textContent`)
	idText := waitJS(t, ctx, "webhook id", `document.querySelector('[data-once=webhook]').dataset.webhook`)
	if e := waitJS(t, ctx, "url error cleared", `JSON.stringify(document.querySelector('`+form+` [data-err=subscription_url]').textContent)`); e != `""` {
		t.Fatalf("the URL error is still shown: %s", e)
	}
	ws := webhooks()
	if len(ws) != 2 {
		t.Fatalf("webhooks %+v", ws)
	}
	w := ws[1]
	if strconv.FormatInt(w.ID, 10) != idText || w.SubscriptionURL != good || w.EventObject != "person" || w.EventAction != "create" || !w.Active {
		t.Fatalf("added %+v (page says id %s)", w, idText)
	}
	if secret != w.Secret || len(secret) < 32 {
		t.Fatalf("page shows secret %q, the API has %q", secret, w.Secret)
	}
	box := waitJS(t, ctx, "once box", `document.querySelector('[data-once=webhook]').textContent`)
	for _, want := range []string{"will not be shown again", "X-Parley-Signature", "sha256=", "HMAC-SHA256", "raw request body"} {
		if !strings.Contains(box, want) {
			t.Fatalf("the secret box does not say %q: %q", want, box)
		}
	}
	if n := waitJS(t, ctx, "copy", `String(document.querySelectorAll('[data-once=webhook] button[name=copy]').length)`); n != "1" {
		t.Fatalf("%s copy buttons", n)
	}
	row := fmt.Sprintf(`tr[data-webhook="%d"]`, w.ID)
	u.do(chromedp.WaitVisible(chromedp.CSS(row)))
	cells := waitJS(t, ctx, "row", `(() => { const r = document.querySelector('`+row+`'); return [".c-url", ".c-object", ".c-action", ".c-active"].map((c) => r.querySelector(c).textContent).join("|"); })()`)
	if cells != good+"|Persons|Created|Active" {
		t.Fatalf("row shows %q", cells)
	}
	if n := waitJS(t, ctx, "secret in list", `String(document.querySelector('table[aria-label="Webhooks list"]').textContent.includes(`+jsq(secret)+`))`); n != "false" {
		t.Fatalf("the list shows the secret")
	}

	// Deliveries: none yet; a person added through the API shows up pending.
	u.click(row + ` button[name=deliveries]`)
	dv := fmt.Sprintf(`[data-deliveries="%d"]`, w.ID)
	u.do(chromedp.WaitVisible(chromedp.CSS(dv + ` [data-empty]`)))
	var p crm.Person
	e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": "Jane Doe"}, &p)
	u.click(dv + ` button[name=refresh]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(dv + ` tr[data-delivery]`)))
	got := waitJS(t, ctx, "delivery row", `(() => { const rs = document.querySelectorAll('`+dv+` tr[data-delivery]'); return rs.length + "|" + [".c-event", ".c-status", ".c-attempts", ".c-http"].map((c) => rs[0].querySelector(c).textContent).join("|"); })()`)
	if want := fmt.Sprintf("1|person create #%d|pending|0|—", p.ID); got != want {
		t.Fatalf("delivery shown as %q, want %q", got, want)
	}
	shot(ctx, t, "settings-webhooks")

	// Deactivate.
	u.click(row + ` button[name=deactivate]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(row + ` button[name=activate]`)))
	r := e.asAdmin("GET", fmt.Sprintf("/api/v1/webhooks/%d", w.ID), nil)
	expect(t, r, http.StatusOK)
	var after crm.Webhook
	r.data(t, &after)
	if after.Active {
		t.Fatalf("still active after Deactivate: %s", r.Raw)
	}
	if s := waitJS(t, ctx, "inactive badge", `document.querySelector('`+row+` .c-active').textContent`); s != "Inactive" {
		t.Fatalf("active column %q", s)
	}

	// Delete, behind a confirm: the row, its secret and its deliveries go.
	u.click(row + ` button[name=delete]`)
	u.do(chromedp.WaitNotPresent(chromedp.CSS(row)))
	expect(t, e.asAdmin("GET", fmt.Sprintf("/api/v1/webhooks/%d", w.ID), nil), http.StatusNotFound)
	if c := waitJS(t, ctx, "confirms", `JSON.stringify(__confirms)`); !strings.Contains(c, "Delete the webhook to "+good) {
		t.Fatalf("no confirm before deleting: %s", c)
	}
	if n := waitJS(t, ctx, "gone", `String(document.querySelectorAll('[data-once=webhook], `+dv+`').length)`); n != "0" {
		t.Fatalf("the deleted webhook's secret or deliveries are still shown")
	}
	if ws := webhooks(); len(ws) != 1 || ws[0].ID != odd.ID {
		t.Fatalf("after delete %+v", ws)
	}

	// The URL with markup in it is text.
	shown := waitJS(t, ctx, "markup url", fmt.Sprintf(`document.querySelector('tr[data-webhook="%d"] .c-url').textContent`, odd.ID))
	if shown != markup {
		t.Fatalf("URL shown as %q", shown)
	}
	if n := waitJS(t, ctx, "imgs", `String(document.querySelectorAll('#view img').length + __alerts.length)`); n != "0" {
		t.Fatalf("the URL became markup (%s images or alerts)", n)
	}
}
