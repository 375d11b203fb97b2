package widget

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// Budgets from the widget issue: the loader runs on every page view of a
// customer's site, the widget on every chat.
const (
	loaderBudget = 5 << 10
	totalBudget  = 40 << 10
)

// gzLen is the size a browser downloads: the served (comment-stripped) file, gzipped.
func gzLen(t *testing.T, name string) int {
	t.Helper()
	a := loadStatic().files[name]
	if a == nil {
		t.Fatalf("%s is not embedded", name)
	}
	return len(a.gz)
}

func TestBudgets(t *testing.T) {
	loader, widget := gzLen(t, "loader.js"), gzLen(t, "widget.js")
	t.Logf("gzipped: loader.js %d B, widget.js %d B, total %d B", loader, widget, loader+widget)
	if loader > loaderBudget {
		t.Errorf("loader.js is %d B gzipped, over the %d B budget", loader, loaderBudget)
	}
	if loader+widget > totalBudget {
		t.Errorf("loader.js + widget.js are %d B gzipped, over the %d B budget", loader+widget, totalBudget)
	}
}

func staticServer(t *testing.T) *httptest.Server {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	New(Opts{}).Mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func TestStaticCachingAndGzip(t *testing.T) {
	srv := staticServer(t)
	h := New(Opts{})
	get := func(path string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		// A bare transport: the default one asks for gzip and decodes it invisibly.
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}

	res := get("/widget/v1/static/loader.js", map[string]string{"Accept-Encoding": "gzip, br"})
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("loader: status %d, encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if want := h.static.files["loader.js"].body; !bytes.Equal(body, want) {
		t.Fatal("gzipped loader does not decode to the served file")
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=3600, stale-while-revalidate=86400" {
		t.Errorf("unversioned loader cache-control %q", cc)
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	res = get("/widget/v1/static/loader.js", map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}
	res = get("/widget/v1/static/loader.js", nil)
	if res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that did not ask for it")
	}
	res = get("/widget/v1/static/loader.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent despite q=0")
	}

	// The versioned URL the config hands out is immutable for a year.
	res = get(h.static.url("widget.js"), map[string]string{"Accept-Encoding": "gzip"})
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("versioned widget.js: status %d, cache-control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("widget.js needs CORS: customers' pages import it as a module")
	}
	// A stale version is not promised immutability.
	res = get("/widget/v1/static/widget.js?v=old", nil)
	if res.Header.Get("Cache-Control") == "public, max-age=31536000, immutable" {
		t.Error("a stale version got the immutable header")
	}
	if res = get("/widget/v1/static/nope.js", nil); res.StatusCode != 404 {
		t.Errorf("missing file: %d", res.StatusCode)
	}
}
