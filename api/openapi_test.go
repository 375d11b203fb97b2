package api_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/parley/parley/schema/schematest"
)

// TestOpenAPIMatchesRouter fails when an endpoint is served but not
// described, or described but not served.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	res := e.do(req{method: "GET", path: "/api/v1/openapi.json"})
	expect(t, res, 200)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(res.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var described, served []string
	for p, ops := range doc.Paths {
		for m := range ops {
			described = append(described, strings.ToUpper(m)+" "+p)
		}
	}
	for _, r := range e.server.Engine().Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		parts := strings.Split(r.Path, "/")
		for i, s := range parts {
			if strings.HasPrefix(s, ":") {
				parts[i] = "{" + s[1:] + "}"
			}
		}
		served = append(served, r.Method+" "+strings.Join(parts, "/"))
	}
	sort.Strings(described)
	sort.Strings(served)
	if strings.Join(described, "\n") != strings.Join(served, "\n") {
		t.Fatalf("router and openapi.json differ\nserved:\n%s\n\ndescribed:\n%s", strings.Join(served, "\n"), strings.Join(described, "\n"))
	}
	if len(served) < 10 {
		t.Fatalf("only %d routes", len(served))
	}
	for _, want := range []string{"GET /api/v1/users/me", "POST /api/v1/auth/login", "GET /api/v1/openapi.json"} {
		if sort.SearchStrings(served, want) == len(served) || served[sort.SearchStrings(served, want)] != want {
			t.Fatalf("%s not served", want)
		}
	}
}
