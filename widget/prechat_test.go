package widget

import (
	"testing"

	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// preChatSite requires the pre-chat form (name and email) before messages.
func (e *env) preChatSite() {
	e.t.Helper()
	pc := livechat.PreChat{Enabled: true, RequireBeforeMessages: true, Fields: []livechat.PreChatField{
		{Name: "person.name", Label: "Your name", Required: true},
		{Name: "person.email", Label: "Your email", Required: true},
		{Name: "organization.name", Label: "Company"},
	}}
	site, err := e.live.UpdateSite(e.ctx, e.site.ID, livechat.SiteInput{PreChat: &pc})
	if err != nil {
		e.t.Fatal(err)
	}
	e.site = site
}

// TestSocketPreChatFrame: messages are refused (prechat_required) until a
// valid prechat frame is acked; a bad field is an `invalid` error naming it.
func TestSocketPreChatFrame(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		e.preChatSite()
		c := e.connect(e.token())
		c.hello(0)

		c.send(frame{"type": "message", "client_id": "m1", "text": "Hello?"})
		if f := c.expect("error", ""); f.str("code") != livechat.CodePreChatRequired || f.str("client_id") != "m1" {
			t.Fatalf("message before the form: %v", f)
		}
		for _, tc := range []struct {
			name  string
			frame frame
			code  string
			field string
		}{
			{"no client_id", frame{"type": "prechat", "fields": frame{"person.name": "Ann"}}, "missing_field", ""},
			{"no fields", frame{"type": "prechat", "client_id": "p1"}, "missing_field", ""},
			{"bad email", frame{"type": "prechat", "client_id": "p2", "fields": frame{"person.name": "Ann", "person.email": "ann@"}}, livechat.CodeInvalid, "person.email"},
			{"required missing", frame{"type": "prechat", "client_id": "p3", "fields": frame{"person.email": "ann@example.com"}}, livechat.CodeInvalid, "person.name"},
			{"unknown field", frame{"type": "prechat", "client_id": "p4", "fields": frame{"person.name": "Ann", "person.email": "ann@example.com", "person.phone": "+3361234567"}}, livechat.CodeInvalid, "person.phone"},
		} {
			c.send(tc.frame)
			f := c.expect("error", "")
			if f.str("code") != tc.code || f.str("field") != tc.field || f.str("message") == "" {
				t.Errorf("%s: %v, want code %s field %q", tc.name, f, tc.code, tc.field)
			}
		}
		c.send(frame{"type": "prechat", "client_id": "p5", "fields": frame{"person.name": "Ann", "person.email": "ann@example.com"}})
		if f := c.expect("ack", ""); f.str("client_id") != "p5" {
			t.Fatalf("ack %v", f)
		}
		c.send(frame{"type": "message", "client_id": "m2", "text": "Hello?"})
		got := c.await("ack", "event:prechat", "event:visitor_message")
		if f := got["event:prechat"]; f["fields"].(map[string]any)["person.email"] != "ann@example.com" {
			t.Fatalf("prechat event %v", f)
		}
		conv, err := e.live.OpenConversation(e.ctx, 1)
		if err != nil || conv.Interp.Person["name"] != "Ann" {
			t.Fatalf("conversation %+v %v, want the form's person", conv.Interp, err)
		}
	})
}
