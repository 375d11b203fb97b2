package crm_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/parley/parley/crm"
)

func TestPersonsAndOrganizations(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		owner := mkUser(t, m, crm.RoleAgent)
		acme := must[crm.Organization](t)(m.CreateOrganization(ctx, crm.OrganizationInput{Name: "  Acme   Corp ", Address: "1 Road", OwnerID: &owner.ID}))
		if acme.Name != "Acme   Corp" || *acme.OwnerID != owner.ID {
			t.Fatalf("org %+v", acme)
		}
		if got := must[crm.Organization](t)(m.FindOrganizationByName(ctx, "acme corp")); got.ID != acme.ID {
			t.Fatalf("find org by name: %+v", got)
		}
		if _, err := m.FindOrganizationByName(ctx, "Initech"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("unknown org: %v", err)
		}

		_, err := m.CreatePerson(ctx, crm.PersonInput{Name: " ", Email: crm.Contacts{{Value: "nope"}},
			Phone: crm.Contacts{{Value: "call me"}}, OrgID: p64(999), OwnerID: p64(998)})
		wantFields(t, err, "name", "email[0].value", "phone[0].value", "org_id", "owner_id")
		wantMessage(t, err, "email[0].value", "is not an email address")
		wantMessage(t, err, "org_id", "no organization 999")

		ann := must[crm.Person](t)(m.CreatePerson(ctx, crm.PersonInput{Name: "Ann Lee",
			Email: crm.Contacts{{Value: "Ann@Example.com", Label: "home"}, {Value: "ann@work.test"}},
			Phone: crm.Contacts{{Value: "+1 (555) 010-0200"}}, OrgID: &acme.ID, OwnerID: &owner.ID}))
		if len(ann.Email) != 2 || !ann.Email[0].Primary || ann.Email[1].Primary || ann.Email[0].Label != "home" ||
			ann.Email[1].Label != "work" || ann.Phone[0].Value != "+1 (555) 010-0200" || *ann.OrgID != acme.ID {
			t.Fatalf("person %+v", ann)
		}

		// Matching: e-mail case-insensitively, phone by digits.
		for _, e := range []string{"ann@example.com", " ANN@EXAMPLE.COM", "ann@work.test"} {
			if got, err := m.FindPersonByEmail(ctx, e); err != nil || got.ID != ann.ID {
				t.Fatalf("FindPersonByEmail(%q) = %+v, %v", e, got, err)
			}
		}
		if got, err := m.FindPersonByPhone(ctx, "15550100200"); err != nil || got.ID != ann.ID {
			t.Fatalf("FindPersonByPhone = %+v, %v", got, err)
		}
		if _, err := m.FindPersonByPhone(ctx, "555"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("partial phone matched: %v", err)
		}
		if _, err := m.FindPersonByEmail(ctx, ""); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("empty email: %v", err)
		}

		// PATCH: absent fields stay, null clears, lists replace.
		var patch crm.PersonPatch
		if err := json.Unmarshal([]byte(`{"org_id": null, "phone": "020 7946 0000"}`), &patch); err != nil {
			t.Fatal(err)
		}
		ann = must[crm.Person](t)(m.UpdatePerson(ctx, ann.ID, patch))
		if ann.OrgID != nil || ann.OwnerID == nil || ann.Name != "Ann Lee" || len(ann.Email) != 2 ||
			len(ann.Phone) != 1 || ann.Phone[0].Value != "020 7946 0000" {
			t.Fatalf("patched %+v", ann)
		}
		if _, err := m.FindPersonByPhone(ctx, "+1 555 010 0200"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("old phone still matches: %v", err)
		}
		ann = must[crm.Person](t)(m.UpdatePerson(ctx, ann.ID, crm.PersonPatch{OrgID: crm.Set(acme.ID), OwnerID: crm.Clear[int64]()}))
		if ann.OrgID == nil || ann.OwnerID != nil {
			t.Fatalf("set org / clear owner: %+v", ann)
		}
		_, err = m.UpdatePerson(ctx, ann.ID, crm.PersonPatch{Name: pstr(""), OrgID: crm.Set[int64](12345)})
		wantFields(t, err, "name", "org_id")
		if _, err := m.UpdatePerson(ctx, 777, crm.PersonPatch{}); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("update unknown: %v", err)
		}

		bob := must[crm.Person](t)(m.CreatePerson(ctx, crm.PersonInput{Name: "Bob 100% Smith", Email: crm.Contacts{{Value: "bob@b.test"}}}))
		search := func(term string) []int64 {
			t.Helper()
			ps, _, err := m.SearchPersons(ctx, term, crm.ListParams{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			return ids
		}
		for term, want := range map[string][]int64{"ann": {ann.ID}, "LEE": {ann.ID}, "b.test": {bob.ID},
			"7946": {ann.ID}, "100%": {bob.ID}, "1%": nil, "b_b": nil, "xyz": nil} {
			if got := search(term); len(got) != len(want) || (len(want) > 0 && got[0] != want[0]) {
				t.Fatalf("search %q = %v, want %v", term, got, want)
			}
		}
		if _, _, err := m.SearchPersons(ctx, "a", crm.ListParams{}); err == nil {
			t.Fatal("one-letter search accepted")
		}

		ps := must[[]crm.Person](t)(listPersons(m, ctx, crm.PersonFilter{OrgID: &acme.ID}))
		if len(ps) != 1 || ps[0].ID != ann.ID || len(ps[0].Email) != 2 {
			t.Fatalf("filter by org: %+v", ps)
		}

		// Deleting an organization unlinks its persons.
		if err := m.DeleteOrganization(ctx, acme.ID); err != nil {
			t.Fatal(err)
		}
		if got := must[crm.Person](t)(m.GetPerson(ctx, ann.ID)); got.OrgID != nil {
			t.Fatalf("org not unlinked: %+v", got)
		}
		if err := m.DeletePerson(ctx, ann.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.GetPerson(ctx, ann.ID); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("deleted person: %v", err)
		}
		if err := m.DeletePerson(ctx, ann.ID); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func listPersons(m *crm.Manager, ctx context.Context, f crm.PersonFilter) ([]crm.Person, error) {
	ps, _, err := m.ListPersons(ctx, f, crm.ListParams{})
	return ps, err
}

func TestContactsJSON(t *testing.T) {
	for in, want := range map[string]int{`"a@b.c"`: 1, `["a@b.c", "d@e.f"]`: 2, `[{"value": "a@b.c", "primary": true}]`: 1, `null`: 0, `[]`: 0} {
		var c crm.Contacts
		if err := json.Unmarshal([]byte(in), &c); err != nil || len(c) != want {
			t.Fatalf("%s: %v %v", in, c, err)
		}
	}
	var c crm.Contacts
	if err := json.Unmarshal([]byte(`42`), &c); err == nil {
		t.Fatal("number accepted")
	}
}
