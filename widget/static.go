package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded file, prepared once at start: its ETag (a content
// hash) and its gzipped bytes, so serving is a header check and a write.
type asset struct {
	body, gz []byte
	etag     string
	ctype    string
}

type staticFiles struct {
	files map[string]*asset
}

func loadStatic() *staticFiles {
	s := &staticFiles{files: map[string]*asset{}}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".js") {
			body = stripJS(body)
		}
		sum := sha256.Sum256(body)
		a := &asset{body: body, gz: gzipBytes(body), etag: `"` + hex.EncodeToString(sum[:8]) + `"`,
			ctype: mime.TypeByExtension(path.Ext(p))}
		if strings.HasSuffix(p, ".js") {
			a.ctype = "text/javascript; charset=utf-8"
		}
		s.files[strings.TrimPrefix(p, "static/")] = a
		return nil
	})
	return s
}

// stripJS drops whole-line comments and indentation from our own scripts:
// the sources explain themselves at length, and every visitor downloads
// them. It is line-based on purpose and safe for how these files are
// written (no line inside a string or template starts with //).
func stripJS(b []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(b, []byte("\n")) {
		t := bytes.TrimLeft(line, " \t")
		if len(t) == 0 || bytes.HasPrefix(t, []byte("//")) {
			continue
		}
		out.Write(t)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// url is the versioned path of a file: the version changes with the
// content, so the file can be cached for a year.
func (s *staticFiles) url(name string) string {
	a := s.files[name]
	if a == nil {
		return "/widget/v1/static/" + name
	}
	return "/widget/v1/static/" + name + "?v=" + strings.Trim(a.etag, `"`)
}

// serveStatic serves the embedded widget files. A request carrying the
// current version (?v=, as the config hands out for widget.js) may be cached
// for a year and never revalidated; the loader's URL is fixed in customers'
// snippets, so it gets an hour and revalidates cheaply by ETag.
func (h *Handler) serveStatic(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	a := h.static.files[name]
	if a == nil {
		fail(c, http.StatusNotFound, "not_found", "no such file")
		return
	}
	hd := c.Writer.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", a.etag)
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("X-Content-Type-Options", "nosniff")
	// Customers' pages on other origins import widget.js as a module, which
	// needs CORS; the files are public.
	hd.Set("Access-Control-Allow-Origin", "*")
	if v := c.Query("v"); v != "" && `"`+v+`"` == a.etag {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, max-age=3600, stale-while-revalidate=86400")
	}
	if inm := c.GetHeader("If-None-Match"); inm != "" && etagMatch(inm, a.etag) {
		c.Status(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(c.GetHeader("Accept-Encoding")) {
		hd.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	if c.Request.Method == http.MethodHead {
		c.Status(http.StatusOK)
		return
	}
	c.Data(http.StatusOK, a.ctype, body)
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding, honouring an explicit q=0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") || strings.TrimSpace(name) == "*" {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
