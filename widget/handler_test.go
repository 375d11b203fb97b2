package widget

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

func (e *env) do(method, path, origin, body string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return res, m
}

func TestConfigAndVisitorEndpoints(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		e.publish("qualifier.yaml")
		e.publish("live-chat.yaml")
		fr := livechat.SiteTexts{Launcher: "Parlons-en"}
		pages := livechat.PageRules{Exclude: []string{"/careers*"}}
		hours := livechat.BusinessHours{TimeZone: "Europe/Paris", Days: map[string][]string{"mon": {"09:00-18:00"}}}
		hide := livechat.OutsideHide
		if _, err := e.live.UpdateSite(e.ctx, e.site.ID, livechat.SiteInput{Texts: &map[string]livechat.SiteTexts{"fr": fr}, Pages: &pages, BusinessHours: &hours, OutsideHours: &hide}); err != nil {
			t.Fatal(err)
		}
		key := e.site.SiteKey

		res, cfg := e.do("GET", "/widget/v1/config?site="+key, testOrigin, "")
		if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != testOrigin {
			t.Fatalf("config: %d, CORS %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
		if _, envelope := cfg["success"]; envelope {
			t.Error("widget endpoints answer plain JSON, not the API envelope")
		}
		texts := cfg["texts"].(map[string]any)
		if texts["fr"].(map[string]any)["launcher"] != "Parlons-en" || texts["fr"].(map[string]any)["placeholder"] != "Écrivez un message…" {
			t.Errorf("French texts: site text over built-in defaults, got %v", texts["fr"])
		}
		for _, l := range []string{"en", "es", "pt"} {
			if texts[l] == nil {
				t.Errorf("no %s texts", l)
			}
		}
		if cfg["outside_hours"] != "hide" || cfg["in_hours"] == nil || cfg["online"] != false {
			t.Errorf("hours/presence: %v %v %v", cfg["outside_hours"], cfg["in_hours"], cfg["online"])
		}
		if ex := cfg["pages"].(map[string]any)["exclude"].([]any); len(ex) != 1 || ex[0] != "/careers*" {
			t.Errorf("pages %v", cfg["pages"])
		}
		trs := cfg["triggers"].([]any)
		if len(trs) != 2 || trs[0].(map[string]any)["playbook"] != "sales-qualifier" || trs[0].(map[string]any)["after_ms"] != 10000.0 {
			t.Errorf("triggers, highest priority first: %v", trs)
		}
		if w, _ := cfg["widget"].(string); !strings.HasPrefix(w, "/widget/v1/static/widget.js?v=") {
			t.Errorf("widget URL %q", cfg["widget"])
		}

		for _, tc := range []struct {
			path, origin string
			status       int
			code         string
		}{
			{"/widget/v1/config", testOrigin, 400, "missing_site"},
			{"/widget/v1/config?site=nope", testOrigin, 404, "unknown_site"},
			{"/widget/v1/config?site=" + key, "https://evil.example.net", 403, "origin_not_allowed"},
		} {
			res, body := e.do("GET", tc.path, tc.origin, "")
			if res.StatusCode != tc.status || body["code"] != tc.code || body["error"] == "" {
				t.Errorf("GET %s from %s: %d %v, want %d %s", tc.path, tc.origin, res.StatusCode, body, tc.status, tc.code)
			}
		}

		// Registration: preflight, then the JSON POST.
		res, _ = e.do("OPTIONS", "/widget/v1/visitors", testOrigin, "")
		if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Headers") != "Content-Type" {
			t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
		}
		res, body := e.do("POST", "/widget/v1/visitors", testOrigin, `{"site":"`+key+`"}`)
		tok, _ := body["visitor_token"].(string)
		if res.StatusCode != 201 || tok == "" || res.Header.Get("Access-Control-Allow-Origin") != testOrigin {
			t.Fatalf("register: %d %v", res.StatusCode, body)
		}
		if _, err := e.live.VisitorByToken(e.ctx, e.site.ID, tok); err != nil {
			t.Errorf("the token does not name a visitor: %v", err)
		}
		for _, tc := range []struct{ body, code string }{{`{"site":`, "bad_json"}, {`{"site":"nope"}`, "unknown_site"}, {`{}`, "missing_site"}} {
			if _, b := e.do("POST", "/widget/v1/visitors", testOrigin, tc.body); b["code"] != tc.code {
				t.Errorf("register %s: %v, want %s", tc.body, b, tc.code)
			}
		}
		if res, _ := e.do("POST", "/widget/v1/visitors", "https://evil.example.net", `{"site":"`+key+`"}`); res.StatusCode != 403 {
			t.Errorf("register from a foreign origin: %d", res.StatusCode)
		}
	})
}

func TestDemoPages(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t), Opts{})
	for _, p := range []string{"/demo", "/demo/pricing", "/demo/cart"} {
		res, err := http.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		tag := `<script src="/widget/v1/static/loader.js" data-site="` + e.site.SiteKey + `" async></script>`
		if res.StatusCode != 200 || !strings.Contains(string(b), tag) {
			t.Errorf("%s: %d, snippet present: %v", p, res.StatusCode, strings.Contains(string(b), tag))
		}
	}
	if res, _ := http.Get(e.srv.URL + "/demo/nope"); res.StatusCode != 404 {
		t.Errorf("unknown demo page: %d", res.StatusCode)
	}
}

// With no playbook to run, the widget is a messenger: start says so, and
// what the visitor writes opens a conversation in the offline queue.
func TestSocketMessengerModeWithoutPlaybook(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		c := e.connect(e.token())
		c.hello(0)
		c.send(frame{"type": "start"})
		if f := c.expect("error", ""); f.str("code") != "no_playbook" {
			t.Fatalf("start without playbook: %v", f)
		}
		c.send(frame{"type": "start", "on": "load", "playbook": "sales-qualifier"})
		if f := c.expect("error", ""); f.str("code") != "no_playbook" {
			t.Fatalf("load trigger without playbook: %v", f)
		}
		c.send(frame{"type": "message", "client_id": "m-1", "text": "Do you ship to Lisbon?"})
		got := c.await("ack", "event:visitor_message")
		if got["ack"].num("seq") != got["event:visitor_message"].num("seq") {
			t.Fatalf("ack %v, event %v", got["ack"], got["event:visitor_message"])
		}
		v, _ := e.live.ListVisitors(e.ctx, e.site.ID, e.site.AddTime, 10)
		conv, err := e.live.OpenConversation(e.ctx, v[0].ID)
		if err != nil || conv.State != livechat.StateOffline {
			t.Fatalf("conversation %+v, %v", conv, err)
		}
	})
}
