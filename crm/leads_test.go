package crm_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/parley/parley/crm"
)

func TestLeadsAndLabels(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		owner := mkUser(t, m, crm.RoleAgent)
		person := must[crm.Person](t)(m.CreatePerson(ctx, crm.PersonInput{Name: "Ann"}))
		org := must[crm.Organization](t)(m.CreateOrganization(ctx, crm.OrganizationInput{Name: "Acme"}))

		hot := must[crm.LeadLabel](t)(m.CreateLeadLabel(ctx, crm.LeadLabelInput{Name: "Hot", Color: "red"}))
		warm := must[crm.LeadLabel](t)(m.CreateLeadLabel(ctx, crm.LeadLabelInput{Name: "Warm"}))
		if warm.Color != "gray" || len(hot.ID) != 36 {
			t.Fatalf("labels %+v %+v", hot, warm)
		}
		_, err := m.CreateLeadLabel(ctx, crm.LeadLabelInput{Name: "HOT"})
		wantFields(t, err, "name")
		_, err = m.CreateLeadLabel(ctx, crm.LeadLabelInput{Name: "x", Color: "pink"})
		wantFields(t, err, "color")
		if _, err := m.UpdateLeadLabel(ctx, warm.ID, crm.LeadLabelPatch{Name: pstr("hot")}); err == nil {
			t.Fatal("rename onto a taken name accepted")
		}

		_, err = m.CreateLead(ctx, crm.LeadInput{Title: " "})
		inv := wantFields(t, err, "title", "person_id")
		if inv.Fields[1].Message != "person_id or organization_id is required" {
			t.Fatalf("message %q", inv.Fields[1].Message)
		}
		_, err = m.CreateLead(ctx, crm.LeadInput{Title: "x", PersonID: p64(404), OwnerID: p64(405),
			Value: &crm.Money{Amount: 10, Currency: "dollars"}, ExpectedCloseDate: pstr("2026-02-30"),
			LabelIDs: []string{hot.ID, "5f0c0d8e-0000-4000-8000-000000000000"}, SourceName: "Fax"})
		wantFields(t, err, "person_id", "owner_id", "value.currency", "expected_close_date", "label_ids[1]", "source_name")

		l := must[crm.Lead](t)(m.CreateLead(ctx, crm.LeadInput{Title: "Website lead", PersonID: &person.ID,
			OwnerID: &owner.ID, Value: &crm.Money{Amount: 500, Currency: "eur"}, LabelIDs: []string{hot.ID, hot.ID, warm.ID},
			ExpectedCloseDate: pstr("2026-12-01"), ConversationID: pstr("conv-1")}))
		if len(l.ID) != 36 || !l.Qualified || l.SourceName != crm.SourceAPI || l.IsArchived || l.Value.Currency != "EUR" ||
			len(l.LabelIDs) != 2 || *l.ConversationID != "conv-1" {
			t.Fatalf("lead %+v", l)
		}
		orgLead := must[crm.Lead](t)(m.CreateLead(ctx, crm.LeadInput{Title: "Org lead", OrganizationID: &org.ID,
			Qualified: new(bool), SourceName: crm.SourceManual}))
		if orgLead.Qualified || orgLead.Value != nil || len(orgLead.LabelIDs) != 0 || orgLead.LabelIDs == nil {
			t.Fatalf("org lead %+v", orgLead)
		}

		// PATCH: null clears value and person (the organization still holds the lead).
		var patch crm.LeadPatch
		body := `{"value": null, "organization_id": ` + itoa(org.ID) + `, "label_ids": ["` + warm.ID + `"], "was_seen": true}`
		if err := json.Unmarshal([]byte(body), &patch); err != nil {
			t.Fatal(err)
		}
		l = must[crm.Lead](t)(m.UpdateLead(ctx, l.ID, patch))
		if l.Value != nil || *l.OrganizationID != org.ID || !slices.Equal(l.LabelIDs, []string{warm.ID}) || !l.WasSeen ||
			*l.ExpectedCloseDate != "2026-12-01" || l.Title != "Website lead" {
			t.Fatalf("patched %+v", l)
		}
		l = must[crm.Lead](t)(m.UpdateLead(ctx, l.ID, crm.LeadPatch{PersonID: crm.Clear[int64](), ExpectedCloseDate: crm.Clear[string]()}))
		if l.PersonID != nil || l.ExpectedCloseDate != nil {
			t.Fatalf("cleared %+v", l)
		}
		_, err = m.UpdateLead(ctx, l.ID, crm.LeadPatch{OrganizationID: crm.Clear[int64]()})
		wantMessage(t, err, "person_id", "person_id or organization_id is required")
		if _, err := m.GetLead(ctx, "not-a-uuid"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("unknown lead: %v", err)
		}

		// Filters.
		archived := must[crm.Lead](t)(m.CreateLead(ctx, crm.LeadInput{Title: "Old", PersonID: &person.ID}))
		must[crm.Lead](t)(m.UpdateLead(ctx, archived.ID, crm.LeadPatch{IsArchived: ptrB(true)}))
		count := func(f crm.LeadFilter) int {
			t.Helper()
			ls, _, err := m.ListLeads(ctx, f, crm.ListParams{})
			if err != nil {
				t.Fatal(err)
			}
			return len(ls)
		}
		for name, c := range map[string]struct {
			f    crm.LeadFilter
			want int
		}{
			"default all":  {crm.LeadFilter{}, 3},
			"archived":     {crm.LeadFilter{ArchivedStatus: "archived"}, 1},
			"not archived": {crm.LeadFilter{ArchivedStatus: "not_archived"}, 2},
			"owner":        {crm.LeadFilter{OwnerID: &owner.ID}, 1},
			"person":       {crm.LeadFilter{PersonID: &person.ID}, 1},
			"org":          {crm.LeadFilter{OrganizationID: &org.ID}, 2},
		} {
			if got := count(c.f); got != c.want {
				t.Fatalf("filter %s: %d, want %d", name, got, c.want)
			}
		}
		_, _, err = m.ListLeads(ctx, crm.LeadFilter{ArchivedStatus: "deleted"}, crm.ListParams{})
		wantFields(t, err, "archived_status")
		ls, _, _ := m.ListLeads(ctx, crm.LeadFilter{}, crm.ListParams{Sort: "title"})
		if ls[0].Title != "Old" || len(ls[2].LabelIDs) != 1 {
			t.Fatalf("sorted by title: %+v", ls)
		}

		// Deleting a label takes it off leads.
		if err := m.DeleteLeadLabel(ctx, warm.ID); err != nil {
			t.Fatal(err)
		}
		if got := must[crm.Lead](t)(m.GetLead(ctx, l.ID)); len(got.LabelIDs) != 0 {
			t.Fatalf("label kept: %+v", got)
		}
		if err := m.DeleteLead(ctx, archived.ID); err != nil {
			t.Fatal(err)
		}
		if err := m.DeleteLead(ctx, archived.ID); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func TestConvertLead(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		owner := mkUser(t, m, crm.RoleAgent)
		person := must[crm.Person](t)(m.CreatePerson(ctx, crm.PersonInput{Name: "Ann"}))
		l := must[crm.Lead](t)(m.CreateLead(ctx, crm.LeadInput{Title: "Demo request", PersonID: &person.ID,
			OwnerID: &owner.ID, Value: &crm.Money{Amount: 900, Currency: "GBP"}, ConversationID: pstr("c-9")}))
		n := must[crm.Note](t)(m.CreateNote(ctx, crm.NoteInput{Content: "Wants a demo", LeadID: &l.ID}))
		a := must[crm.Activity](t)(m.CreateActivity(ctx, crm.ActivityInput{Type: "call", LeadID: &l.ID}))

		d := must[crm.Deal](t)(m.ConvertLead(ctx, l.ID))
		first := must[crm.Stage](t)(m.GetStage(ctx, d.StageID))
		if d.Title != "Demo request" || d.Value != 900 || d.Currency != "GBP" || *d.PersonID != person.ID ||
			*d.OwnerID != owner.ID || *d.ConversationID != "c-9" || first.OrderNr != 1 {
			t.Fatalf("deal %+v", d)
		}
		got := must[crm.Lead](t)(m.GetLead(ctx, l.ID))
		if !got.IsArchived || got.DealID == nil || *got.DealID != d.ID {
			t.Fatalf("converted lead %+v", got)
		}
		if n2 := must[crm.Note](t)(m.GetNote(ctx, n.ID)); n2.LeadID != nil || *n2.DealID != d.ID {
			t.Fatalf("note not moved %+v", n2)
		}
		if a2 := must[crm.Activity](t)(m.GetActivity(ctx, a.ID)); a2.LeadID != nil || *a2.DealID != d.ID {
			t.Fatalf("activity not moved %+v", a2)
		}
		if _, err := m.ConvertLead(ctx, l.ID); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("convert twice: %v", err)
		}
		if _, err := m.ConvertLead(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("convert unknown: %v", err)
		}
	})
}

func ptrB(b bool) *bool { return &b }
