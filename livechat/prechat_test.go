package livechat_test

import (
	"errors"
	"testing"

	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// preChatSite turns on the fixture site's pre-chat form: name and email
// required, phone and company optional.
func (f *fixture) preChatSite(require bool) {
	f.t.Helper()
	pc := livechat.PreChat{Enabled: true, RequireBeforeMessages: require, Fields: []livechat.PreChatField{
		{Name: "person.name", Label: "Name", Required: true},
		{Name: "person.email", Label: "Email", Required: true},
		{Name: "person.phone", Label: "Phone"},
		{Name: "organization.name", Label: "Company"},
	}}
	site, err := f.s.UpdateSite(f.ctx, f.site.ID, livechat.SiteInput{PreChat: &pc})
	if err != nil {
		f.t.Fatal(err)
	}
	f.site = site
}

func refusedField(err error) (code, field string) {
	var r *livechat.RefusedError
	if errors.As(err, &r) {
		return r.Code, r.Field
	}
	return "", ""
}

func TestPreChatValidation(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		v := f.visitor()
		if _, err := f.s.PreChat(f.ctx, v, "p0", map[string]string{"person.name": "Ann"}); func() bool { c, _ := refusedField(err); return c != livechat.CodeNotAllowed }() {
			t.Fatalf("a site without the form: %v, want not_allowed", err)
		}
		f.preChatSite(false)
		long := make([]byte, livechat.MaxPreChatLen+1)
		for i := range long {
			long[i] = 'a'
		}
		for _, tc := range []struct {
			fields map[string]string
			field  string
		}{
			{map[string]string{"person.name": "Ann", "person.email": "ann@example.com", "deal.value": "9"}, "deal.value"},
			{map[string]string{"person.name": "Ann"}, "person.email"},
			{map[string]string{"person.name": "  ", "person.email": "ann@example.com"}, "person.name"},
			{map[string]string{"person.name": "Ann", "person.email": "not-an-email"}, "person.email"},
			{map[string]string{"person.name": "Ann", "person.email": "ann@example.com", "person.phone": "call me"}, "person.phone"},
			{map[string]string{"person.name": string(long), "person.email": "ann@example.com"}, "person.name"},
		} {
			_, err := f.s.PreChat(f.ctx, v, "p1", tc.fields)
			if code, field := refusedField(err); code != livechat.CodeInvalid || field != tc.field {
				t.Errorf("%v: %v (field %q), want invalid naming %s", tc.fields, err, field, tc.field)
			}
		}
		if _, filled, err := f.s.PreChatOf(f.ctx, v.ID); err != nil || filled {
			t.Fatalf("refused forms stored something: filled=%v %v", filled, err)
		}
		ack, err := f.s.PreChat(f.ctx, v, "p2", map[string]string{"person.name": " Ann  Lee ", "person.email": "ann@EXAMPLE.com", "person.phone": "+33 6 12 34 56 78"})
		if err != nil || ack.ClientID != "p2" || ack.Seq != 0 {
			t.Fatalf("valid form: %+v %v", ack, err)
		}
		vals, filled, err := f.s.PreChatOf(f.ctx, v.ID)
		if err != nil || !filled {
			t.Fatalf("stored: filled=%v %v", filled, err)
		}
		want := map[string]string{"person.name": "Ann Lee", "person.email": "ann@example.com", "person.phone": "+33612345678"}
		if len(vals) != len(want) {
			t.Fatalf("stored %v, want %v", vals, want)
		}
		for k, w := range want {
			if vals[k] != w {
				t.Errorf("%s stored as %q, want %q", k, vals[k], w)
			}
		}
	})
}

// TestPreChatRequiredBeforeMessages: a site that accepts messages only once
// the form is filled refuses them (prechat_required, nothing stored), then
// accepts them; the answers reach the new conversation's person.
func TestPreChatRequiredBeforeMessages(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.preChatSite(true)
		v := f.visitor()
		if _, err := f.s.Message(f.ctx, v, "m0", "Hello?"); func() bool { c, _ := refusedField(err); return c != livechat.CodePreChatRequired }() {
			t.Fatalf("message before the form: %v, want prechat_required", err)
		}
		if _, err := f.s.OpenConversation(f.ctx, v.ID); !errors.Is(err, livechat.ErrNotFound) {
			t.Fatalf("a refused message opened a conversation: %v", err)
		}
		if _, err := f.s.PreChat(f.ctx, v, "p0", map[string]string{"person.name": "Ann", "person.email": "ann@example.com", "organization.name": "Acme"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Message(f.ctx, v, "m0", "Hello?"); err != nil {
			t.Fatalf("message after the form: %v", err)
		}
		c, err := f.s.OpenConversation(f.ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := kinds(f.events(c.ID)); len(got) != 2 || got[0] != "prechat" || got[1] != "visitor_message" {
			t.Fatalf("events %v, want prechat then visitor_message", got)
		}
		if c.Interp.Person["name"] != "Ann" || c.Interp.Person["email"] != "ann@example.com" || c.Interp.Organization["name"] != "Acme" {
			t.Fatalf("state %+v %+v, want the form's answers", c.Interp.Person, c.Interp.Organization)
		}
		// Another site's visitor without the form is not affected.
		other := f.visitor()
		f.preChatSite(false)
		if _, err := f.s.Message(f.ctx, other, "m1", "Hi"); err != nil {
			t.Fatalf("optional form: %v", err)
		}
	})
}

// TestPreChatReachesCapture: answers given during a chat go into its state
// (with a `prechat` event, idempotent by client_id), and a capture card
// creates the person from them.
func TestPreChatReachesCapture(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.preChatSite(false)
		f.publish([]byte("id: cap\nname: cap\nstart: q\ncards:\n" +
			"  q: { type: question, text: \"Ready?\", input: text, save: organization.address, next: cap }\n" +
			"  cap: { type: capture, create: lead, title: \"{{ person.name }}\", next: bye }\n" +
			"  bye: { type: end, text: bye }\n"))
		v := f.visitor()
		c, err := f.s.Start(f.ctx, v, "cap", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{"person.name": "Bob Stone", "person.email": "bob@example.com", "person.phone": "+1 555 0100 22"}
		ack, err := f.s.PreChat(f.ctx, v, "p0", fields)
		if err != nil || ack.Seq == 0 {
			t.Fatalf("pre-chat in a chat: %+v %v", ack, err)
		}
		if again, err := f.s.PreChat(f.ctx, v, "p0", fields); err != nil || again != ack {
			t.Fatalf("resend: %+v %v, want %+v", again, err, ack)
		}
		if n := count(f.events(c.ID), "prechat"); n != 1 {
			t.Fatalf("%d prechat events, want 1", n)
		}
		if _, err := f.s.Message(f.ctx, v, "m0", "yes"); err != nil {
			t.Fatal(err)
		}
		c, err = f.s.GetConversation(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.PersonID == nil {
			t.Fatalf("no person captured: %v", kinds(f.events(c.ID)))
		}
		p, err := f.crm.GetPerson(f.ctx, *c.PersonID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Bob Stone" || len(p.Email) == 0 || p.Email[0].Value != "bob@example.com" || len(p.Phone) == 0 || p.Phone[0].Value != "+1555010022" {
			t.Fatalf("captured person %+v, want the pre-chat answers", p)
		}
	})
}
