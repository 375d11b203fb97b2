package crm_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley/parley/crm"
)

func orgNames(os []crm.Organization) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Name)
	}
	return out
}

func TestPaging(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		list := func(lp crm.ListParams) ([]crm.Organization, crm.Page) {
			t.Helper()
			os, page, err := m.ListOrganizations(ctx, crm.OrganizationFilter{}, lp)
			if err != nil {
				t.Fatal(err)
			}
			return os, page
		}

		// Empty list.
		os, page := list(crm.ListParams{})
		if len(os) != 0 || os == nil || page.More || page.NextStart != nil || page.NextCursor != "" || page.Limit != crm.DefaultLimit {
			t.Fatalf("empty: %v %+v", os, page)
		}

		// Names out of id order, so sorts differ from the default.
		names := []string{"delta", "alpha", "echo", "bravo", "charlie"}
		for _, n := range names {
			must[crm.Organization](t)(m.CreateOrganization(ctx, crm.OrganizationInput{Name: n}))
		}

		// Exactly limit items: no more.
		os, page = list(crm.ListParams{Limit: 5})
		if len(os) != 5 || page.More || page.NextStart != nil || page.NextCursor != "" {
			t.Fatalf("exactly limit: %v %+v", orgNames(os), page)
		}
		if !slices.Equal(orgNames(os), names) {
			t.Fatalf("default order is id: %v", orgNames(os))
		}
		// limit+1 items: one more page.
		os, page = list(crm.ListParams{Limit: 4})
		if len(os) != 4 || !page.More || page.NextStart == nil || *page.NextStart != 4 || page.NextCursor == "" {
			t.Fatalf("limit+1: %v %+v", orgNames(os), page)
		}
		// Last page.
		os, page = list(crm.ListParams{Start: 4, Limit: 4})
		if !slices.Equal(orgNames(os), []string{"charlie"}) || page.More || page.Start != 4 {
			t.Fatalf("last page: %v %+v", orgNames(os), page)
		}
		os, _ = list(crm.ListParams{Start: 50})
		if len(os) != 0 {
			t.Fatalf("past the end: %v", orgNames(os))
		}

		// Sort, and keyset paging in both directions, with the sort carried by the cursor.
		for _, c := range []struct {
			sort string
			want []string
		}{
			{"name", []string{"alpha", "bravo", "charlie", "delta", "echo"}},
			{"name DESC", []string{"echo", "delta", "charlie", "bravo", "alpha"}},
			{"id desc", []string{"charlie", "bravo", "echo", "alpha", "delta"}},
			{"add_time ASC", names},
			{"update_time DESC", []string{"charlie", "bravo", "echo", "alpha", "delta"}},
		} {
			var got []string
			lp := crm.ListParams{Limit: 2, Sort: c.sort}
			for pages := 0; ; pages++ {
				os, page := list(lp)
				got = append(got, orgNames(os)...)
				if !page.More {
					break
				}
				if pages > 5 {
					t.Fatal("cursor paging does not end")
				}
				lp = crm.ListParams{Limit: 2, Cursor: page.NextCursor}
				if pages%2 == 0 {
					lp.Sort = c.sort // the same sort alongside the cursor is fine
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("sort %q: %v, want %v", c.sort, got, c.want)
			}
		}

		_, page = list(crm.ListParams{Limit: 2, Sort: "name"})
		for _, c := range []struct {
			lp    crm.ListParams
			field string
		}{
			{crm.ListParams{Limit: -1}, "limit"},
			{crm.ListParams{Limit: crm.MaxLimit + 1}, "limit"},
			{crm.ListParams{Start: -1}, "start"},
			{crm.ListParams{Sort: "password"}, "sort"},
			{crm.ListParams{Sort: "name sideways"}, "sort"},
			{crm.ListParams{Sort: "name; DROP TABLE users"}, "sort"},
			{crm.ListParams{Cursor: "!!!"}, "cursor"},
			{crm.ListParams{Cursor: "eyJmIjoibmFtZSJ9"}, "cursor"}, // {"f":"name"}: no value
			{crm.ListParams{Cursor: page.NextCursor, Sort: "id"}, "cursor"},
		} {
			_, _, err := m.ListOrganizations(ctx, crm.OrganizationFilter{}, c.lp)
			wantFields(t, err, c.field)
		}
		// A cursor from another list with another id type is refused, not a 500.
		lab := must[crm.LeadLabel](t)(m.CreateLeadLabel(ctx, crm.LeadLabelInput{Name: "hot"}))
		must[crm.LeadLabel](t)(m.CreateLeadLabel(ctx, crm.LeadLabelInput{Name: "cold"}))
		_, lpage, err := m.ListLeadLabels(ctx, crm.ListParams{Limit: 1, Sort: "name"})
		if err != nil || !lpage.More {
			t.Fatalf("labels page: %+v %v", lpage, err)
		}
		_, _, err = m.ListOrganizations(ctx, crm.OrganizationFilter{}, crm.ListParams{Cursor: lpage.NextCursor})
		wantFields(t, err, "cursor")
		ls, _, err := m.ListLeadLabels(ctx, crm.ListParams{Cursor: lpage.NextCursor})
		if err != nil || len(ls) != 1 || ls[0].ID != lab.ID {
			t.Fatalf("label cursor: %+v %v", ls, err)
		}
	})
}

// TestCursorTimeTies pages by add_time through rows created in the same
// microsecond: the id breaks ties, so no row is skipped or repeated.
func TestCursorTimeTies(t *testing.T) {
	schemaEachFixedClock(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		for i := range 7 {
			must[crm.Organization](t)(m.CreateOrganization(ctx, crm.OrganizationInput{Name: fmt.Sprint("org ", i)}))
		}
		var got []string
		lp := crm.ListParams{Limit: 3, Sort: "add_time DESC"}
		for {
			os, page, err := m.ListOrganizations(ctx, crm.OrganizationFilter{}, lp)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, orgNames(os)...)
			if !page.More {
				break
			}
			lp = crm.ListParams{Limit: 3, Cursor: page.NextCursor}
		}
		want := []string{"org 6", "org 5", "org 4", "org 3", "org 2", "org 1", "org 0"}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v", got)
		}
	})
}

func schemaEachFixedClock(t *testing.T, fn func(t *testing.T, ctx context.Context, m *crm.Manager)) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		fixed := time.Date(2026, 11, 21, 14, 2, 0, 123456000, time.UTC)
		fn(t, ctx, crmWithClock(t, m, func() time.Time { return fixed }))
	})
}
