package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley/parley/api"
	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema/schematest"
)

func TestTokenFormsAndRoles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for name, r := range map[string]req{
			"header": {method: "GET", path: "/api/v1/users/me", token: e.agentToken},
			"bearer": {method: "GET", path: "/api/v1/users/me", header: map[string]string{"Authorization": "Bearer " + e.agentToken}},
			"query":  {method: "GET", path: "/api/v1/users/me?api_token=" + e.agentToken},
		} {
			res := e.do(r)
			expect(t, res, 200)
			var u crm.User
			res.data(t, &u)
			if u.ID != e.agent.ID {
				t.Fatalf("%s: me = %d", name, u.ID)
			}
		}
		res := e.do(req{method: "GET", path: "/api/v1/users/me"})
		expect(t, res, 401)
		if res.Body.Success || res.Body.Error == "" {
			t.Fatalf("401 envelope: %s", res.Raw)
		}
		expect(t, e.do(req{method: "GET", path: "/api/v1/users/me", token: "pk_wrong"}), 401)
		res = e.asAgent("POST", "/api/v1/users", map[string]any{"name": "X", "email": "x@example.com"})
		expect(t, res, 403)
		res = e.asAdmin("POST", "/api/v1/users", map[string]any{"name": "Xavier", "email": "xavier@example.com", "password": "long enough pw"})
		expect(t, res, 201)
		res = e.asAgent("PATCH", fmt.Sprintf("/api/v1/users/%d", e.admin.ID), map[string]any{"name": "Hacked"})
		expect(t, res, 403)
		res = e.asAgent("PATCH", fmt.Sprintf("/api/v1/users/%d", e.agent.ID), map[string]any{"role": "admin"})
		expect(t, res, 403)
		res = e.asAgent("PATCH", "/api/v1/users/me/status", map[string]any{"status": "online"})
		expect(t, res, 200)
		res = e.asAgent("GET", "/api/v1/users/999999", nil)
		expect(t, res, 404)
		res = e.asAgent("GET", "/api/v1/users/abc", nil)
		expect(t, res, 404)
		res = e.asAgent("GET", "/api/v1/nothing-here", nil)
		expect(t, res, 404)
	})
}

func TestBadInputGetsClearErrors(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cases := []struct {
			name   string
			r      req
			status int
			field  string
		}{
			{"malformed", req{method: "POST", path: "/api/v1/groups", body: `{"name": `}, 400, ""},
			{"not an object", req{method: "POST", path: "/api/v1/groups", body: `[1,2]`}, 400, ""},
			{"empty", req{method: "POST", path: "/api/v1/groups", body: ``}, 400, ""},
			{"wrong type", req{method: "POST", path: "/api/v1/groups", body: `{"name": 12}`}, 422, "name"},
			{"unknown field", req{method: "POST", path: "/api/v1/groups", body: `{"name": "A", "colour": "red"}`}, 422, "colour"},
			{"missing field", req{method: "POST", path: "/api/v1/groups", body: `{}`}, 422, "name"},
			{"wrong content type", req{method: "POST", path: "/api/v1/groups", body: `name=A`, contentType: "application/x-www-form-urlencoded"}, 415, ""},
			{"too large", req{method: "POST", path: "/api/v1/groups", body: `{"name": "` + strings.Repeat("a", api.MaxBodyBytes) + `"}`}, 413, ""},
			{"bad member", req{method: "POST", path: "/api/v1/groups", body: `{"name": "A", "user_ids": [424242]}`}, 422, "user_ids[0]"},
			{"bad user", req{method: "POST", path: "/api/v1/users", body: `{"name": "", "email": "nope"}`}, 422, "email"},
			{"bad status", req{method: "PATCH", path: "/api/v1/users/me/status", body: `{"status": "away"}`}, 422, "status"},
		}
		for _, c := range cases {
			c.r.token = e.adminToken
			res := e.do(c.r)
			if res.Status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, res.Status, c.status, res.Raw)
				continue
			}
			if res.Body.Success || res.Body.Error == "" {
				t.Errorf("%s: envelope %s", c.name, res.Raw)
			}
			if c.field != "" && !res.hasField(c.field) {
				t.Errorf("%s: error does not name %q: %s", c.name, c.field, res.Raw)
			}
		}
		groups := e.asAdmin("GET", "/api/v1/groups", nil)
		expect(t, groups, 200)
		if string(groups.Body.Data) != "[]" {
			t.Fatalf("bad requests created groups: %s", groups.Body.Data)
		}
	})
}

func TestSessionLoginCSRFLogout(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		res := e.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "sam@example.com", "password": "wrong-password"}, client: c})
		expect(t, res, 401)
		res = e.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "SAM@example.com", "password": "agent-password"}, client: c})
		expect(t, res, 200)
		var login struct {
			User      crm.User `json:"user"`
			CSRFToken string   `json:"csrf_token"`
		}
		res.data(t, &login)
		if login.User.ID != e.agent.ID || login.CSRFToken == "" {
			t.Fatalf("login: %s", res.Raw)
		}
		var cookie *http.Cookie
		for _, ck := range res.Header.Values("Set-Cookie") {
			if strings.HasPrefix(ck, api.SessionCookie+"=") {
				cookie = &http.Cookie{Raw: ck}
				if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
					t.Fatalf("session cookie flags: %s", ck)
				}
			}
		}
		if cookie == nil {
			t.Fatal("no session cookie")
		}
		expect(t, e.do(req{method: "GET", path: "/api/v1/users/me", client: c}), 200)
		// An unsafe request with the cookie but no CSRF token is refused and changes nothing.
		res = e.do(req{method: "PATCH", path: "/api/v1/users/me/status", body: map[string]string{"status": "online"}, client: c})
		expect(t, res, 403)
		res = e.do(req{method: "PATCH", path: "/api/v1/users/me/status", body: map[string]string{"status": "online"}, client: c,
			header: map[string]string{api.CSRFHeader: "forged"}})
		expect(t, res, 403)
		if u, _ := e.crm.GetUser(t.Context(), e.agent.ID); u.Status != crm.StatusOffline {
			t.Fatalf("status changed without CSRF token: %s", u.Status)
		}
		res = e.do(req{method: "PATCH", path: "/api/v1/users/me/status", body: map[string]string{"status": "online"}, client: c,
			header: map[string]string{api.CSRFHeader: login.CSRFToken}})
		expect(t, res, 200)
		sess := e.do(req{method: "GET", path: "/api/v1/auth/session", client: c})
		expect(t, sess, 200)
		res = e.do(req{method: "POST", path: "/api/v1/auth/logout", client: c, header: map[string]string{api.CSRFHeader: login.CSRFToken}})
		expect(t, res, 200)
		expect(t, e.do(req{method: "GET", path: "/api/v1/users/me", client: c}), 401)
	})
}

func TestIdempotencyKeyConcurrent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 8
		var wg sync.WaitGroup
		results := make([]*resp, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = e.do(req{method: "POST", path: "/api/v1/groups", token: e.adminToken,
					body: map[string]string{"name": "Sales"}, header: map[string]string{"Idempotency-Key": "k-1"}})
			}(i)
		}
		wg.Wait()
		var first string
		for i, r := range results {
			if r.Status != 201 {
				t.Fatalf("request %d: %d %s", i, r.Status, r.Raw)
			}
			if first == "" {
				first = string(r.Body.Data)
			} else if string(r.Body.Data) != first {
				t.Fatalf("request %d got another result: %s vs %s", i, r.Body.Data, first)
			}
		}
		gs, err := e.crm.ListGroups(t.Context())
		if err != nil || len(gs) != 1 {
			t.Fatalf("groups after %d identical requests: %d %v", n, len(gs), err)
		}
		// Same key, other body: refused.
		res := e.do(req{method: "POST", path: "/api/v1/groups", token: e.adminToken,
			body: map[string]string{"name": "Support"}, header: map[string]string{"Idempotency-Key": "k-1"}})
		expect(t, res, 422)
		// A refusal is a result too: the same request gets it again, replayed.
		for i := 0; i < 2; i++ {
			res = e.do(req{method: "POST", path: "/api/v1/groups", token: e.adminToken,
				body: map[string]string{"name": ""}, header: map[string]string{"Idempotency-Key": "k-2"}})
			expect(t, res, 422)
			if replayed := res.Header.Get("Idempotent-Replayed") == "true"; replayed != (i == 1) {
				t.Fatalf("attempt %d: Idempotent-Replayed = %v", i, replayed)
			}
		}
		// Keys are per user: the agent's k-1 is its own.
		res = e.do(req{method: "POST", path: "/api/v1/users/me/tokens", token: e.agentToken,
			body: map[string]string{"name": "zap"}, header: map[string]string{"Idempotency-Key": "k-1"}})
		expect(t, res, 201)
	})
}

func TestRateLimitHeadersAnd429(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for i := 0; i < 5; i++ {
			res := e.asAgent("GET", "/api/v1/users/me", nil)
			expect(t, res, 200)
			if res.Header.Get("x-ratelimit-limit") != "5" || res.Header.Get("x-ratelimit-remaining") != fmt.Sprint(4-i) {
				t.Fatalf("request %d headers: %v", i, res.Header)
			}
		}
		res := e.asAgent("GET", "/api/v1/users/me", nil)
		expect(t, res, 429)
		if res.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		// Another token has its own budget.
		expect(t, e.asAdmin("GET", "/api/v1/users/me", nil), 200)
	}, func(o *api.Opts) { o.RateLimit = 5; o.RateWindow = time.Hour })
}

func TestInternalErrorsHideDetails(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	e.db.Close() // every query now fails
	res := e.asAdmin("GET", "/api/v1/users", nil)
	expect(t, res, 500)
	var body struct {
		Error     string `json:"error"`
		ErrorInfo string `json:"error_info"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(res.Raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.Error != "internal error" || body.RequestID == "" || body.RequestID != res.Header.Get("X-Request-Id") {
		t.Fatalf("500 body: %s", res.Raw)
	}
	if strings.Contains(strings.ToLower(string(res.Raw)), "sql") {
		t.Fatalf("500 leaks internals: %s", res.Raw)
	}
}
