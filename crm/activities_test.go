package crm_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/parley/parley/crm"
)

func TestActivities(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		owner := mkUser(t, m, crm.RoleAgent)
		person := must[crm.Person](t)(m.CreatePerson(ctx, crm.PersonInput{Name: "Ann"}))
		deal := must[crm.Deal](t)(m.CreateDeal(ctx, crm.DealInput{Title: "D", PersonID: &person.ID}))

		_, err := m.CreateActivity(ctx, crm.ActivityInput{Type: "lunch", DueDate: pstr("tomorrow"), DueTime: pstr("25:00"),
			Duration: pstr("1h"), DealID: p64(999), LeadID: pstr("nope"), OwnerID: p64(998)})
		wantFields(t, err, "type", "subject", "due_date", "due_time", "duration", "deal_id", "lead_id", "owner_id")
		wantMessage(t, err, "due_time", "must be HH:MM")
		wantMessage(t, err, "deal_id", "no deal 999")

		a := must[crm.Activity](t)(m.CreateActivity(ctx, crm.ActivityInput{Type: "call", DueDate: pstr("2026-11-22"),
			DueTime: pstr("09:30"), Duration: pstr("00:30"), OwnerID: &owner.ID, DealID: &deal.ID, PersonID: &person.ID}))
		if a.Subject != "Call" || a.Done || *a.DueTime != "09:30" {
			t.Fatalf("activity %+v", a)
		}
		task := must[crm.Activity](t)(m.CreateActivity(ctx, crm.ActivityInput{Subject: "Send quote", Done: true}))
		if task.Type != "task" {
			t.Fatalf("default type %+v", task)
		}

		var patch crm.ActivityPatch
		if err := json.Unmarshal([]byte(`{"done": true, "due_time": null, "note": "left a message"}`), &patch); err != nil {
			t.Fatal(err)
		}
		a = must[crm.Activity](t)(m.UpdateActivity(ctx, a.ID, patch))
		if !a.Done || a.DueTime != nil || *a.DueDate != "2026-11-22" || a.Note != "left a message" || a.DealID == nil {
			t.Fatalf("patched %+v", a)
		}
		_, err = m.UpdateActivity(ctx, a.ID, crm.ActivityPatch{Type: pstr("party")})
		wantFields(t, err, "type")

		count := func(f crm.ActivityFilter) int {
			t.Helper()
			as, _, err := m.ListActivities(ctx, f, crm.ListParams{})
			if err != nil {
				t.Fatal(err)
			}
			return len(as)
		}
		if count(crm.ActivityFilter{}) != 2 || count(crm.ActivityFilter{Done: ptrB(false)}) != 0 ||
			count(crm.ActivityFilter{Done: ptrB(true)}) != 2 || count(crm.ActivityFilter{OwnerID: &owner.ID}) != 1 ||
			count(crm.ActivityFilter{DealID: &deal.ID}) != 1 || count(crm.ActivityFilter{PersonID: &person.ID}) != 1 {
			t.Fatal("activity filters")
		}

		// An activity goes with its deal.
		if err := m.DeleteDeal(ctx, deal.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.GetActivity(ctx, a.ID); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("activity of deleted deal: %v", err)
		}
		if err := m.DeleteActivity(ctx, task.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestNotes(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		author := mkUser(t, m, crm.RoleAgent)
		person := must[crm.Person](t)(m.CreatePerson(ctx, crm.PersonInput{Name: "Ann"}))
		org := must[crm.Organization](t)(m.CreateOrganization(ctx, crm.OrganizationInput{Name: "Acme"}))

		_, err := m.CreateNote(ctx, crm.NoteInput{Content: "  "})
		wantFields(t, err, "content", "lead_id")
		_, err = m.CreateNote(ctx, crm.NoteInput{Content: "x", PersonID: &person.ID, OrgID: &org.ID})
		wantFields(t, err, "lead_id")
		_, err = m.CreateNote(ctx, crm.NoteInput{Content: "x", PersonID: p64(404), UserID: p64(405)})
		wantFields(t, err, "person_id", "user_id")

		n := must[crm.Note](t)(m.CreateNote(ctx, crm.NoteInput{Content: "Met at a fair", PersonID: &person.ID, UserID: &author.ID}))
		must[crm.Note](t)(m.CreateNote(ctx, crm.NoteInput{Content: "Big company", OrgID: &org.ID}))
		n = must[crm.Note](t)(m.UpdateNote(ctx, n.ID, crm.NotePatch{Content: pstr("Met at the fair")}))
		if n.Content != "Met at the fair" || *n.UserID != author.ID || !n.UpdateTime.After(n.AddTime) && !n.UpdateTime.Equal(n.AddTime) {
			t.Fatalf("note %+v", n)
		}
		if _, err := m.UpdateNote(ctx, n.ID, crm.NotePatch{Content: pstr("")}); err == nil {
			t.Fatal("emptied note accepted")
		}
		ns, _, err := m.ListNotes(ctx, crm.NoteFilter{PersonID: &person.ID}, crm.ListParams{})
		if err != nil || len(ns) != 1 || ns[0].ID != n.ID {
			t.Fatalf("notes of person %+v %v", ns, err)
		}
		ns, _, _ = m.ListNotes(ctx, crm.NoteFilter{OrgID: &org.ID}, crm.ListParams{})
		if len(ns) != 1 {
			t.Fatalf("notes of org %+v", ns)
		}
		// A note goes with its parent.
		if err := m.DeletePerson(ctx, person.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.GetNote(ctx, n.ID); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("note of deleted person: %v", err)
		}
	})
}
