package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parley/parley/api"
	"github.com/parley/parley/crm"
)

// TestCRMBadInput sends every kind of bad request to the CRM and checks
// each gets its status, names the field at fault, and changes nothing.
func TestCRMBadInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var org crm.Organization
		e.create(t, e.agentToken, "/api/v1/organizations", map[string]any{"name": "Acme"}, &org)
		var p crm.Person
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": "Jane", "org_id": org.ID}, &p)
		var d crm.Deal
		e.create(t, e.agentToken, "/api/v1/deals", map[string]any{"title": "D", "person_id": p.ID}, &d)
		var l crm.Lead
		e.create(t, e.agentToken, "/api/v1/leads", map[string]any{"title": "L", "person_id": p.ID}, &l)
		var a crm.Activity
		e.create(t, e.agentToken, "/api/v1/activities", map[string]any{"type": "call", "deal_id": d.ID}, &a)
		var n crm.Note
		e.create(t, e.agentToken, "/api/v1/notes", map[string]any{"content": "hello", "deal_id": d.ID}, &n)
		stages, _ := listOf[crm.Stage](t, e, "/api/v1/stages")

		lists := []string{"/api/v1/persons", "/api/v1/organizations", "/api/v1/leads", "/api/v1/leadLabels", "/api/v1/pipelines",
			"/api/v1/stages", "/api/v1/deals", "/api/v1/activities", "/api/v1/notes"}
		snapshot := func() map[string]string {
			out := map[string]string{}
			for _, path := range lists {
				res := e.asAdmin("GET", path, nil)
				expect(t, res, 200)
				out[path] = string(res.Body.Data)
			}
			return out
		}
		before := snapshot()

		person := fmt.Sprintf("/api/v1/persons/%d", p.ID)
		deal := fmt.Sprintf("/api/v1/deals/%d", d.ID)
		missingLead := "0b7a1d7e-1c2b-4d3e-8f40-5a6b7c8d9e0f"
		huge := `{"name": "` + strings.Repeat("a", api.MaxBodyBytes) + `"}`
		cases := []struct {
			name         string
			method, path string
			body         string
			contentType  string
			status       int
			field        string
			error        string // a part of the error message, when it matters
		}{
			{"malformed", "POST", "/api/v1/persons", `{"name": `, "", 400, "", ""},
			{"malformed patch", "PATCH", person, `{"name": "x",}`, "", 400, "", ""},
			{"not an object", "POST", "/api/v1/deals", `["title"]`, "", 400, "", ""},
			{"two values", "POST", "/api/v1/organizations", `{"name": "A"} {"name": "B"}`, "", 400, "", ""},
			{"empty body", "POST", "/api/v1/leads", ``, "", 400, "", ""},
			{"wrong type name", "POST", "/api/v1/persons", `{"name": 12}`, "", 422, "name", ""},
			{"wrong type org_id", "POST", "/api/v1/persons", `{"name": "A", "org_id": "acme"}`, "", 422, "org_id", ""},
			{"wrong type nullable", "PATCH", person, `{"org_id": "acme"}`, "", 422, "org_id", ""},
			{"wrong type value", "POST", "/api/v1/deals", `{"title": "D", "value": "lots"}`, "", 422, "value", ""},
			{"wrong type person_id", "POST", "/api/v1/leads", `{"title": "L", "person_id": "1"}`, "", 422, "person_id", ""},
			{"wrong type done", "PATCH", fmt.Sprintf("/api/v1/activities/%d", a.ID), `{"done": "yes"}`, "", 422, "done", ""},
			{"wrong type label_ids", "POST", "/api/v1/leads", `{"title": "L", "person_id": 1, "label_ids": "hot"}`, "", 422, "label_ids", ""},
			{"unknown field", "POST", "/api/v1/persons", `{"name": "A", "colour": "red"}`, "", 422, "colour", ""},
			{"unknown field patch", "PATCH", deal, `{"stage": 2}`, "", 422, "stage", ""},
			{"unknown field note", "POST", "/api/v1/notes", `{"content": "x", "deal_id": 1, "pinned": true}`, "", 422, "pinned", ""},
			{"missing title", "POST", "/api/v1/deals", `{}`, "", 422, "title", ""},
			{"missing lead title", "POST", "/api/v1/leads", fmt.Sprintf(`{"person_id": %d}`, p.ID), "", 422, "title", ""},
			{"missing name", "POST", "/api/v1/persons", `{"email": "a@example.com"}`, "", 422, "name", ""},
			{"missing org name", "POST", "/api/v1/organizations", `{"name": "   "}`, "", 422, "name", ""},
			{"missing content", "POST", "/api/v1/notes", fmt.Sprintf(`{"person_id": %d}`, p.ID), "", 422, "content", ""},
			{"blank title patch", "PATCH", deal, `{"title": ""}`, "", 422, "title", ""},
			{"lead without parent", "POST", "/api/v1/leads", `{"title": "Nobody's"}`, "", 422, "person_id", "person_id or organization_id is required"},
			{"too large", "POST", "/api/v1/persons", huge, "", 413, "", ""},
			{"too large patch", "PATCH", person, huge, "", 413, "", ""},
			{"form body", "POST", "/api/v1/persons", `name=A`, "application/x-www-form-urlencoded", 415, "", ""},
			{"text body", "PATCH", deal, `{"title": "x"}`, "text/plain", 415, "", ""},
			{"no content type", "POST", "/api/v1/deals", `{"title": "x"}`, "none", 415, "", ""},
			{"unknown person", "GET", "/api/v1/persons/999999", "", "", 404, "", ""},
			{"unknown person patch", "PATCH", "/api/v1/persons/999999", `{"name": "x"}`, "", 404, "", ""},
			{"unknown deal delete", "DELETE", "/api/v1/deals/999999", "", "", 404, "", ""},
			{"non-numeric id", "GET", "/api/v1/organizations/acme", "", "", 404, "", ""},
			{"negative id", "PATCH", "/api/v1/activities/-1", `{"done": true}`, "", 404, "", ""},
			{"junk lead id", "GET", "/api/v1/leads/junk", "", "", 404, "", ""},
			{"unknown lead patch", "PATCH", "/api/v1/leads/" + missingLead, `{"title": "x"}`, "", 404, "", ""},
			{"unknown lead convert", "POST", "/api/v1/leads/" + missingLead + "/convert", "", "", 404, "", ""},
			{"unknown note", "DELETE", "/api/v1/notes/999999", "", "", 404, "", ""},
			{"missing org", "POST", "/api/v1/persons", `{"name": "A", "org_id": 999}`, "", 422, "org_id", ""},
			{"missing org patch", "PATCH", person, `{"org_id": 999}`, "", 422, "org_id", ""},
			{"missing owner", "PATCH", person, `{"owner_id": 999}`, "", 422, "owner_id", ""},
			{"missing owner org", "POST", "/api/v1/organizations", `{"name": "B", "owner_id": 999}`, "", 422, "owner_id", ""},
			{"missing deal person", "POST", "/api/v1/deals", `{"title": "D", "person_id": 999}`, "", 422, "person_id", ""},
			{"missing stage", "POST", "/api/v1/deals", `{"title": "D", "stage_id": 999}`, "", 422, "stage_id", ""},
			{"missing pipeline", "POST", "/api/v1/deals", `{"title": "D", "pipeline_id": 999}`, "", 422, "pipeline_id", ""},
			{"missing lead org", "POST", "/api/v1/leads", `{"title": "L", "organization_id": 999}`, "", 422, "organization_id", ""},
			{"missing label", "POST", "/api/v1/leads", fmt.Sprintf(`{"title": "L", "person_id": %d, "label_ids": [%q]}`, p.ID, missingLead), "", 422, "label_ids[0]", ""},
			{"missing activity deal", "POST", "/api/v1/activities", `{"type": "call", "deal_id": 999}`, "", 422, "deal_id", ""},
			{"missing activity lead", "POST", "/api/v1/activities", fmt.Sprintf(`{"type": "call", "lead_id": %q}`, missingLead), "", 422, "lead_id", ""},
			{"missing note org", "POST", "/api/v1/notes", `{"content": "x", "org_id": 999}`, "", 422, "org_id", ""},
			{"bad email", "POST", "/api/v1/persons", `{"name": "A", "email": ["nope"]}`, "", 422, "email[0].value", ""},
			{"bad currency", "POST", "/api/v1/deals", `{"title": "D", "currency": "EURO"}`, "", 422, "currency", ""},
			{"bad status", "PATCH", deal, `{"status": "maybe"}`, "", 422, "status", ""},
			{"negative value", "PATCH", deal, `{"value": -5}`, "", 422, "value", ""},
			{"bad date", "POST", "/api/v1/leads", fmt.Sprintf(`{"title": "L", "person_id": %d, "expected_close_date": "tomorrow"}`, p.ID), "", 422, "expected_close_date", ""},
			{"bad source", "PATCH", "/api/v1/leads/" + l.ID, `{"source_name": "Fax"}`, "", 422, "source_name", ""},
			{"bad activity type", "POST", "/api/v1/activities", `{"type": "lunch"}`, "", 422, "type", ""},
			{"bad due time", "PATCH", fmt.Sprintf("/api/v1/activities/%d", a.ID), `{"due_time": "25:00"}`, "", 422, "due_time", ""},
			{"stage in missing pipeline", "POST", "/api/v1/stages", `{"name": "S", "pipeline_id": 999}`, "", 422, "pipeline_id", ""},
			{"stage order", "PATCH", fmt.Sprintf("/api/v1/stages/%d", stages[0].ID), `{"order_nr": -1}`, "", 422, "order_nr", ""},
			{"label color", "POST", "/api/v1/leadLabels", `{"name": "Hot", "color": "pink"}`, "", 422, "color", ""},
			{"idempotency key too long", "POST", "/api/v1/organizations", `{"name": "B"}`, "key", 400, "Idempotency-Key", ""},
		}
		for _, c := range cases {
			r := req{method: c.method, path: c.path, token: e.adminToken, contentType: c.contentType}
			if c.method == "POST" || c.method == "PATCH" {
				r.body = c.body
			}
			switch c.contentType {
			case "none":
				r.contentType = ""
				r.body = []byte(c.body) // sent without a Content-Type below
				r.header = map[string]string{"Content-Type": ""}
			case "key":
				r.contentType = ""
				r.header = map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}
			}
			res := e.do(r)
			if res.Status != c.status {
				t.Errorf("%s: status %d, want %d: %.300s", c.name, res.Status, c.status, res.Raw)
				continue
			}
			if res.Body.Success || res.Body.Error == "" || string(res.Body.Data) != "null" {
				t.Errorf("%s: envelope %.300s", c.name, res.Raw)
			}
			if c.field != "" && !res.hasField(c.field) {
				t.Errorf("%s: error does not name %q: %.300s", c.name, c.field, res.Raw)
			}
			if c.error != "" && !strings.Contains(res.Body.Error, c.error) {
				t.Errorf("%s: error %q does not say %q", c.name, res.Body.Error, c.error)
			}
		}
		after := snapshot()
		for _, path := range lists {
			if before[path] != after[path] {
				t.Errorf("bad requests changed %s:\nbefore %s\nafter  %s", path, before[path], after[path])
			}
		}
	})
}
