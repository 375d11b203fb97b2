package crm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley/parley/crm"
)

func TestCaptureCreatesEverything(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		owner := mkUser(t, m, crm.RoleAgent)
		due := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		in := crm.CaptureInput{ConversationID: "conv-1", Card: "capture", Title: "Ann – Demo", Value: ptrF(1200),
			Currency: "eur", OwnerID: &owner.ID, Labels: []string{"Demo", "demo"}, Qualified: true,
			Note: "Transcript: hi", Activity: &crm.CaptureActivity{Type: "call", Subject: "Call back", DueDate: due},
			Person:       crm.CapturePerson{Name: "Ann Lee", Email: "Ann@Example.com", Phone: "+44 20 7946 0000"},
			Organization: crm.CaptureOrganization{Name: "Acme", Address: "1 Road"}}
		res := must[crm.CaptureResult](t)(m.Capture(ctx, in))
		if res.Existing || res.PersonReused || res.OrgReused || res.Lead == nil || res.NoteID == nil || res.ActivityID == nil {
			t.Fatalf("result %+v", res)
		}
		l := res.Lead
		if l.Title != "Ann – Demo" || *l.PersonID != *res.PersonID || *l.OrganizationID != *res.OrgID || *l.OwnerID != owner.ID ||
			l.Value.Amount != 1200 || l.Value.Currency != "EUR" || l.SourceName != crm.SourceChatbot || *l.ConversationID != "conv-1" ||
			!l.Qualified || len(l.LabelIDs) != 1 {
			t.Fatalf("lead %+v", l)
		}
		p := must[crm.Person](t)(m.GetPerson(ctx, *res.PersonID))
		if p.Name != "Ann Lee" || *p.OrgID != *res.OrgID || p.Email[0].Value != "Ann@Example.com" || p.Phone[0].Value != "+44 20 7946 0000" {
			t.Fatalf("person %+v", p)
		}
		if o := must[crm.Organization](t)(m.GetOrganization(ctx, *res.OrgID)); o.Address != "1 Road" {
			t.Fatalf("org %+v", o)
		}
		n := must[crm.Note](t)(m.GetNote(ctx, *res.NoteID))
		a := must[crm.Activity](t)(m.GetActivity(ctx, *res.ActivityID))
		if *n.LeadID != l.ID || *a.LeadID != l.ID || *a.PersonID != p.ID || *a.DueDate != "2026-11-22" || *a.DueTime != "10:00" ||
			*a.OwnerID != owner.ID || a.Subject != "Call back" {
			t.Fatalf("note %+v activity %+v", n, a)
		}

		// The same card again: the first result, nothing new.
		again := must[crm.CaptureResult](t)(m.Capture(ctx, in))
		if !again.Existing || *again.LeadID != l.ID || *again.PersonID != p.ID || *again.NoteID != *res.NoteID || again.Lead == nil {
			t.Fatalf("again %+v", again)
		}
		ls, _, _ := m.ListLeads(ctx, crm.LeadFilter{}, crm.ListParams{})
		ns, _, _ := m.ListNotes(ctx, crm.NoteFilter{}, crm.ListParams{})
		if len(ls) != 1 || len(ns) != 1 {
			t.Fatalf("duplicates: %d leads, %d notes", len(ls), len(ns))
		}
	})
}

func TestCaptureReusesPersonAndOrganization(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		org := must[crm.Organization](t)(m.CreateOrganization(ctx, crm.OrganizationInput{Name: "Acme Corp"}))
		known := must[crm.Person](t)(m.CreatePerson(ctx, crm.PersonInput{Name: "Visitor", Phone: crm.Contacts{{Value: "+1 555 010 0200"}}}))

		// Matched by phone (formatted differently); the name and e-mail are filled in.
		res := must[crm.CaptureResult](t)(m.Capture(ctx, crm.CaptureInput{ConversationID: "c1", Card: "cap", Qualified: true,
			Person:       crm.CapturePerson{Name: "Bob", Email: "bob@example.com", Phone: "1 (555) 010-0200"},
			Organization: crm.CaptureOrganization{Name: "ACME  corp", Address: "2 Street"}}))
		if !res.PersonReused || *res.PersonID != known.ID || !res.OrgReused || *res.OrgID != org.ID {
			t.Fatalf("reuse %+v", res)
		}
		p := must[crm.Person](t)(m.GetPerson(ctx, known.ID))
		if p.Name != "Bob" || len(p.Email) != 1 || p.Email[0].Value != "bob@example.com" || *p.OrgID != org.ID {
			t.Fatalf("filled in %+v", p)
		}
		if o := must[crm.Organization](t)(m.GetOrganization(ctx, org.ID)); o.Address != "2 Street" || o.Name != "Acme Corp" {
			t.Fatalf("org %+v", o)
		}
		if res.Lead.Title != "Bob lead" {
			t.Fatalf("default title %q", res.Lead.Title)
		}

		// Matched by e-mail first, case-insensitively; a known name is kept.
		res = must[crm.CaptureResult](t)(m.Capture(ctx, crm.CaptureInput{ConversationID: "c2", Card: "cap",
			Person: crm.CapturePerson{Name: "Robert", Email: "BOB@example.com", Phone: "+49 30 1234567"}}))
		if *res.PersonID != known.ID {
			t.Fatalf("e-mail match %+v", res)
		}
		p = must[crm.Person](t)(m.GetPerson(ctx, known.ID))
		if p.Name != "Bob" || len(p.Phone) != 1 {
			t.Fatalf("reused person changed: %+v", p)
		}
		// Unqualified: still recorded, labelled.
		lab := must[crm.LeadLabel](t)(findLabel(ctx, m, crm.UnqualifiedLabel))
		if res.Lead.Qualified || !slices.Contains(res.Lead.LabelIDs, lab.ID) {
			t.Fatalf("unqualified lead %+v", res.Lead)
		}

		// Only an organization: the lead hangs on it, no person invented.
		res = must[crm.CaptureResult](t)(m.Capture(ctx, crm.CaptureInput{ConversationID: "c3", Card: "cap", Qualified: true,
			Organization: crm.CaptureOrganization{Name: "Initech"}}))
		if res.PersonID != nil || res.Lead.OrganizationID == nil {
			t.Fatalf("org only %+v", res)
		}
		// Nothing at all: a Visitor person holds the lead.
		res = must[crm.CaptureResult](t)(m.Capture(ctx, crm.CaptureInput{ConversationID: "c4", Card: "cap", Qualified: true}))
		if p := must[crm.Person](t)(m.GetPerson(ctx, *res.PersonID)); p.Name != "Visitor" || res.Lead.Title != "Visitor lead" {
			t.Fatalf("anonymous %+v", p)
		}

		// Bad input is reported by field and nothing is kept.
		_, err := m.Capture(ctx, crm.CaptureInput{ConversationID: "c5", Card: "cap", Person: crm.CapturePerson{Email: "not-mail"}})
		wantFields(t, err, "person.email[0].value")
		res = must[crm.CaptureResult](t)(m.Capture(ctx, crm.CaptureInput{ConversationID: "c5", Card: "cap", Qualified: true,
			Person: crm.CapturePerson{Email: "fixed@example.com"}}))
		if res.Existing {
			t.Fatal("a failed capture was recorded")
		}
		_, err = m.Capture(ctx, crm.CaptureInput{Create: "ticket"})
		wantFields(t, err, "conversation_id", "card", "create")
	})
}

func findLabel(ctx context.Context, m *crm.Manager, name string) (crm.LeadLabel, error) {
	ls, _, err := m.ListLeadLabels(ctx, crm.ListParams{})
	if err != nil {
		return crm.LeadLabel{}, err
	}
	for _, l := range ls {
		if l.Name == name {
			return l, nil
		}
	}
	return crm.LeadLabel{}, fmt.Errorf("no label %s: %w", name, crm.ErrNotFound)
}

func TestCaptureDeal(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		must[crm.Pipeline](t)(m.EnsureDefaultPipeline(ctx))
		partners := must[crm.Pipeline](t)(m.CreatePipeline(ctx, crm.PipelineInput{Name: "Partners", Stages: []string{"Intro", "Signed"}}))
		res := must[crm.CaptureResult](t)(m.Capture(ctx, crm.CaptureInput{ConversationID: "c1", Card: "deal", Create: "deal",
			Pipeline: "partners", Stage: "SIGNED", DealValue: ptrF(300), Currency: "usd", ExpectedCloseDate: "2026-12-24",
			Note: "Partner wants in", Person: crm.CapturePerson{Name: "Eve", Email: "eve@example.com"}}))
		d := res.Deal
		st := must[crm.Stage](t)(m.GetStage(ctx, d.StageID))
		if d == nil || res.LeadID != nil || d.PipelineID != partners.ID || st.Name != "Signed" || d.Value != 300 ||
			*d.ExpectedCloseDate != "2026-12-24" || *d.ConversationID != "c1" {
			t.Fatalf("deal %+v", res)
		}
		if n := must[crm.Note](t)(m.GetNote(ctx, *res.NoteID)); *n.DealID != d.ID {
			t.Fatalf("note %+v", n)
		}
		// Defaults: the first pipeline, its first stage.
		res = must[crm.CaptureResult](t)(m.Capture(ctx, crm.CaptureInput{ConversationID: "c2", Card: "deal", Create: "deal"}))
		if st := must[crm.Stage](t)(m.GetStage(ctx, res.Deal.StageID)); st.Name != "Qualified" {
			t.Fatalf("default stage %+v", st)
		}
		_, err := m.Capture(ctx, crm.CaptureInput{ConversationID: "c3", Card: "deal", Create: "deal", Stage: "Nope"})
		wantFields(t, err, "stage")
		_, err = m.Capture(ctx, crm.CaptureInput{ConversationID: "c3", Card: "deal", Create: "deal", Pipeline: "Nope"})
		wantFields(t, err, "pipeline")
	})
}

// TestConcurrentCapture: eight deliveries of the same capture at once (a
// retry racing a resumed conversation) create one lead on both databases.
func TestConcurrentCapture(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		const n = 8
		in := crm.CaptureInput{ConversationID: "conv-race", Card: "capture", Qualified: false, Labels: []string{"Race"},
			Note: "hello", Person: crm.CapturePerson{Name: "Ann", Email: "ann@example.com"},
			Organization: crm.CaptureOrganization{Name: "Acme"}}
		var wg sync.WaitGroup
		results := make([]crm.CaptureResult, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = m.Capture(ctx, in)
			}()
		}
		wg.Wait()
		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("capture %d: %v", i, errs[i])
			}
			if !results[i].Existing {
				created++
			}
			if *results[i].LeadID != *results[0].LeadID {
				t.Fatalf("capture %d returned another lead", i)
			}
		}
		ls, _, _ := m.ListLeads(ctx, crm.LeadFilter{}, crm.ListParams{})
		ps, _, _ := m.ListPersons(ctx, crm.PersonFilter{}, crm.ListParams{})
		os, _, _ := m.ListOrganizations(ctx, crm.OrganizationFilter{}, crm.ListParams{})
		ns, _, _ := m.ListNotes(ctx, crm.NoteFilter{}, crm.ListParams{})
		if created != 1 || len(ls) != 1 || len(ps) != 1 || len(os) != 1 || len(ns) != 1 {
			t.Fatalf("created %d: %d leads, %d persons, %d orgs, %d notes", created, len(ls), len(ps), len(os), len(ns))
		}

		// Different conversations racing for the same new label name share one label.
		var wg2 sync.WaitGroup
		for i := range n {
			wg2.Add(1)
			go func() {
				defer wg2.Done()
				_, errs[i] = m.Capture(ctx, crm.CaptureInput{ConversationID: fmt.Sprint("conv-", i), Card: "c",
					Labels: []string{"Fresh"}, Qualified: true})
			}()
		}
		wg2.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("capture %d: %v", i, errs[i])
			}
		}
		ll, _, _ := m.ListLeadLabels(ctx, crm.ListParams{})
		if len(ll) != 3 { // Race, unqualified, Fresh
			t.Fatalf("labels %+v", ll)
		}
	})
}

func TestResolveOwner(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		if id, err := m.ResolveOwner(ctx, "", nil, nil); err != nil || id != nil {
			t.Fatalf("nobody: %v %v", id, err)
		}
		admin := mkUser(t, m, crm.RoleAdmin)
		if id := must[*int64](t)(m.ResolveOwner(ctx, crm.OwnerRoundRobin, nil, nil)); id == nil || *id != admin.ID {
			t.Fatalf("only an admin: %v", id)
		}
		a, b, c := mkUser(t, m, crm.RoleAgent), mkUser(t, m, crm.RoleAgent), mkUser(t, m, crm.RoleAgent)

		// Fair rotation: every agent once before anyone twice; admins are not in it.
		var got []int64
		for range 6 {
			got = append(got, *must[*int64](t)(m.ResolveOwner(ctx, "round_robin", nil, nil)))
		}
		if !slices.Equal(got, []int64{a.ID, b.ID, c.ID, a.ID, b.ID, c.ID}) {
			t.Fatalf("rotation %v (agents %d %d %d)", got, a.ID, b.ID, c.ID)
		}

		// Concurrent turns are all distinct while agents last.
		var wg sync.WaitGroup
		turns := make([]int64, 3)
		for i := range turns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id, err := m.ResolveOwner(ctx, "", nil, nil)
				if err != nil || id == nil {
					t.Errorf("turn: %v %v", id, err)
					return
				}
				turns[i] = *id
			}()
		}
		wg.Wait()
		slices.Sort(turns)
		if !slices.Equal(turns, []int64{a.ID, b.ID, c.ID}) {
			t.Fatalf("concurrent turns %v", turns)
		}

		g := must[crm.Group](t)(m.CreateGroup(ctx, crm.GroupInput{Name: pstr("EMEA"), UserIDs: &[]int64{c.ID}}))
		if id := *must[*int64](t)(m.ResolveOwner(ctx, "", &g.ID, nil)); id != c.ID {
			t.Fatalf("group rotation %d", id)
		}
		empty := must[crm.Group](t)(m.CreateGroup(ctx, crm.GroupInput{Name: pstr("Empty")}))
		if id := must[*int64](t)(m.ResolveOwner(ctx, "", &empty.ID, nil)); id == nil {
			t.Fatal("empty group left no owner")
		}

		if id := *must[*int64](t)(m.ResolveOwner(ctx, "assignee", nil, &b.ID)); id != b.ID {
			t.Fatalf("assignee %d", id)
		}
		if id := must[*int64](t)(m.ResolveOwner(ctx, "assignee", nil, nil)); id == nil {
			t.Fatal("assignee without one: no fallback")
		}
		if id := *must[*int64](t)(m.ResolveOwner(ctx, " "+b.Email, nil, nil)); id != b.ID {
			t.Fatalf("by e-mail %d", id)
		}
		_, err := m.ResolveOwner(ctx, "ghost@example.com", nil, nil)
		wantFields(t, err, "owner")
		if errors.Is(err, crm.ErrNotFound) {
			t.Fatal("unknown owner should be invalid, not not-found")
		}
	})
}
