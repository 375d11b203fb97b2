package api_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// TestPlaybooksAPI drives /api/v1/playbooks with YAML and JSON bodies:
// create, validate, publish, versions, drafts, and the 422 with line:col.
func TestPlaybooksAPI(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		faq, err := os.ReadFile("../../shared/examples/faq.yaml")
		if err != nil {
			t.Fatal(err)
		}
		yamlReq := func(method, path string, body string, token string) *resp {
			return e.do(req{method: method, path: path, token: token, body: body, contentType: "application/yaml"})
		}

		// Validate: a good document is 200 with warnings; a broken one is 422 naming line:col.
		res := yamlReq("POST", "/api/v1/playbooks/validate", string(faq), e.agentToken)
		expect(t, res, 200)
		bad := "id: broken\nname: B\nstart: nowhere\ncards:\n  a: {type: message, text: hi, nxt: a}\n"
		res = yamlReq("POST", "/api/v1/playbooks/validate", bad, e.agentToken)
		expect(t, res, 422)
		if !res.hasField("3:8") || !strings.Contains(string(res.Raw), "nowhere") {
			t.Fatalf("validate errors: %s", res.Raw)
		}

		// Only admins create; a broken document creates nothing.
		expect(t, yamlReq("POST", "/api/v1/playbooks", string(faq), e.agentToken), 403)
		expect(t, yamlReq("POST", "/api/v1/playbooks", bad, e.adminToken), 422)
		expect(t, e.do(req{method: "POST", path: "/api/v1/playbooks", token: e.adminToken, body: "x", contentType: "text/plain"}), 415)
		res = yamlReq("POST", "/api/v1/playbooks", string(faq), e.adminToken)
		expect(t, res, 201)
		var p livechat.Playbook
		res.data(t, &p)
		if p.Slug != "shop-faq" || p.Draft != string(faq) || p.PublishedVersion != 0 {
			t.Fatalf("created %+v", p)
		}
		expect(t, yamlReq("POST", "/api/v1/playbooks", string(faq), e.adminToken), 409)

		// Publish twice: versions 1 and 2, each immutable and listed.
		for want := 1; want <= 2; want++ {
			res = e.asAdmin("POST", fmt.Sprintf("/api/v1/playbooks/%d/publish", p.ID), nil)
			expect(t, res, 201)
			var v livechat.Version
			res.data(t, &v)
			if v.Version != want {
				t.Fatalf("published version %d, want %d", v.Version, want)
			}
		}
		// A new draft (as JSON) changes the draft, not the published versions.
		edited := strings.Replace(string(faq), "Happy shopping!", "Bye!", 1)
		res = yamlReq("PATCH", fmt.Sprintf("/api/v1/playbooks/%d", p.ID), edited, e.adminToken)
		expect(t, res, 200)
		res = e.asAgent("GET", fmt.Sprintf("/api/v1/playbooks/%d/versions/1", p.ID), nil)
		expect(t, res, 200)
		var v1 livechat.Version
		res.data(t, &v1)
		if v1.Source != string(faq) {
			t.Fatalf("version 1 changed with the draft:\n%s", v1.Source)
		}
		res = e.asAgent("GET", fmt.Sprintf("/api/v1/playbooks/%d/versions", p.ID), nil)
		expect(t, res, 200)
		var vs []livechat.Version
		res.data(t, &vs)
		if len(vs) != 2 {
			t.Fatalf("%d versions", len(vs))
		}
		expect(t, e.asAgent("GET", fmt.Sprintf("/api/v1/playbooks/%d/versions/9", p.ID), nil), 404)
		res = e.asAgent("GET", fmt.Sprintf("/api/v1/playbooks/%d", p.ID), nil)
		expect(t, res, 200)
		res.data(t, &p)
		if !strings.Contains(p.Draft, "Bye!") || p.PublishedVersion != 2 {
			t.Fatalf("after the new draft: %+v", p)
		}

		// The same language as JSON.
		js := `{"id": "hello-json", "name": "Hello", "start": "hi", "cards": {"hi": {"type": "end", "text": "Hi!"}}}`
		res = e.do(req{method: "POST", path: "/api/v1/playbooks", token: e.adminToken, body: js})
		expect(t, res, 201)
		expect(t, e.asAdmin("DELETE", fmt.Sprintf("/api/v1/playbooks/%d", p.ID), nil), 200)
		expect(t, e.asAgent("GET", fmt.Sprintf("/api/v1/playbooks/%d", p.ID), nil), 404)
	})
}

// TestSitesAPI: sites are admin-only, validated field by field.
func TestSitesAPI(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		body := map[string]any{
			"name": "Acme", "allowed_origins": []string{"https://www.acme.test"},
			"appearance":     map[string]any{"color": "#ff6600", "position": "left", "offset_px": 40},
			"business_hours": map[string]any{"timezone": "Europe/Paris", "days": map[string][]string{"mon": {"09:00-18:00"}}},
			"outside_hours":  "hide",
			"pages":          map[string]any{"exclude": []string{"/careers*"}},
		}
		expect(t, e.asAgent("POST", "/api/v1/sites", body), 403)
		expect(t, e.asAgent("GET", "/api/v1/sites", nil), 403)
		res := e.asAdmin("POST", "/api/v1/sites", body)
		expect(t, res, 201)
		var s livechat.Site
		res.data(t, &s)
		if s.SiteKey == "" || s.Appearance.Position != "left" || s.Appearance.OffsetPx != 40 {
			t.Fatalf("created %+v", s)
		}
		res = e.asAdmin("POST", "/api/v1/sites", map[string]any{"name": "X", "allowed_origins": []string{"not a url"},
			"appearance": map[string]any{"color": "orange"}})
		expect(t, res, 422)
		if !res.hasField("appearance.color") {
			t.Fatalf("bad site errors: %s", res.Raw)
		}
		res = e.asAdmin("PATCH", fmt.Sprintf("/api/v1/sites/%d", s.ID), map[string]any{"outside_hours": "message"})
		expect(t, res, 200)
		res.data(t, &s)
		if s.OutsideHours != "message" || s.Appearance.Color != "#ff6600" {
			t.Fatalf("patched %+v", s)
		}
		expect(t, e.asAdmin("DELETE", fmt.Sprintf("/api/v1/sites/%d", s.ID), nil), 200)
		expect(t, e.asAdmin("GET", fmt.Sprintf("/api/v1/sites/%d", s.ID), nil), 404)
	})
}

// The settings page's placeholders come from the server's built-in texts.
func TestWidgetTextsDefaults(t *testing.T) {
	db := schematest.SQLite(t)
	e := newEnv(t, db, withLive(t, db))
	r := e.asAdmin("GET", "/api/v1/widgetTexts", nil)
	expect(t, r, 200)
	var got map[string]livechat.SiteTexts
	r.data(t, &got)
	if got["en"].Launcher != "Chat with us" || got["fr"].Launcher != "Discutons" || len(got) != 4 {
		t.Fatalf("defaults %+v", got)
	}
}
