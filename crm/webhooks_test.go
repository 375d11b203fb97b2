package crm_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// Every change of an entity a webhook follows is written to the outbox in
// the change's own transaction: what changed is in it, a refused change
// writes nothing, and webhooks for other objects or actions, or inactive
// ones, get nothing.
func TestWebhookOutbox(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		ctx := context.Background()
		m, err := crm.New(ctx, crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		var inv *crm.InvalidError
		for _, bad := range []crm.WebhookInput{
			{SubscriptionURL: "ftp://x", EventAction: "*", EventObject: "*"},
			{SubscriptionURL: "https://hooks.example.com/p", EventAction: "update", EventObject: "*"},
			{SubscriptionURL: "https://hooks.example.com/p", EventAction: "*", EventObject: "widget"},
		} {
			if _, err := m.CreateWebhook(ctx, bad); !errors.As(err, &inv) {
				t.Fatalf("%+v: %v, want a field error", bad, err)
			}
		}
		people, err := m.CreateWebhook(ctx, crm.WebhookInput{SubscriptionURL: "https://hooks.example.com/people", EventAction: "*", EventObject: "person"})
		if err != nil {
			t.Fatal(err)
		}
		if len(people.Secret) < 32 || !people.Active {
			t.Fatalf("new webhook %+v", people)
		}
		deals, err := m.CreateWebhook(ctx, crm.WebhookInput{SubscriptionURL: "https://hooks.example.com/deals", EventAction: "create", EventObject: "deal"})
		if err != nil {
			t.Fatal(err)
		}
		off := false
		idle, err := m.CreateWebhook(ctx, crm.WebhookInput{SubscriptionURL: "https://hooks.example.com/idle", EventAction: "*", EventObject: "*"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.UpdateWebhook(ctx, idle.ID, crm.WebhookPatch{Active: &off}); err != nil {
			t.Fatal(err)
		}

		p, err := m.CreatePerson(ctx, crm.PersonInput{Name: "Ada Lovelace"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.UpdatePerson(ctx, p.ID, crm.PersonPatch{Name: ptr("Ada King")}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.UpdatePerson(ctx, p.ID, crm.PersonPatch{Name: ptr("")}); !errors.As(err, &inv) {
			t.Fatalf("an empty name: %v", err)
		}
		if _, err := m.UpdatePerson(ctx, p.ID, crm.PersonPatch{Name: ptr("Ada King")}); err != nil { // nothing changes
			t.Fatal(err)
		}
		if err := m.DeletePerson(ctx, p.ID); err != nil {
			t.Fatal(err)
		}

		type row struct {
			Webhook  int64   `db:"webhook_id"`
			Action   string  `db:"action"`
			Object   string  `db:"object"`
			Entity   string  `db:"entity_id"`
			Data     string  `db:"data"`
			Previous *string `db:"previous"`
			Status   string  `db:"status"`
		}
		var rows []row
		if err := db.Select(&rows, `SELECT webhook_id, action, object, entity_id, data, previous, status FROM webhook_deliveries ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 {
			t.Fatalf("%d deliveries, want create, change, delete of the person for the people webhook: %+v", len(rows), rows)
		}
		for i, want := range []string{crm.ActionCreate, crm.ActionChange, crm.ActionDelete} {
			r := rows[i]
			if r.Webhook != people.ID || r.Action != want || r.Object != "person" || r.Status != "pending" {
				t.Fatalf("delivery %d: %+v, want %s of person for webhook %d", i, r, want, people.ID)
			}
			var d map[string]any
			if err := json.Unmarshal([]byte(r.Data), &d); err != nil || d["id"] != float64(p.ID) {
				t.Fatalf("delivery %d data %s %v", i, r.Data, err)
			}
		}
		if rows[1].Previous == nil {
			t.Fatal("the change has no previous")
		}
		var prev map[string]any
		if err := json.Unmarshal([]byte(*rows[1].Previous), &prev); err != nil || prev["name"] != "Ada Lovelace" || len(prev) != 1 {
			t.Fatalf("previous %s %v, want only the old name", *rows[1].Previous, err)
		}
		if ds, err := m.ListDeliveries(ctx, people.ID, 0, 0); err != nil || len(ds) != 3 || ds[0].Action != crm.ActionDelete {
			t.Fatalf("list deliveries: %d %v (newest first)", len(ds), err)
		}
		if ds, err := m.ListDeliveries(ctx, deals.ID, 0, 0); err != nil || len(ds) != 0 {
			t.Fatalf("the deals webhook got %d deliveries %v", len(ds), err)
		}
		// A deal: created goes to the deals webhook; the people webhook does not care.
		if _, err := m.CreateDeal(ctx, crm.DealInput{Title: "Big one"}); err != nil {
			t.Fatal(err)
		}
		if ds, _ := m.ListDeliveries(ctx, deals.ID, 0, 0); len(ds) != 1 || ds[0].Object != "deal" {
			t.Fatalf("deals webhook after a deal: %+v", ds)
		}
		if err := m.DeleteWebhook(ctx, people.ID); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := db.Get(&left, db.Rebind(`SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?`), people.ID); err != nil || left != 0 {
			t.Fatalf("deliveries of a deleted webhook: %d %v", left, err)
		}
	})
}
