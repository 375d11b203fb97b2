package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/parley/parley/api"
	"github.com/parley/parley/schema/schematest"
)

// TestPprofAdminOnly: the profiler and /debug/vars answer admins only.
func TestPprofAdminOnly(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t), func(o *api.Opts) {
		o.Mount = append(o.Mount, api.PprofMount())
	})
	for _, path := range []string{"/debug/vars", "/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/goroutine?debug=1"} {
		expect(t, e.do(req{method: http.MethodGet, path: path}), http.StatusUnauthorized)
		expect(t, e.do(req{method: http.MethodGet, path: path, token: "nope"}), http.StatusUnauthorized)
		expect(t, e.asAgent(http.MethodGet, path, nil), http.StatusForbidden)
		r := e.asAdmin(http.MethodGet, path, nil)
		expect(t, r, http.StatusOK)
		if path == "/debug/vars" && !strings.Contains(string(r.Raw), `"memstats"`) {
			t.Errorf("/debug/vars has no memstats: %.200s", r.Raw)
		}
	}
}
