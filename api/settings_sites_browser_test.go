package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/parley/parley/livechat"
)

// An admin adds a site in Settings → Sites & widget (a bad origin is refused
// first), edits its appearance, a French text, business hours and the
// pre-chat form (a bad range is refused in the page, a bad time zone by the
// server, and nothing typed is lost), and finds it all again after a
// reload and through the API; the snippet carries the site key, a name
// that looks like HTML is shown as text, and a site is deleted.
func TestBrowserSettingsSites(t *testing.T) {
	e, ctx := builderSession(t)
	u := ui{t, ctx}
	str := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v%s", js, err, pageText(ctx))
		}
		return v
	}
	getSite := func(id int64) livechat.Site {
		t.Helper()
		r := e.asAdmin("GET", fmt.Sprintf("/api/v1/sites/%d", id), nil)
		expect(t, r, http.StatusOK)
		var s livechat.Site
		r.data(t, &s)
		return s
	}
	// errOf is the text of the error slot a control points at.
	errOf := func(sel string) string {
		return `(() => { const c = document.querySelector(` + jsq(sel) + `); return (c.getAttribute("aria-describedby") || "").split(" ").map((id) => document.getElementById(id)).filter((x) => x && x.classList.contains("st-err")).map((x) => x.textContent).join(" | "); })()`
	}

	u.do(chromedp.Navigate(e.srv.URL+"/app/settings/sites"), chromedp.WaitVisible(chromedp.CSS(`button[name=new-site]`)),
		poll(`document.body.innerText.includes("No sites yet")`))
	// Any script that ran from a name would call alert.
	u.do(eval(`window.__alerted = false; window.alert = () => { window.__alerted = true; }`))

	// A new site with an origin that is not one: refused in the page, nothing created.
	const evil = `<img src=x onerror=alert(1)>`
	u.click(`button[name=new-site]`)
	u.typeIn(`input[name=new-name]`, evil)
	u.typeIn(`textarea[name=new-origins]`, "www.example.com")
	u.click(`button[name=create-site]`)
	u.do(poll(`document.querySelector("#sts-new-origins-err").textContent.includes("www.example.com: must start with https://")`))
	var list []livechat.Site
	r := e.asAdmin("GET", "/api/v1/sites", nil)
	expect(t, r, http.StatusOK)
	r.data(t, &list)
	if len(list) != 0 {
		t.Fatalf("a site was created with a bad origin: %+v", list)
	}

	// Fixed (with a trailing slash and capitals, which the page normalizes): created.
	u.typeIn(`textarea[name=new-origins]`, "https://WWW.example.com/")
	u.do(eval(`(() => { const t = document.querySelector("textarea[name=new-origins]"); t.value += "\nhttp://localhost:3000"; })()`))
	u.click(`button[name=create-site]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(`form[name=site-editor]`)))
	var id int64
	if _, err := fmt.Sscan(str(`document.querySelector("form[name=site-editor]").dataset.siteId`), &id); err != nil {
		t.Fatal(err)
	}
	site := getSite(id)
	if site.Name != evil || strings.Join(site.AllowedOrigins, " ") != "https://www.example.com http://localhost:3000" {
		t.Fatalf("created: name %q origins %q", site.Name, site.AllowedOrigins)
	}
	if got := str(`location.search`); got != fmt.Sprintf("?site=%d", id) {
		t.Fatalf("URL after create: %q", got)
	}

	// The name is text everywhere, never markup.
	if got := str(`document.querySelector(".sts-list a.sts-pick").textContent`); got != evil {
		t.Fatalf("name in the list: %q", got)
	}
	if got := str(`String(document.querySelectorAll("#view img").length) + " " + window.__alerted`); got != "0 false" {
		t.Fatalf("the name became markup: imgs, alerted = %s", got)
	}
	if got := str(`document.querySelector("#sts-install-h").textContent`); !strings.Contains(got, evil) {
		t.Fatalf("install heading: %q", got)
	}

	// The snippet, with the site key and this server's origin.
	want := `<script src="` + e.srv.URL + `/widget/v1/static/loader.js" data-site="` + site.SiteKey + `" async></script>`
	if got := str(`document.querySelector("#sts-snippet").textContent`); got != want {
		t.Fatalf("snippet:\n got %s\nwant %s", got, want)
	}
	u.click(`button[name=copy-snippet]`)
	u.do(poll(`document.querySelector("#sts-snippet").parentElement.querySelector(".st-ok").textContent !== ""`))

	// Edit: color, position, offset, a French text, hours, pre-chat.
	u.do(eval(`(() => { const c = document.querySelector("input[name=color]"); c.value = "#ff0000"; c.dispatchEvent(new Event("input", {bubbles: true})); })()`))
	if got := str(`document.querySelector("input[name=color-hex]").value`); got != "#ff0000" {
		t.Fatalf("hex after picking a color: %q", got)
	}
	u.choose(`select[name=position]`, "left")
	u.typeIn(`input[name=offset]`, "40")
	u.click(`button[role=tab][data-lang=fr]`)
	// An empty box shows the built-in text, as the server has it (GET /widgetTexts).
	if got := str(`document.querySelector('input[name="texts.fr.header"]').placeholder`); got != livechat.DefaultTexts("fr").Header {
		t.Fatalf("French header placeholder %q, want the server's default", got)
	}
	u.typeIn(`input[name="texts.fr.launcher"]`, "Parlons")
	u.typeIn(`input[name=hours-mon]`, "09:00-12:00, 14:00-18:00")
	u.click(`button[name=copy-monday]`)
	u.typeIn(`input[name=hours-sat]`, "18:00-09:00")
	u.typeIn(`input[name=timezone]`, "Mars/Olympus")
	u.click(`input[name=prechat-enabled]`)
	u.click(`tr[data-field="person.email"] input[name=prechat-field]`)
	u.click(`tr[data-field="person.email"] input[name=prechat-required]`)

	// A range that ends before it starts: refused in the page.
	u.click(`button[name=save]`)
	u.do(poll(errOf(`input[name=hours-sat]`) + `.includes("18:00-09:00")`))
	if s := getSite(id); s.Appearance.Color != "#2563eb" {
		t.Fatalf("saved despite a bad range: %+v", s.Appearance)
	}

	// A time zone the server does not know: its field error, next to the field.
	u.typeIn(`input[name=hours-sat]`, "10:00-13:00")
	u.click(`button[name=save]`)
	u.do(poll(errOf(`input[name=timezone]`) + `.includes("not a known time zone")`))
	if got := str(`document.querySelector("input[name=timezone]").getAttribute("aria-invalid") + " " + document.querySelector(".sts-bar .st-err").textContent`); !strings.HasPrefix(got, "true Not saved") {
		t.Fatalf("after the server refused: %q", got)
	}
	if s := getSite(id); s.Appearance.Color != "#2563eb" || s.Texts["fr"].Launcher != "" {
		t.Fatalf("saved despite a bad time zone: %+v %+v", s.Appearance, s.Texts)
	}
	// Nothing typed was lost.
	kept := str(`["input[name=color-hex]", "select[name=position]", "input[name=offset]", 'input[name="texts.fr.launcher"]', "input[name=hours-tue]"].map((s) => document.querySelector(s).value).join("|")`)
	if kept != "#ff0000|left|40|Parlons|09:00-12:00, 14:00-18:00" {
		t.Fatalf("form after a failed save: %q", kept)
	}

	u.typeIn(`input[name=timezone]`, "Europe/Paris")
	u.click(`button[name=save]`)
	u.do(poll(`document.querySelector(".sts-bar .st-ok").textContent === "Saved"`))

	s := getSite(id)
	if s.Appearance != (livechat.Appearance{Color: "#ff0000", Position: "left", OffsetPx: 40}) {
		t.Fatalf("appearance on the server: %+v", s.Appearance)
	}
	if s.Texts["fr"].Launcher != "Parlons" || len(s.Texts) != 1 {
		t.Fatalf("texts on the server: %+v", s.Texts)
	}
	if s.BusinessHours.TimeZone != "Europe/Paris" || strings.Join(s.BusinessHours.Days["fri"], ",") != "09:00-12:00,14:00-18:00" ||
		strings.Join(s.BusinessHours.Days["sat"], ",") != "10:00-13:00" || len(s.BusinessHours.Days) != 6 {
		t.Fatalf("business hours on the server: %+v", s.BusinessHours)
	}
	if !s.PreChat.Enabled || s.PreChat.RequireBeforeMessages || len(s.PreChat.Fields) != 1 ||
		s.PreChat.Fields[0] != (livechat.PreChatField{Name: "person.email", Label: "Email", Required: true}) {
		t.Fatalf("pre-chat on the server: %+v", s.PreChat)
	}
	if s.OutsideHours != "message" || s.Name != evil {
		t.Fatalf("site on the server: %+v", s)
	}

	// After a reload, the form shows what the server has.
	u.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`form[name=site-editor]`)))
	shot(ctx, t, "settings-sites")
	back := str(`[
		"input[name=color]", "input[name=color-hex]", "select[name=position]", "input[name=offset]", 'input[name="texts.fr.launcher"]',
		'input[name="texts.en.launcher"]', "input[name=timezone]", "input[name=hours-wed]", "input[name=hours-sun]", "select[name=outside-hours]",
	].map((s) => document.querySelector(s).value).join("|") + "|" + document.querySelector("input[name=prechat-enabled]").checked +
		"|" + document.querySelector('tr[data-field="person.email"] input[name=prechat-required]').checked +
		"|" + document.querySelector("form[name=site-editor] tbody tr").dataset.field`)
	if want := "#ff0000|#ff0000|left|40|Parlons||Europe/Paris|09:00-12:00, 14:00-18:00||message|true|true|person.email"; back != want {
		t.Fatalf("after a reload:\n got %s\nwant %s", back, want)
	}
	if got := str(`String(document.querySelectorAll("#view img").length) + " " + document.querySelector(".sts-list tbody tr").textContent`); !strings.HasPrefix(got, "0 "+evil) ||
		!strings.Contains(got, site.SiteKey) || !strings.Contains(got, "https://www.example.com, http://localhost:3000") {
		t.Fatalf("list row after a reload: %q", got)
	}

	// Delete a second site, behind a confirm.
	second := e.asAdmin("POST", "/api/v1/sites", map[string]any{"name": "Second", "allowed_origins": []string{"https://second.example"}})
	expect(t, second, http.StatusCreated)
	var two livechat.Site
	second.data(t, &two)
	pick := fmt.Sprintf(`a.sts-pick[data-site-id="%d"]`, two.ID)
	u.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(pick)))
	u.click(pick)
	u.do(poll(fmt.Sprintf(`document.querySelector("form[name=site-editor]").dataset.siteId === "%d"`, two.ID)))
	u.do(eval(`window.confirm = () => false`))
	u.click(`button[name=delete-site]`)
	getSite(two.ID)
	u.do(eval(`window.confirm = () => true`))
	u.click(`button[name=delete-site]`)
	u.do(poll(fmt.Sprintf(`!document.querySelector(%s) && document.querySelector("form[name=site-editor]").dataset.siteId === "%d"`, jsq(pick), id)))
	expect(t, e.asAdmin("GET", fmt.Sprintf("/api/v1/sites/%d", two.ID), nil), http.StatusNotFound)
	getSite(id)
}
