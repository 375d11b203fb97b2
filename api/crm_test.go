package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema/schematest"
)

// create posts body with token and decodes the 201 answer into v (unless nil).
func (e *env) create(t *testing.T, token, path string, body, v any) {
	t.Helper()
	res := e.do(req{method: "POST", path: path, token: token, body: body})
	expect(t, res, 201)
	if !res.Body.Success {
		t.Fatalf("POST %s: envelope %s", path, res.Raw)
	}
	if v != nil {
		res.data(t, v)
	}
}

// get reads one resource as the agent into v.
func (e *env) get(t *testing.T, path string, v any) {
	t.Helper()
	res := e.asAgent("GET", path, nil)
	expect(t, res, 200)
	res.data(t, v)
}

// patch changes a resource as the agent and decodes the answer into v.
func (e *env) patch(t *testing.T, path string, body, v any) {
	t.Helper()
	res := e.asAgent("PATCH", path, body)
	expect(t, res, 200)
	res.data(t, v)
}

// listOf reads a list as the agent.
func listOf[T any](t *testing.T, e *env, path string) ([]T, crm.Page) {
	t.Helper()
	res := e.asAgent("GET", path, nil)
	expect(t, res, 200)
	var items []T
	res.data(t, &items)
	if items == nil {
		t.Fatalf("GET %s: data is not an array: %s", path, res.Raw)
	}
	return items, res.Body.AdditionalData.Pagination
}

func idsOf[T any, K comparable](items []T, id func(T) K) []K {
	out := make([]K, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func personID(p crm.Person) int64 { return p.ID }

// expectField checks a failure's status, envelope and the field it names.
func expectField(t *testing.T, r *resp, status int, field string) {
	t.Helper()
	expect(t, r, status)
	if r.Body.Success || r.Body.Error == "" {
		t.Fatalf("failure envelope: %s", r.Raw)
	}
	if field != "" && !r.hasField(field) {
		t.Fatalf("error does not name %q: %s", field, r.Raw)
	}
}

// expectDeleted checks a delete answered {"id": id} and the resource is gone.
func expectDeleted(t *testing.T, e *env, path string, id any) {
	t.Helper()
	res := e.asAgent("DELETE", path, nil)
	if strings.HasPrefix(path, "/api/v1/pipelines") || strings.HasPrefix(path, "/api/v1/stages") || strings.HasPrefix(path, "/api/v1/leadLabels") {
		res = e.asAdmin("DELETE", path, nil)
	}
	expect(t, res, 200)
	var got struct {
		ID any `json:"id"`
	}
	res.data(t, &got)
	if fmt.Sprint(got.ID) != fmt.Sprint(id) {
		t.Fatalf("DELETE %s answered id %v, want %v", path, got.ID, id)
	}
	expect(t, e.asAgent("GET", path, nil), 404)
	expect(t, e.asAdmin("DELETE", path, nil), 404)
}

func TestCRMNeedsSignIn(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		n := 0
		for _, r := range e.server.Engine().Routes() {
			if !isCRMPath(r.Path) {
				continue
			}
			n++
			path := strings.ReplaceAll(r.Path, ":id", "1")
			if strings.HasPrefix(r.Path, "/api/v1/lead") {
				path = strings.ReplaceAll(r.Path, ":id", "0b7a1d7e-1c2b-4d3e-8f40-5a6b7c8d9e0f")
			}
			var body any
			if r.Method == "POST" || r.Method == "PATCH" {
				body = map[string]any{"name": "x", "title": "x"}
			}
			res := e.do(req{method: r.Method, path: path, body: body})
			expectField(t, res, 401, "")
			res = e.do(req{method: r.Method, path: path, body: body, token: "pk_not_a_token"})
			expect(t, res, 401)
		}
		if n < 45 {
			t.Fatalf("only %d CRM routes", n)
		}
		persons, _ := listOf[crm.Person](t, e, "/api/v1/persons")
		deals, _ := listOf[crm.Deal](t, e, "/api/v1/deals")
		if len(persons)+len(deals) != 0 {
			t.Fatalf("unauthenticated requests created %d persons, %d deals", len(persons), len(deals))
		}
	})
}

func isCRMPath(p string) bool {
	for _, r := range []string{"persons", "organizations", "leads", "leadLabels", "pipelines", "stages", "deals", "activities", "notes"} {
		if p == "/api/v1/"+r || strings.HasPrefix(p, "/api/v1/"+r+"/") {
			return true
		}
	}
	return false
}

func TestCRMRoles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		// Both roles work the CRM.
		for _, token := range []string{e.agentToken, e.adminToken} {
			var org crm.Organization
			e.create(t, token, "/api/v1/organizations", map[string]any{"name": "Acme " + token[:6]}, &org)
			var p crm.Person
			e.create(t, token, "/api/v1/persons", map[string]any{"name": "Pat", "org_id": org.ID}, &p)
			var l crm.Lead
			e.create(t, token, "/api/v1/leads", map[string]any{"title": "L", "person_id": p.ID}, &l)
			var d crm.Deal
			e.create(t, token, "/api/v1/deals", map[string]any{"title": "D", "person_id": p.ID}, &d)
			e.create(t, token, "/api/v1/activities", map[string]any{"type": "call", "deal_id": d.ID}, nil)
			e.create(t, token, "/api/v1/notes", map[string]any{"content": "hi", "deal_id": d.ID}, nil)
			expect(t, e.do(req{method: "GET", path: "/api/v1/pipelines", token: token}), 200)
			expect(t, e.do(req{method: "GET", path: "/api/v1/leadLabels", token: token}), 200)
		}
		// Only admins change the structure everyone shares.
		pls, _ := listOf[crm.Pipeline](t, e, "/api/v1/pipelines")
		sts, _ := listOf[crm.Stage](t, e, "/api/v1/stages")
		for _, r := range []req{
			{method: "POST", path: "/api/v1/pipelines", body: map[string]any{"name": "Mine"}},
			{method: "PATCH", path: fmt.Sprintf("/api/v1/pipelines/%d", pls[0].ID), body: map[string]any{"name": "Mine"}},
			{method: "DELETE", path: fmt.Sprintf("/api/v1/pipelines/%d", pls[0].ID)},
			{method: "POST", path: "/api/v1/stages", body: map[string]any{"name": "Mine", "pipeline_id": pls[0].ID}},
			{method: "PATCH", path: fmt.Sprintf("/api/v1/stages/%d", sts[0].ID), body: map[string]any{"name": "Mine"}},
			{method: "DELETE", path: fmt.Sprintf("/api/v1/stages/%d", sts[4].ID)},
			{method: "POST", path: "/api/v1/leadLabels", body: map[string]any{"name": "Mine"}},
		} {
			r.token = e.agentToken
			expectField(t, e.do(r), 403, "")
		}
		pls2, _ := listOf[crm.Pipeline](t, e, "/api/v1/pipelines")
		sts2, _ := listOf[crm.Stage](t, e, "/api/v1/stages")
		labels, _ := listOf[crm.LeadLabel](t, e, "/api/v1/leadLabels")
		if !slices.Equal(pls, pls2) || !slices.Equal(sts, sts2) || len(labels) != 0 {
			t.Fatalf("refused requests changed the structure: %v %v %v", pls2, sts2, labels)
		}
		var pl crm.Pipeline
		e.create(t, e.adminToken, "/api/v1/pipelines", map[string]any{"name": "Partners"}, &pl)
		e.create(t, e.adminToken, "/api/v1/stages", map[string]any{"name": "Intro", "pipeline_id": pl.ID}, nil)
		e.create(t, e.adminToken, "/api/v1/leadLabels", map[string]any{"name": "Hot"}, nil)
	})
}

func TestPersonsLifecycle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var org crm.Organization
		e.create(t, e.agentToken, "/api/v1/organizations", map[string]any{"name": "Acme"}, &org)
		var p crm.Person
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{
			"name": "Jane Doe", "email": "Jane@Example.com", "phone": []any{map[string]any{"value": "+1 (555) 010-0200", "label": "mobile"}},
			"org_id": org.ID}, &p)
		if p.ID == 0 || p.Name != "Jane Doe" || p.OrgID == nil || *p.OrgID != org.ID || p.AddTime.IsZero() {
			t.Fatalf("created %+v", p)
		}
		if len(p.Email) != 1 || p.Email[0].Value != "Jane@Example.com" || !p.Email[0].Primary ||
			len(p.Phone) != 1 || p.Phone[0].Label != "mobile" {
			t.Fatalf("contacts %+v %+v", p.Email, p.Phone)
		}
		// The caller owns what they create unless they say otherwise.
		if p.OwnerID == nil || *p.OwnerID != e.agent.ID {
			t.Fatalf("owner_id %v, want the agent %d", p.OwnerID, e.agent.ID)
		}
		var john crm.Person
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": "John Smith", "owner_id": e.admin.ID}, &john)
		if john.OwnerID == nil || *john.OwnerID != e.admin.ID || john.OrgID != nil || len(john.Email) != 0 {
			t.Fatalf("john %+v", john)
		}

		var got crm.Person
		e.get(t, fmt.Sprintf("/api/v1/persons/%d", p.ID), &got)
		if got.ID != p.ID || got.Name != p.Name || !got.AddTime.Equal(p.AddTime) || len(got.Email) != 1 {
			t.Fatalf("get %+v, created %+v", got, p)
		}

		for _, c := range []struct {
			query string
			want  []int64
		}{
			{"", []int64{p.ID, john.ID}},
			{"?org_id=" + fmt.Sprint(org.ID), []int64{p.ID}},
			{"?owner_id=" + fmt.Sprint(e.admin.ID), []int64{john.ID}},
			{"?owner_id=" + fmt.Sprint(e.agent.ID) + "&org_id=" + fmt.Sprint(org.ID), []int64{p.ID}},
			{"?org_id=424242", []int64{}},
			{"?colour=red", []int64{p.ID, john.ID}}, // unknown parameters are ignored
		} {
			ps, _ := listOf[crm.Person](t, e, "/api/v1/persons"+c.query)
			if got := idsOf(ps, personID); !slices.Equal(got, c.want) {
				t.Errorf("persons%s = %v, want %v", c.query, got, c.want)
			}
		}
		expectField(t, e.asAgent("GET", "/api/v1/persons?org_id=acme", nil), 400, "org_id")
		expectField(t, e.asAgent("GET", "/api/v1/persons?owner_id=1.5", nil), 400, "owner_id")

		for term, want := range map[string][]int64{
			"jane":        {p.ID},
			"SMITH":       {john.ID},
			"example.com": {p.ID},
			"5550100200":  {p.ID}, // phones match by digits
			"nobody":      {},
		} {
			ps, _ := listOf[crm.Person](t, e, "/api/v1/persons/search?term="+url.QueryEscape(term))
			if got := idsOf(ps, personID); !slices.Equal(got, want) {
				t.Errorf("search %q = %v, want %v", term, got, want)
			}
		}
		expectField(t, e.asAgent("GET", "/api/v1/persons/search?term=j", nil), 400, "term")
		expectField(t, e.asAgent("GET", "/api/v1/persons/search?term=%20j%20", nil), 400, "term")
		expectField(t, e.asAgent("GET", "/api/v1/persons/search", nil), 400, "term")
		expectField(t, e.asAgent("GET", "/api/v1/persons/search?term=jane&limit=0", nil), 400, "limit")

		// PATCH changes what it names; null clears; the rest stays.
		var patched crm.Person
		e.patch(t, fmt.Sprintf("/api/v1/persons/%d", p.ID), map[string]any{"name": "Jane Roe", "org_id": nil}, &patched)
		if patched.Name != "Jane Roe" || patched.OrgID != nil || patched.OwnerID == nil || *patched.OwnerID != e.agent.ID ||
			len(patched.Email) != 1 || len(patched.Phone) != 1 || !patched.AddTime.Equal(p.AddTime) {
			t.Fatalf("patched %+v", patched)
		}
		e.get(t, fmt.Sprintf("/api/v1/persons/%d", p.ID), &got)
		if got.Name != "Jane Roe" || got.OrgID != nil {
			t.Fatalf("after patch: %+v", got)
		}
		e.patch(t, fmt.Sprintf("/api/v1/persons/%d", p.ID), map[string]any{"owner_id": nil, "email": []string{"jr@example.com", "jane@example.org"}}, &patched)
		if patched.OwnerID != nil || len(patched.Email) != 2 || patched.Email[1].Value != "jane@example.org" || patched.Name != "Jane Roe" {
			t.Fatalf("patched %+v", patched)
		}
		e.patch(t, fmt.Sprintf("/api/v1/persons/%d", p.ID), map[string]any{}, &patched)
		if patched.Name != "Jane Roe" || len(patched.Email) != 2 {
			t.Fatalf("empty patch changed %+v", patched)
		}

		expectDeleted(t, e, fmt.Sprintf("/api/v1/persons/%d", p.ID), p.ID)
		expect(t, e.asAgent("PATCH", fmt.Sprintf("/api/v1/persons/%d", p.ID), map[string]any{"name": "Ghost"}), 404)
		ps, _ := listOf[crm.Person](t, e, "/api/v1/persons")
		if got := idsOf(ps, personID); !slices.Equal(got, []int64{john.ID}) {
			t.Fatalf("after delete: %v", got)
		}
	})
}

func TestOrganizationsLifecycle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var acme, globex crm.Organization
		e.create(t, e.agentToken, "/api/v1/organizations", map[string]any{"name": "Acme", "address": "1 Main St"}, &acme)
		e.create(t, e.adminToken, "/api/v1/organizations", map[string]any{"name": "Globex"}, &globex)
		if acme.Address != "1 Main St" || acme.OwnerID == nil || *acme.OwnerID != e.agent.ID || globex.OwnerID == nil || *globex.OwnerID != e.admin.ID {
			t.Fatalf("created %+v %+v", acme, globex)
		}
		var got crm.Organization
		e.get(t, fmt.Sprintf("/api/v1/organizations/%d", acme.ID), &got)
		if !reflect.DeepEqual(got, acme) {
			t.Fatalf("get %+v, created %+v", got, acme)
		}
		orgID := func(o crm.Organization) int64 { return o.ID }
		os, _ := listOf[crm.Organization](t, e, "/api/v1/organizations")
		if !slices.Equal(idsOf(os, orgID), []int64{acme.ID, globex.ID}) {
			t.Fatalf("list %v", os)
		}
		os, _ = listOf[crm.Organization](t, e, fmt.Sprintf("/api/v1/organizations?owner_id=%d", e.admin.ID))
		if !slices.Equal(idsOf(os, orgID), []int64{globex.ID}) {
			t.Fatalf("owner filter %v", os)
		}
		os, _ = listOf[crm.Organization](t, e, "/api/v1/organizations?sort=name%20DESC")
		if !slices.Equal(idsOf(os, orgID), []int64{globex.ID, acme.ID}) {
			t.Fatalf("name DESC %v", os)
		}
		expectField(t, e.asAgent("GET", "/api/v1/organizations?owner_id=me", nil), 400, "owner_id")

		var patched crm.Organization
		e.patch(t, fmt.Sprintf("/api/v1/organizations/%d", acme.ID), map[string]any{"owner_id": nil, "address": "2 Side St"}, &patched)
		if patched.OwnerID != nil || patched.Address != "2 Side St" || patched.Name != "Acme" {
			t.Fatalf("patched %+v", patched)
		}
		os, _ = listOf[crm.Organization](t, e, fmt.Sprintf("/api/v1/organizations?owner_id=%d", e.agent.ID))
		if len(os) != 0 {
			t.Fatalf("cleared owner still listed: %v", os)
		}

		// Deleting an organization unlinks its persons.
		var p crm.Person
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": "Pat", "org_id": acme.ID}, &p)
		expectDeleted(t, e, fmt.Sprintf("/api/v1/organizations/%d", acme.ID), acme.ID)
		e.get(t, fmt.Sprintf("/api/v1/persons/%d", p.ID), &p)
		if p.OrgID != nil {
			t.Fatalf("person still in deleted organization: %+v", p)
		}
		os, _ = listOf[crm.Organization](t, e, "/api/v1/organizations")
		if !slices.Equal(idsOf(os, orgID), []int64{globex.ID}) {
			t.Fatalf("after delete %v", os)
		}
	})
}

func TestCRMPagination(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		res := e.asAgent("GET", "/api/v1/persons", nil)
		expect(t, res, 200)
		pg := res.Body.AdditionalData.Pagination
		if string(res.Body.Data) != "[]" || pg.More || pg.NextStart != nil || pg.NextCursor != "" || pg.Start != 0 || pg.Limit != crm.DefaultLimit {
			t.Fatalf("empty list: %s", res.Raw)
		}
		names := []string{"Cleo", "Abe", "Bea", "Abe", "Dan", "Cleo", "Abe"}
		var want []int64
		for _, n := range names[:3] {
			var p crm.Person
			e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": n}, &p)
			want = append(want, p.ID)
		}
		// Exactly limit items: no more.
		ps, pg := listOf[crm.Person](t, e, "/api/v1/persons?limit=3")
		if !slices.Equal(idsOf(ps, personID), want) || pg.More || pg.NextStart != nil || pg.Limit != 3 {
			t.Fatalf("exactly limit: %v %+v", idsOf(ps, personID), pg)
		}
		var p crm.Person
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": names[3]}, &p)
		want = append(want, p.ID)
		// limit+1 items: more, with where to go next.
		ps, pg = listOf[crm.Person](t, e, "/api/v1/persons?limit=3")
		if !slices.Equal(idsOf(ps, personID), want[:3]) || !pg.More || pg.NextStart == nil || *pg.NextStart != 3 || pg.NextCursor == "" {
			t.Fatalf("limit+1: %v %+v", idsOf(ps, personID), pg)
		}
		ps, pg = listOf[crm.Person](t, e, "/api/v1/persons?limit=3&start=3")
		if !slices.Equal(idsOf(ps, personID), want[3:]) || pg.More || pg.Start != 3 {
			t.Fatalf("second page: %v %+v", idsOf(ps, personID), pg)
		}
		ps, pg = listOf[crm.Person](t, e, "/api/v1/persons?limit=3&start=10")
		if len(ps) != 0 || pg.More {
			t.Fatalf("past the end: %v %+v", ps, pg)
		}
		for _, n := range names[4:] {
			e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": n}, &p)
			want = append(want, p.ID)
		}

		// Walking by next_cursor returns every item exactly once, in order,
		// also with a sort whose values repeat.
		walk := func(sort string, limit int) []crm.Person {
			t.Helper()
			var all []crm.Person
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > len(names)+1 {
					t.Fatalf("cursor walk does not end")
				}
				q := url.Values{"limit": {fmt.Sprint(limit)}}
				if sort != "" {
					q.Set("sort", sort)
				}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				ps, pg := listOf[crm.Person](t, e, "/api/v1/persons?"+q.Encode())
				if len(ps) > limit {
					t.Fatalf("page of %d with limit %d", len(ps), limit)
				}
				all = append(all, ps...)
				if !pg.More {
					if pg.NextCursor != "" {
						t.Fatalf("last page with a next_cursor: %+v", pg)
					}
					return all
				}
				if pg.NextCursor == "" {
					t.Fatalf("more items but no next_cursor: %+v", pg)
				}
				cursor = pg.NextCursor
			}
		}
		for _, limit := range []int{1, 2, 3, 7, 500} {
			if got := idsOf(walk("", limit), personID); !slices.Equal(got, want) {
				t.Fatalf("cursor walk by %d: %v, want %v", limit, got, want)
			}
		}
		byName := walk("name DESC", 2)
		if len(byName) != len(names) {
			t.Fatalf("name DESC walk returned %d of %d", len(byName), len(names))
		}
		seen := map[int64]bool{}
		for i, p := range byName {
			if seen[p.ID] {
				t.Fatalf("person %d twice in name DESC walk", p.ID)
			}
			seen[p.ID] = true
			if i > 0 && (p.Name > byName[i-1].Name || p.Name == byName[i-1].Name && p.ID > byName[i-1].ID) {
				t.Fatalf("name DESC walk out of order at %d: %v", i, byName)
			}
		}

		// Newest first.
		ps, _ = listOf[crm.Person](t, e, "/api/v1/persons?sort="+url.QueryEscape("add_time DESC"))
		rev := slices.Clone(want)
		slices.Reverse(rev)
		if got := idsOf(ps, personID); !slices.Equal(got, rev) {
			t.Fatalf("add_time DESC: %v, want %v", got, rev)
		}
		ps, _ = listOf[crm.Person](t, e, "/api/v1/persons?sort=name")
		for i := 1; i < len(ps); i++ {
			if ps[i].Name < ps[i-1].Name {
				t.Fatalf("sort=name: %v", ps)
			}
		}

		_, pg = listOf[crm.Person](t, e, "/api/v1/persons?limit=2&sort=name")
		for _, c := range []struct{ query, field string }{
			{"limit=0", "limit"},
			{"limit=501", "limit"},
			{"limit=abc", "limit"},
			{"limit=-1", "limit"},
			{"start=-1", "start"},
			{"start=x", "start"},
			{"cursor=not-a-cursor", "cursor"},
			{"cursor=eyJmIjoiZW1haWwiLCJ2IjoxLCJpIjoxfQ", "cursor"}, // a cursor for an unknown field
			{"cursor=" + url.QueryEscape(pg.NextCursor) + "&sort=id", "cursor"},
			{"sort=email", "sort"},
			{"sort=" + url.QueryEscape("name sideways"), "sort"},
			{"sort=" + url.QueryEscape("name; DROP TABLE persons"), "sort"},
		} {
			res := e.asAgent("GET", "/api/v1/persons?"+c.query, nil)
			if res.Status != 400 || !res.hasField(c.field) || res.Body.Success {
				t.Errorf("%s: %d %s, want 400 naming %s", c.query, res.Status, res.Raw, c.field)
			}
		}
		// Other lists share the paging.
		expectField(t, e.asAgent("GET", "/api/v1/deals?limit=501", nil), 400, "limit")
		expectField(t, e.asAgent("GET", "/api/v1/leads?sort=owner", nil), 400, "sort")
		expectField(t, e.asAgent("GET", "/api/v1/stages?cursor=zzz", nil), 400, "cursor")
		ps, _ = listOf[crm.Person](t, e, "/api/v1/persons")
		if len(ps) != len(names) {
			t.Fatalf("%d persons, want %d", len(ps), len(names))
		}
	})
}

func TestCreatePersonIdempotent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 8
		var wg sync.WaitGroup
		results := make([]*resp, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = e.do(req{method: "POST", path: "/api/v1/persons", token: e.agentToken,
					body: map[string]any{"name": "Once", "email": "once@example.com"}, header: map[string]string{"Idempotency-Key": "person-1"}})
			}(i)
		}
		wg.Wait()
		for i, r := range results {
			if r.Status != 201 {
				t.Fatalf("request %d: %d %s", i, r.Status, r.Raw)
			}
			if string(r.Body.Data) != string(results[0].Body.Data) {
				t.Fatalf("request %d got another person: %s vs %s", i, r.Body.Data, results[0].Body.Data)
			}
		}
		ps, _ := listOf[crm.Person](t, e, "/api/v1/persons")
		if len(ps) != 1 || ps[0].Name != "Once" {
			t.Fatalf("%d persons after %d identical requests: %v", len(ps), n, ps)
		}
		// Without a key, each POST creates.
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": "Once"}, nil)
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": "Once"}, nil)
		if ps, _ = listOf[crm.Person](t, e, "/api/v1/persons"); len(ps) != 3 {
			t.Fatalf("%d persons, want 3", len(ps))
		}
	})
}

// walkCursor follows next_cursor through a list (path has its own query,
// without limit or cursor) and returns every item's id in order.
func walkCursor(t *testing.T, e *env, path string, limit int) []string {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var ids []string
	cursor := ""
	for pages := 0; pages < 100; pages++ {
		p := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		items, pg := listOf[map[string]any](t, e, p)
		if len(items) > limit {
			t.Fatalf("%s: %d items", p, len(items))
		}
		for _, it := range items {
			ids = append(ids, fmt.Sprint(it["id"]))
		}
		if !pg.More {
			return ids
		}
		if pg.NextCursor == "" {
			t.Fatalf("%s: more items but no next_cursor", p)
		}
		cursor = pg.NextCursor
	}
	t.Fatalf("%s: the cursor walk does not end", path)
	return nil
}

// TestCursorWalksEverySort walks lists by cursor in each kind of sort
// (integer, text, time, float, nullable expression, UUID ids) and checks the
// walk equals the unpaged list.
func TestCursorWalksEverySort(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var p crm.Person
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": "Jane"}, &p)
		for i := 0; i < 7; i++ {
			body := map[string]any{"title": fmt.Sprintf("Lead %d", i%3), "person_id": p.ID}
			if i%2 == 0 {
				body["value"] = map[string]any{"amount": float64(i%4) * 10.5}
				body["expected_close_date"] = fmt.Sprintf("2027-0%d-01", 1+i%3)
			}
			e.create(t, e.agentToken, "/api/v1/leads", body, nil)
			e.create(t, e.agentToken, "/api/v1/deals", map[string]any{"title": fmt.Sprintf("Deal %d", i%2), "value": float64(i % 3)}, nil)
			e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": fmt.Sprintf("P%d", i%2)}, nil)
		}
		for _, path := range []string{
			"/api/v1/leads", "/api/v1/leads?sort=add_time%20DESC", "/api/v1/leads?sort=value", "/api/v1/leads?sort=value%20DESC",
			"/api/v1/leads?sort=expected_close_date", "/api/v1/leads?sort=title%20DESC", "/api/v1/leads?sort=id",
			"/api/v1/deals?sort=value", "/api/v1/deals?sort=update_time%20DESC", "/api/v1/deals?sort=title",
			"/api/v1/persons?sort=add_time", "/api/v1/persons?sort=update_time%20DESC", "/api/v1/persons?sort=name%20DESC",
			"/api/v1/stages?sort=order_nr%20DESC", "/api/v1/stages?sort=pipeline_id",
		} {
			all, _ := listOf[map[string]any](t, e, path)
			want := make([]string, len(all))
			for i, it := range all {
				want[i] = fmt.Sprint(it["id"])
			}
			for _, limit := range []int{1, 2, 3} {
				if got := walkCursor(t, e, path, limit); !slices.Equal(got, want) {
					t.Errorf("%s by %d: %v, want %v", path, limit, got, want)
				}
			}
		}
	})
}

// TestCRMOpenAPI checks what integrators read about the CRM: list filters
// are documented, and PATCH fields that null clears are nullable values, not
// Go structs.
func TestCRMOpenAPI(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	res := e.do(req{method: "GET", path: "/api/v1/openapi.json"})
	expect(t, res, 200)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name, In string
			} `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(res.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]string{
		"/api/v1/persons":         {"org_id", "owner_id", "start", "limit", "cursor", "sort"},
		"/api/v1/persons/search":  {"term", "limit"},
		"/api/v1/leads":           {"archived_status", "owner_id", "person_id", "organization_id"},
		"/api/v1/stages":          {"pipeline_id"},
		"/api/v1/deals":           {"status", "stage_id", "pipeline_id", "person_id", "org_id", "owner_id"},
		"/api/v1/activities":      {"done", "owner_id", "deal_id", "lead_id", "person_id", "org_id"},
		"/api/v1/notes":           {"lead_id", "deal_id", "person_id", "org_id"},
		"/api/v1/organizations":   {"owner_id"},
		"/api/v1/leadLabels":      {"limit"},
		"/api/v1/pipelines":       {"sort"},
		"/api/v1/leads/{id}":      nil,
		"/api/v1/leadLabels/{id}": nil,
	} {
		op, ok := doc.Paths[path]["get"]
		if !ok {
			t.Errorf("GET %s is not described", path)
			continue
		}
		var names []string
		for _, p := range op.Parameters {
			names = append(names, p.Name)
		}
		for _, w := range want {
			if !slices.Contains(names, w) {
				t.Errorf("GET %s does not document %s (has %v)", path, w, names)
			}
		}
	}
	for name := range doc.Components.Schemas {
		if strings.ContainsAny(name, "[]") {
			t.Errorf("component %q is not a valid OpenAPI name", name)
		}
	}
	for comp, field := range map[string]string{"crm.PersonPatch": "org_id", "crm.LeadPatch": "value", "crm.DealPatch": "expected_close_date", "crm.ActivityPatch": "lead_id"} {
		f := doc.Components.Schemas[comp].Properties[field]
		if f["nullable"] != true {
			t.Errorf("%s.%s is not documented as nullable: %v", comp, field, f)
		}
	}
}
