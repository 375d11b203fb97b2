package widget

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
)

// examples is where the shared sample playbooks live, beside the repository.
const examples = "../../shared/examples"

const testOrigin = "https://shop.example.com"

// env is a real server: the live chat runtime on a fresh database, the
// widget handler mounted on gin, served by httptest.
type env struct {
	t    *testing.T
	ctx  context.Context
	db   *schema.DB
	crm  *crm.Manager
	live *livechat.Service
	h    *Handler
	srv  *httptest.Server
	site livechat.Site
}

func newEnv(t *testing.T, db *schema.DB, o Opts) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m, err := crm.New(ctx, crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	live, err := livechat.New(ctx, livechat.Opts{DB: db, CRM: m, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go live.Run(ctx)
	o.Live = live
	h := New(o)
	gin.SetMode(gin.TestMode)
	r := gin.New()
	h.Mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	name := "Shop"
	origins := []string{testOrigin, srv.URL}
	site, err := live.CreateSite(ctx, livechat.SiteInput{Name: &name, AllowedOrigins: &origins})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, db: db, crm: m, live: live, h: h, srv: srv, site: site}
}

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examples, name))
	if err != nil {
		t.Fatalf("sample playbook (shared/ must sit beside the repository): %v", err)
	}
	return b
}

func (e *env) publish(name string) livechat.Playbook {
	e.t.Helper()
	p, err := e.live.CreatePlaybook(e.ctx, readExample(e.t, name), "")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.live.Publish(e.ctx, p.ID); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) token() string {
	e.t.Helper()
	_, tok, err := e.live.CreateVisitor(e.ctx, e.site.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) wsURL(token string) string {
	return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/widget/v1/ws?site=" + url.QueryEscape(e.site.SiteKey) + "&token=" + url.QueryEscape(token)
}

// client is a test visitor socket. A goroutine reads frames into a
// channel, so a test can wait with a timeout without breaking the socket
// (gorilla's connection is unusable after a read deadline passes).
type client struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan frame
	err    error // why reading stopped, valid once frames is closed
}

func (e *env) dial(token, origin string) (*client, *http.Response, error) {
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	ws, res, err := websocket.DefaultDialer.Dial(e.wsURL(token), hdr)
	if err != nil {
		return nil, res, err
	}
	c := &client{t: e.t, ws: ws, frames: make(chan frame, 256)}
	go func() {
		defer close(c.frames)
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				c.err = err
				return
			}
			var f frame
			if err := json.Unmarshal(b, &f); err != nil {
				f = frame{"type": "invalid-json", "raw": string(b)}
			}
			c.frames <- f
		}
	}()
	e.t.Cleanup(func() { ws.Close() })
	return c, res, nil
}

func (e *env) connect(token string) *client {
	e.t.Helper()
	c, _, err := e.dial(token, testOrigin)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	return c
}

type frame map[string]any

func (f frame) str(k string) string { s, _ := f[k].(string); return s }
func (f frame) num(k string) int64  { n, _ := f[k].(float64); return int64(n) }

func (c *client) send(v any) {
	c.t.Helper()
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// read returns the next frame, or fails after 15 s: longer than SQLite's
// 10 s busy timeout, so a stuck write shows as its error frame, and a CI
// machine running Chromium tests beside these does not fail them (5 s did).
func (c *client) read() frame {
	c.t.Helper()
	f, ok := c.tryRead(15 * time.Second)
	if !ok {
		c.t.Fatalf("read: no frame (connection: %v)", c.err)
	}
	return f
}

func (c *client) tryRead(d time.Duration) (frame, bool) {
	select {
	case f, ok := <-c.frames:
		if f["type"] == "invalid-json" {
			c.t.Fatalf("server sent invalid JSON %q", f["raw"])
		}
		return f, ok
	case <-time.After(d):
		return nil, false
	}
}

// closed waits for the server to close the connection and returns the close error.
func (c *client) closed() error {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-c.frames:
			if !ok {
				return c.err
			}
		case <-deadline:
			c.t.Fatal("the server did not close the connection")
		}
	}
}

// expect reads frames until one of type typ (and, for events, kind) comes,
// failing on an unexpected error frame.
func (c *client) expect(typ, kind string) frame {
	c.t.Helper()
	for i := 0; i < 50; i++ {
		f := c.read()
		if f.str("type") == "error" && typ != "error" {
			c.t.Fatalf("unexpected error frame %v while waiting for %s %s", f, typ, kind)
		}
		if f.str("type") == typ && (kind == "" || f.str("kind") == kind) {
			return f
		}
	}
	c.t.Fatalf("no %s %s frame", typ, kind)
	return nil
}

// quiet asserts nothing arrives for a moment.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	if f, ok := c.tryRead(d); ok {
		c.t.Fatalf("unexpected frame %v", f)
	}
}

func (c *client) hello(lastSeq int64) frame {
	c.t.Helper()
	c.send(frame{"type": "hello", "last_seq": lastSeq, "page": frame{"url": "https://shop.example.com/", "title": "Shop"},
		"language": "en-GB", "timezone": "Europe/Paris", "device": "desktop"})
	return c.expect("welcome", "")
}

// await reads until it has one frame of each key ("ack", "event:question"),
// in whatever order they come: an event is published while its frame is
// handled, so it may overtake the ack. Other frames are skipped.
func (c *client) await(keys ...string) map[string]frame {
	c.t.Helper()
	got := map[string]frame{}
	for len(got) < len(keys) {
		f := c.read()
		if f.str("type") == "error" {
			c.t.Fatalf("unexpected error frame %v while waiting for %v", f, keys)
		}
		for _, k := range keys {
			typ, kind, _ := strings.Cut(k, ":")
			if _, seen := got[k]; !seen && f.str("type") == typ && (kind == "" || f.str("kind") == kind) {
				got[k] = f
				break
			}
		}
	}
	return got
}
