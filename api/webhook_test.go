package api_test

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/parley/parley/crm"
)

// webhookPaths are every webhook route, on the webhook id.
func webhookPaths(id int64) []req {
	p := fmt.Sprintf("/api/v1/webhooks/%d", id)
	body := map[string]any{"subscription_url": "https://hooks.example.com/x", "event_action": "*", "event_object": "*"}
	return []req{
		{method: "GET", path: "/api/v1/webhooks"},
		{method: "POST", path: "/api/v1/webhooks", body: body},
		{method: "GET", path: p},
		{method: "PATCH", path: p, body: map[string]any{"active": false}},
		{method: "DELETE", path: p},
		{method: "GET", path: p + "/deliveries"},
	}
}

func (e *env) createWebhook(t *testing.T, body map[string]any) crm.Webhook {
	t.Helper()
	var w crm.Webhook
	e.create(t, e.adminToken, "/api/v1/webhooks", body, &w)
	return w
}

func (e *env) deliveries(t *testing.T, path string) ([]crm.Delivery, crm.Page) {
	t.Helper()
	res := e.asAdmin("GET", path, nil)
	expect(t, res, 200)
	var ds []crm.Delivery
	res.data(t, &ds)
	if ds == nil {
		t.Fatalf("GET %s: data is not an array: %s", path, res.Raw)
	}
	return ds, res.Body.AdditionalData.Pagination
}

// Webhooks are for admins only: an agent may neither see one (its secret
// signs what Parley sends) nor add, change or delete one, and nobody
// signed out may either.
func TestWebhooksAdminOnly(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		w := e.createWebhook(t, map[string]any{"subscription_url": "https://hooks.example.com/a", "event_action": "*", "event_object": "*"})
		for _, r := range webhookPaths(w.ID) {
			r.token = e.agentToken
			expectField(t, e.do(r), 403, "")
			r.token = ""
			expectField(t, e.do(r), 401, "")
		}
		res := e.asAdmin("GET", "/api/v1/webhooks", nil)
		expect(t, res, 200)
		var ws []crm.Webhook
		res.data(t, &ws)
		if len(ws) != 1 || !ws[0].Active || ws[0].ID != w.ID {
			t.Fatalf("refused requests changed the webhooks: %s", res.Raw)
		}
	})
}

// A bad URL, action, object or secret is a 422 naming the field, on create
// and on patch, and changes nothing.
func TestWebhooksValidation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		good := func() map[string]any {
			return map[string]any{"subscription_url": "https://hooks.example.com/a", "event_action": "create", "event_object": "person"}
		}
		for _, c := range []struct {
			key   string
			value any
			field string
		}{
			{"subscription_url", "", "subscription_url"},
			{"subscription_url", "hooks.example.com/a", "subscription_url"},
			{"subscription_url", "ftp://hooks.example.com/a", "subscription_url"},
			{"subscription_url", "https://", "subscription_url"},
			{"subscription_url", 42, "subscription_url"},
			{"event_action", "update", "event_action"},
			{"event_action", "", "event_action"},
			{"event_object", "invoice", "event_object"},
			{"event_object", "Person", "event_object"},
			{"secret", "short", "secret"},
			{"user_id", 1, "user_id"}, // the owner is the caller
		} {
			b := good()
			b[c.key] = c.value
			res := e.asAdmin("POST", "/api/v1/webhooks", b)
			expectField(t, res, 422, c.field)
		}
		w := e.createWebhook(t, good())
		p := fmt.Sprintf("/api/v1/webhooks/%d", w.ID)
		for _, b := range []map[string]any{
			{"subscription_url": "mailto:ops@example.com"},
			{"event_action": "*all*"},
			{"event_object": "conversation_x"},
			{"active": "no"},
			{"secret": "0123456789abcdef0123"}, // the secret is fixed once made
		} {
			res := e.asAdmin("PATCH", p, b)
			expect(t, res, 422)
			for k := range b {
				if !res.hasField(k) {
					t.Fatalf("PATCH %v: error does not name %q: %s", b, k, res.Raw)
				}
			}
		}
		var got crm.Webhook
		res := e.asAdmin("GET", p, nil)
		expect(t, res, 200)
		res.data(t, &got)
		if got.SubscriptionURL != w.SubscriptionURL || got.EventAction != "create" || got.EventObject != "person" || !got.Active || got.Secret != w.Secret {
			t.Fatalf("refused patches changed the webhook: %+v", got)
		}
		var ws []crm.Webhook
		res = e.asAdmin("GET", "/api/v1/webhooks", nil)
		expect(t, res, 200)
		res.data(t, &ws)
		if len(ws) != 1 {
			t.Fatalf("refused creates made webhooks: %s", res.Raw)
		}
	})
}

var hexSecret = regexp.MustCompile(`^[0-9a-f]{32,}$`)

func TestWebhooksLifecycle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		res := e.asAdmin("POST", "/api/v1/webhooks", map[string]any{"subscription_url": " https://hooks.example.com/people ", "event_action": "*", "event_object": "person"})
		expect(t, res, 201)
		var a crm.Webhook
		res.data(t, &a)
		if a.ID == 0 || a.SubscriptionURL != "https://hooks.example.com/people" || a.EventAction != "*" || a.EventObject != "person" ||
			!a.Active || a.UserID == nil || *a.UserID != e.admin.ID || a.AddTime.IsZero() {
			t.Fatalf("created %s", res.Raw)
		}
		if !hexSecret.MatchString(a.Secret) {
			t.Fatalf("generated secret %q is not 32 or more hex characters", a.Secret)
		}
		b := e.createWebhook(t, map[string]any{"subscription_url": "http://10.0.0.5:8080/hook", "event_action": "delete", "event_object": "*", "secret": "my-own-secret-0123456789"})
		if b.Secret != "my-own-secret-0123456789" {
			t.Fatalf("given secret not kept: %+v", b)
		}
		c := e.createWebhook(t, map[string]any{"subscription_url": "https://hooks.example.com/deals", "event_action": "create", "event_object": "deal"})
		if c.Secret == a.Secret || !hexSecret.MatchString(c.Secret) {
			t.Fatalf("secrets %q and %q", a.Secret, c.Secret)
		}

		// Get and list show the secret (admins only: see TestWebhooksAdminOnly).
		var got crm.Webhook
		res = e.asAdmin("GET", fmt.Sprintf("/api/v1/webhooks/%d", a.ID), nil)
		expect(t, res, 200)
		res.data(t, &got)
		if got.ID != a.ID || got.Secret != a.Secret || got.SubscriptionURL != a.SubscriptionURL {
			t.Fatalf("got %+v, created %+v", got, a)
		}
		res = e.asAdmin("GET", "/api/v1/webhooks", nil)
		expect(t, res, 200)
		var ws []crm.Webhook
		res.data(t, &ws)
		if len(ws) != 3 || ws[0].ID != a.ID || ws[1].ID != b.ID || ws[2].ID != c.ID || ws[1].Secret != b.Secret {
			t.Fatalf("list %s", res.Raw)
		}
		if pg := res.Body.AdditionalData.Pagination; pg.More || pg.Limit != 3 {
			t.Fatalf("list pagination %+v", pg)
		}

		// Pause one; change another's URL and action.
		res = e.asAdmin("PATCH", fmt.Sprintf("/api/v1/webhooks/%d", a.ID), map[string]any{"active": false})
		expect(t, res, 200)
		res.data(t, &got)
		if got.Active || got.EventObject != "person" || got.Secret != a.Secret {
			t.Fatalf("paused %s", res.Raw)
		}
		res = e.asAdmin("GET", fmt.Sprintf("/api/v1/webhooks/%d", a.ID), nil)
		expect(t, res, 200)
		res.data(t, &got)
		if got.Active {
			t.Fatalf("pause not kept: %s", res.Raw)
		}
		res = e.asAdmin("PATCH", fmt.Sprintf("/api/v1/webhooks/%d", c.ID), map[string]any{"subscription_url": "https://hooks.example.com/deals2", "event_action": "change", "event_object": "*"})
		expect(t, res, 200)
		res.data(t, &got)
		if got.SubscriptionURL != "https://hooks.example.com/deals2" || got.EventAction != "change" || got.EventObject != "*" || !got.Active {
			t.Fatalf("patched %s", res.Raw)
		}

		// A new webhook has no deliveries.
		ds, pg := e.deliveries(t, fmt.Sprintf("/api/v1/webhooks/%d/deliveries", b.ID))
		if len(ds) != 0 || pg.More || pg.NextCursor != "" {
			t.Fatalf("deliveries of a new webhook: %+v %+v", ds, pg)
		}
		for _, q := range []string{"?limit=0", "?limit=501", "?limit=x", "?before=0", "?before=-3", "?before=x"} {
			res := e.asAdmin("GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries%s", b.ID, q), nil)
			expect(t, res, 400)
		}

		// Unknown ids are 404, whatever the route.
		for _, id := range []string{"999999", "0", "abc"} {
			p := "/api/v1/webhooks/" + id
			expectField(t, e.asAdmin("GET", p, nil), 404, "")
			expectField(t, e.asAdmin("PATCH", p, map[string]any{"active": true}), 404, "")
			expectField(t, e.asAdmin("DELETE", p, nil), 404, "")
			expectField(t, e.asAdmin("GET", p+"/deliveries", nil), 404, "")
		}

		// Delete.
		p := fmt.Sprintf("/api/v1/webhooks/%d", b.ID)
		res = e.asAdmin("DELETE", p, nil)
		expect(t, res, 200)
		var del struct {
			ID int64 `json:"id"`
		}
		res.data(t, &del)
		if del.ID != b.ID {
			t.Fatalf("delete answered %s", res.Raw)
		}
		expect(t, e.asAdmin("GET", p, nil), 404)
		expect(t, e.asAdmin("GET", p+"/deliveries", nil), 404)
		expect(t, e.asAdmin("DELETE", p, nil), 404)
		res = e.asAdmin("GET", "/api/v1/webhooks", nil)
		expect(t, res, 200)
		res.data(t, &ws)
		if len(ws) != 2 || ws[0].ID != a.ID || ws[1].ID != c.ID {
			t.Fatalf("list after delete %s", res.Raw)
		}
	})
}

// A change made through the API is in the outbox of every webhook that
// follows it, pending, newest first, paged by before and limit; webhooks
// for another object or action, or paused ones, get nothing.
func TestWebhookDeliveriesFromAPIChanges(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		people := e.createWebhook(t, map[string]any{"subscription_url": "https://hooks.example.com/people", "event_action": "*", "event_object": "person"})
		created := e.createWebhook(t, map[string]any{"subscription_url": "https://hooks.example.com/created", "event_action": "create", "event_object": "*"})
		deals := e.createWebhook(t, map[string]any{"subscription_url": "https://hooks.example.com/deals", "event_action": "*", "event_object": "deal"})
		paused := e.createWebhook(t, map[string]any{"subscription_url": "https://hooks.example.com/paused", "event_action": "*", "event_object": "*"})
		expect(t, e.asAdmin("PATCH", fmt.Sprintf("/api/v1/webhooks/%d", paused.ID), map[string]any{"active": false}), 200)
		dpath := func(w crm.Webhook) string { return fmt.Sprintf("/api/v1/webhooks/%d/deliveries", w.ID) }

		var p crm.Person
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": "Jane Doe"}, &p)
		ds, pg := e.deliveries(t, dpath(people))
		if len(ds) != 1 {
			t.Fatalf("person webhook deliveries after POST /persons: %+v", ds)
		}
		d := ds[0]
		if d.WebhookID != people.ID || d.Object != "person" || d.Action != "create" || d.EntityID != strconv.FormatInt(p.ID, 10) ||
			d.Status != "pending" || d.Attempts != 0 || d.ResponseStatus != nil || d.LastError != "" || d.DoneAt != nil || d.AddTime.IsZero() {
			t.Fatalf("delivery %+v", d)
		}
		if pg.More || pg.NextCursor != "" {
			t.Fatalf("one delivery, pagination %+v", pg)
		}
		if ds, _ := e.deliveries(t, dpath(created)); len(ds) != 1 || ds[0].Object != "person" || ds[0].Action != "create" {
			t.Fatalf("create/* webhook deliveries: %+v", ds)
		}
		for _, w := range []crm.Webhook{deals, paused} {
			if ds, _ := e.deliveries(t, dpath(w)); len(ds) != 0 {
				t.Fatalf("webhook %s/%s (active %v) got %+v", w.EventObject, w.EventAction, w.Active, ds)
			}
		}

		// A change and a delete follow, newest first.
		expect(t, e.asAgent("PATCH", fmt.Sprintf("/api/v1/persons/%d", p.ID), map[string]any{"name": "Jane Roe"}), 200)
		expect(t, e.asAgent("DELETE", fmt.Sprintf("/api/v1/persons/%d", p.ID), nil), 200)
		ds, _ = e.deliveries(t, dpath(people))
		var actions []string
		for _, d := range ds {
			actions = append(actions, d.Action)
		}
		if fmt.Sprint(actions) != "[delete change create]" {
			t.Fatalf("actions newest first %v", actions)
		}
		if ds2, _ := e.deliveries(t, dpath(created)); len(ds2) != 1 {
			t.Fatalf("create/* webhook got the change or delete: %+v", ds2)
		}

		// Paging: two, then the last one.
		ds2, pg := e.deliveries(t, dpath(people)+"?limit=2")
		if len(ds2) != 2 || ds2[0].ID != ds[0].ID || ds2[1].ID != ds[1].ID || !pg.More || pg.Limit != 2 || pg.NextCursor != strconv.FormatInt(ds[1].ID, 10) {
			t.Fatalf("first page %+v %+v", ds2, pg)
		}
		ds3, pg := e.deliveries(t, dpath(people)+"?limit=2&before="+pg.NextCursor)
		if len(ds3) != 1 || ds3[0].ID != ds[2].ID || pg.More || pg.NextCursor != "" {
			t.Fatalf("second page %+v %+v", ds3, pg)
		}
		// A page that ends exactly at the oldest says there is no more.
		ds4, pg := e.deliveries(t, dpath(people)+"?limit=1&before="+strconv.FormatInt(ds[1].ID, 10))
		if len(ds4) != 1 || ds4[0].ID != ds[2].ID || pg.More {
			t.Fatalf("last full page %+v %+v", ds4, pg)
		}

		// Deleting a webhook removes its outbox; the others keep theirs.
		expect(t, e.asAdmin("DELETE", fmt.Sprintf("/api/v1/webhooks/%d", people.ID), nil), 200)
		if ds, _ := e.deliveries(t, dpath(created)); len(ds) != 1 {
			t.Fatalf("another webhook's deliveries after a delete: %+v", ds)
		}
	})
}
