package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema/schematest"
)

// TestBrowserSettingsTeamAndTokens drives Settings › Team and API tokens as
// the admin: it adds an agent (a bad email first), signs in through the API
// with the one-time password the page showed, puts the agent in a new group,
// deactivates them, and then creates an API token, calls the API with the
// secret the page showed, and revokes it.
func TestBrowserSettingsTeamAndTokens(t *testing.T) {
	db := schematest.SQLite(t)
	e := newEnv(t, db, withLive(t, db))
	bad := "<img src=x onerror=alert(1)>"
	xss, err := e.crm.CreateUser(context.Background(), crm.UserInput{Name: bad, Email: "xss@example.com", Role: crm.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	u := ui{t, ctx}

	// Dialogs are answered yes and remembered; an alert would be the markup
	// in the name running.
	u.do(chromedp.EmulateViewport(1400, 900),
		chromedp.Navigate(e.srv.URL+"/app/settings/team"),
		eval(`window.__alerts = []; window.alert = (m) => __alerts.push(String(m));
		      window.__confirms = []; window.confirm = (m) => (__confirms.push(String(m)), true);`),
		signIn(),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-user="%d"]`, xss.ID))))

	// The admin cannot deactivate themselves.
	if got := waitJS(t, ctx, "own row", fmt.Sprintf(`(() => { const b = document.querySelector('tr[data-user="%d"] button[name=deactivate]'); return b ? String(b.disabled) : null; })()`, e.admin.ID)); got != "true" {
		t.Fatalf("the admin's own Deactivate button is enabled")
	}

	// Add an agent: a bad email is refused next to the field.
	u.click(`button[name=add-user]`)
	add := `form[aria-label="Add user"]`
	u.typeIn(add+` input[name=name]`, "Rita Rep")
	u.typeIn(add+` input[name=email]`, "rita-at-example")
	u.click(add + ` button[name=save-user]`)
	msg := waitJS(t, ctx, "email error", `document.querySelector('form[aria-label="Add user"] [data-err=email]').textContent`)
	if !strings.Contains(msg, "not an email") {
		t.Fatalf("email error %q", msg)
	}
	u.typeIn(add+` input[name=email]`, "rita@example.com")
	u.click(add + ` button[name=save-user]`)
	password := waitJS(t, ctx, "one-time password", `document.querySelector('[data-once=password] [data-secret]')?.textContent`)
	if len(password) < 16 {
		t.Fatalf("generated password %q is short", password)
	}
	note := waitJS(t, ctx, "once note", `document.querySelector('[data-once=password]').textContent`)
	if !strings.Contains(note, "will not be shown again") {
		t.Fatalf("the password box does not say it is shown once: %q", note)
	}
	rita, err := e.crm.GetUserByEmail(context.Background(), "rita@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if rita.Role != crm.RoleAgent || !rita.Active {
		t.Fatalf("rita: %+v", rita)
	}
	login := func() *resp {
		return e.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "rita@example.com", "password": password}})
	}
	expect(t, login(), http.StatusOK)

	// A field error on edit: a short password is refused next to it.
	row := fmt.Sprintf(`tr[data-user="%d"]`, rita.ID)
	u.click(row + ` button[name=edit]`)
	edit := fmt.Sprintf(`form[data-user="%d"]`, rita.ID)
	u.typeIn(edit+` input[name=password]`, "short")
	u.click(edit + ` button[name=save-user]`)
	if msg := waitJS(t, ctx, "password error", `document.querySelector('`+edit+` [data-err=password]').textContent`); !strings.Contains(msg, "10") {
		t.Fatalf("password error %q", msg)
	}
	u.click(edit + ` button[name=cancel]`)
	expect(t, login(), http.StatusOK) // unchanged

	// A group with Rita in it.
	u.click(`button[name=add-group]`)
	ng := `form[aria-label="New group"]`
	u.typeIn(ng+` input[name=name]`, "Sales")
	u.click(fmt.Sprintf(`%s input[name=member][value="%d"]`, ng, rita.ID))
	u.click(ng + ` button[name=save-group]`)
	members := waitJS(t, ctx, "group row", `[...document.querySelectorAll('tr[data-group]')].find((r) => r.querySelector('.c-name').textContent === "Sales")?.querySelector('.c-members').textContent`)
	if members != "Rita Rep" {
		t.Fatalf("Sales members shown as %q", members)
	}
	var gs []crm.Group
	r := e.asAdmin("GET", "/api/v1/groups", nil)
	expect(t, r, http.StatusOK)
	r.data(t, &gs)
	if len(gs) != 1 || gs[0].Name != "Sales" || len(gs[0].UserIDs) != 1 || gs[0].UserIDs[0] != rita.ID {
		t.Fatalf("groups %+v", gs)
	}

	// Deactivate Rita (behind a confirm).
	u.click(row + ` button[name=deactivate]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(row + ` button[name=reactivate]`)))
	r = e.asAdmin("GET", fmt.Sprintf("/api/v1/users/%d", rita.ID), nil)
	expect(t, r, http.StatusOK)
	var got crm.User
	r.data(t, &got)
	if got.Active {
		t.Fatalf("rita is still active: %s", r.Raw)
	}
	expect(t, login(), http.StatusUnauthorized)
	if c := waitJS(t, ctx, "confirms", `JSON.stringify(__confirms)`); !strings.Contains(c, "Deactivate Rita Rep") {
		t.Fatalf("no confirm before deactivating: %s", c)
	}

	// The markup in a name is text.
	name := waitJS(t, ctx, "xss name", fmt.Sprintf(`JSON.stringify(document.querySelector('tr[data-user="%d"] .c-name').textContent)`, xss.ID))
	var shown string
	if err := json.Unmarshal([]byte(name), &shown); err != nil || shown != bad {
		t.Fatalf("name shown as %s", name)
	}
	shot(ctx, t, "settings-team")
	if n := waitJS(t, ctx, "imgs", `String(document.querySelectorAll('#view img').length + __alerts.length)`); n != "0" {
		t.Fatalf("the name became markup (%s images or alerts)", n)
	}

	// API tokens: create, use, revoke.
	u.click(`.st-tabs a[data-sub=tokens]`)
	tf := `form[aria-label="Create token"]`
	u.typeIn(tf+` input[name=name]`, "ci script")
	u.click(tf + ` button[name=create-token]`)
	secret := waitJS(t, ctx, "token secret", `document.querySelector('[data-once=token] [data-secret]')?.textContent`)
	curl := waitJS(t, ctx, "curl", `document.querySelector('[data-once=token] [data-snippet=curl]').textContent`)
	if want := `curl -H "x-api-token: ` + secret + `" ` + e.srv.URL + `/api/v1/users/me`; curl != want {
		t.Fatalf("curl example %q, want %q", curl, want)
	}
	tokenID := waitJS(t, ctx, "token id", `document.querySelector('[data-once=token]').dataset.token`)
	trow := `tr[data-token="` + tokenID + `"]`
	u.do(chromedp.WaitVisible(chromedp.CSS(trow)))
	if prefix := waitJS(t, ctx, "prefix", `document.querySelector('`+trow+` .c-prefix').textContent`); !strings.HasPrefix(secret, strings.TrimSuffix(prefix, "…")) {
		t.Fatalf("prefix %q is not the secret's %q", prefix, secret)
	}
	me := e.do(req{method: "GET", path: "/api/v1/users/me", token: secret})
	expect(t, me, http.StatusOK)
	var meU crm.User
	me.data(t, &meU)
	if meU.ID != e.admin.ID {
		t.Fatalf("the token acts as %+v", meU)
	}
	shot(ctx, t, "settings-tokens")
	u.click(trow + ` button[name=revoke]`)
	u.do(chromedp.WaitNotPresent(chromedp.CSS(trow)))
	expect(t, e.do(req{method: "GET", path: "/api/v1/users/me", token: secret}), http.StatusUnauthorized)
	if n := waitJS(t, ctx, "secret gone", `String(document.querySelectorAll('[data-once=token]').length)`); n != "0" {
		t.Fatalf("the revoked token's secret is still shown")
	}
}
