package widget

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// previewClient registers a visitor on the preview site and connects with
// the server's own origin, as the preview page does.
func (e *env) previewClient() (*client, livechat.Visitor) {
	e.t.Helper()
	site, err := e.live.PreviewSite(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	v, tok, err := e.live.CreateVisitor(e.ctx, site.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/widget/v1/ws?site=" + url.QueryEscape(site.SiteKey) + "&token=" + url.QueryEscape(tok)
	saved := e.site
	e.site = site // dial builds the URL from e.site
	defer func() { e.site = saved }()
	c, _, err := e.dial(tok, e.srv.URL)
	if err != nil {
		e.t.Fatalf("dial %s: %v", u, err)
	}
	return c, v
}

// TestPreviewSocket runs an unpublished draft over a real visitor socket:
// the start frame's preview token starts it, the answers step it as usual,
// the capture creates nothing, and closing the socket ends the preview.
func TestPreviewSocket(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		if _, err := e.crm.EnsureDefaultPipeline(e.ctx); err != nil {
			t.Fatal(err)
		}
		src := readExample(t, "qualifier.yaml")
		tok, err := e.live.CreatePreviewToken(e.ctx, 0, nil, src)
		if err != nil {
			t.Fatal(err)
		}
		c, v := e.previewClient()
		c.hello(0)

		// Without a token nothing starts on the preview site, not even a published playbook.
		e.publish("faq.yaml")
		c.send(frame{"type": "start"})
		if f := c.expect("error", ""); f.str("code") != "no_playbook" {
			t.Fatalf("start without a token: %v", f)
		}
		c.send(frame{"type": "start", "preview": "nope"})
		if f := c.expect("error", ""); f.str("code") != "preview_expired" {
			t.Fatalf("start with a bad token: %v", f)
		}

		c.send(frame{"type": "start", "preview": tok.Token})
		started := c.expect("started", "")
		if started["preview"] != true || started.str("conversation") == "" {
			t.Fatalf("started %v", started)
		}
		q := c.expect("event", "question")
		if q.str("card") != "intent" {
			t.Fatalf("first question %v", q)
		}
		c.send(frame{"type": "answer", "client_id": "a1", "card": "intent", "option": 0})
		if got := c.await("ack", "event:question"); got["event:question"].str("card") != "size" {
			t.Fatalf("after intent: %v", got)
		}
		c.send(frame{"type": "answer", "client_id": "a2", "card": "size", "value": "12"})
		c.await("ack", "event:question")
		c.send(frame{"type": "message", "client_id": "a3", "text": "ann@acme.test"})
		c.await("ack", "event:end")

		if deals, _, err := e.crm.ListDeals(e.ctx, crm.DealFilter{}, crm.ListParams{}); err != nil || len(deals) != 0 {
			t.Fatalf("a preview created deals: %+v %v", deals, err)
		}
		if cs, err := e.live.ListConversations(e.ctx, livechat.ConversationFilter{}); err != nil || len(cs) != 0 {
			t.Fatalf("a preview is listed: %+v %v", cs, err)
		}
		conv := started.str("conversation")
		if _, err := e.live.GetConversation(e.ctx, conv); err != nil {
			t.Fatal(err)
		}

		// The session ends with the socket.
		c.ws.Close()
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := e.live.GetVisitor(e.ctx, v.ID)
			if errors.Is(err, livechat.ErrNotFound) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("preview visitor still there after the socket closed: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := e.live.GetConversation(e.ctx, conv); !errors.Is(err, livechat.ErrNotFound) {
			t.Fatalf("preview conversation after the session: %v", err)
		}
	})
}

// TestPreviewPage serves the page with the real loader for a valid token,
// and a 410 without the widget for an unknown or expired one.
func TestPreviewPage(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t), Opts{})
	tok, err := e.live.CreatePreviewToken(e.ctx, 0, nil, readExample(t, "qualifier.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(token string) (int, string, http.Header) {
		res, err := http.Get(e.srv.URL + "/widget/v1/preview?token=" + url.QueryEscape(token))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}
	site, err := e.live.PreviewSite(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, body, hdr := get(tok.Token)
	if code != http.StatusOK || !strings.Contains(body, `src="/widget/v1/static/loader.js"`) ||
		!strings.Contains(body, `data-site="`+site.SiteKey+`"`) || !strings.Contains(body, `data-preview="`+tok.Token+`"`) {
		t.Fatalf("preview page %d:\n%s", code, body)
	}
	if hdr.Get("Cache-Control") != "no-store" || hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("headers %v", hdr)
	}
	code, body, _ = get("bogus")
	if code != http.StatusGone || strings.Contains(body, "loader.js") {
		t.Fatalf("bad token page %d:\n%s", code, body)
	}
}
