package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/crm"
)

// crmRoutes are the CRM resources: persons, organizations, leads, labels,
// pipelines, stages, deals, activities, notes. Any signed-in user works the
// CRM; changing the structure every agent shares (pipelines, stages, lead
// labels) is for admins.
func (s *Server) crmRoutes() []route {
	m := s.crm
	return []route{
		{method: "GET", path: "/api/v1/persons", access: agent, tag: "persons", summary: "List persons", resp: crm.Person{}, list: true,
			query: []param{{"org_id", "integer", "only persons of this organization"}, {"owner_id", "integer", "only persons owned by this user"}},
			handler: listWith(s, func(q *query) crm.PersonFilter {
				return crm.PersonFilter{OrgID: q.Int64("org_id"), OwnerID: q.Int64("owner_id")}
			}, m.ListPersons)},
		{method: "GET", path: "/api/v1/persons/search", access: agent, tag: "persons", summary: "Find persons whose name, e-mail or phone contains term", resp: crm.Person{}, list: true,
			query:   []param{{"term", "string", "at least 2 characters; phones match by digits"}},
			handler: s.searchPersons},
		{method: "GET", path: "/api/v1/persons/:id", access: agent, tag: "persons", summary: "Get a person", resp: crm.Person{}, handler: getOne(s, intID, m.GetPerson)},
		{method: "POST", path: "/api/v1/persons", access: agent, tag: "persons", summary: "Add a person (owner_id defaults to the caller)", body: crm.PersonInput{}, resp: crm.Person{},
			handler: createOne(s, func(c *gin.Context, in *crm.PersonInput) error { return defaultOwner(c, &in.OwnerID) }, m.CreatePerson)},
		{method: "PATCH", path: "/api/v1/persons/:id", access: agent, tag: "persons", summary: "Update a person; null clears org_id or owner_id, a given email or phone list replaces the old one", body: crm.PersonPatch{}, resp: crm.Person{}, handler: patchOne(s, intID, m.UpdatePerson)},
		{method: "DELETE", path: "/api/v1/persons/:id", access: agent, tag: "persons", summary: "Delete a person (their leads, deals and activities stay, unlinked)", resp: idResult{}, handler: deleteOne(s, intID, m.DeletePerson)},

		{method: "GET", path: "/api/v1/organizations", access: agent, tag: "organizations", summary: "List organizations", resp: crm.Organization{}, list: true,
			query: []param{{"owner_id", "integer", "only organizations owned by this user"}},
			handler: listWith(s, func(q *query) crm.OrganizationFilter {
				return crm.OrganizationFilter{OwnerID: q.Int64("owner_id")}
			}, m.ListOrganizations)},
		{method: "GET", path: "/api/v1/organizations/:id", access: agent, tag: "organizations", summary: "Get an organization", resp: crm.Organization{}, handler: getOne(s, intID, m.GetOrganization)},
		{method: "POST", path: "/api/v1/organizations", access: agent, tag: "organizations", summary: "Add an organization (owner_id defaults to the caller)", body: crm.OrganizationInput{}, resp: crm.Organization{},
			handler: createOne(s, func(c *gin.Context, in *crm.OrganizationInput) error { return defaultOwner(c, &in.OwnerID) }, m.CreateOrganization)},
		{method: "PATCH", path: "/api/v1/organizations/:id", access: agent, tag: "organizations", summary: "Update an organization; null clears owner_id", body: crm.OrganizationPatch{}, resp: crm.Organization{}, handler: patchOne(s, intID, m.UpdateOrganization)},
		{method: "DELETE", path: "/api/v1/organizations/:id", access: agent, tag: "organizations", summary: "Delete an organization (its persons, leads and deals stay, unlinked)", resp: idResult{}, handler: deleteOne(s, intID, m.DeleteOrganization)},

		{method: "GET", path: "/api/v1/leads", access: agent, tag: "leads", summary: "List leads", resp: crm.Lead{}, list: true,
			query: []param{{"archived_status", "string", "archived, not_archived or all (default)"}, {"owner_id", "integer", "only leads owned by this user"},
				{"person_id", "integer", "only leads of this person"}, {"organization_id", "integer", "only leads of this organization"}},
			handler: listWith(s, func(q *query) crm.LeadFilter {
				f := crm.LeadFilter{OwnerID: q.Int64("owner_id"), PersonID: q.Int64("person_id"), OrganizationID: q.Int64("organization_id")}
				if v := q.Str("archived_status"); v != nil {
					f.ArchivedStatus = *v
				}
				return f
			}, m.ListLeads)},
		{method: "GET", path: "/api/v1/leads/:id", access: agent, tag: "leads", summary: "Get a lead", resp: crm.Lead{}, handler: getOne(s, uuidID("lead"), m.GetLead)},
		{method: "POST", path: "/api/v1/leads", access: agent, tag: "leads", summary: "Add a lead: title and person_id or organization_id are required (owner_id defaults to the caller)", body: crm.LeadInput{}, resp: crm.Lead{},
			handler: createOne(s, func(c *gin.Context, in *crm.LeadInput) error { return defaultOwner(c, &in.OwnerID) }, m.CreateLead)},
		{method: "PATCH", path: "/api/v1/leads/:id", access: agent, tag: "leads", summary: "Update a lead; null clears a nullable field, label_ids replaces the labels", body: crm.LeadPatch{}, resp: crm.Lead{}, handler: patchOne(s, uuidID("lead"), m.UpdateLead)},
		{method: "DELETE", path: "/api/v1/leads/:id", access: agent, tag: "leads", summary: "Delete a lead with its notes and activities", resp: uuidResult{}, handler: deleteOne(s, uuidID("lead"), m.DeleteLead)},
		{method: "POST", path: "/api/v1/leads/:id/convert", access: agent, tag: "leads", summary: "Convert a lead to a deal (201 with the deal); the lead is archived, its notes and activities move to the deal", resp: crm.Deal{}, status: 201, handler: s.convertLead},

		{method: "GET", path: "/api/v1/leadLabels", access: agent, tag: "leads", summary: "List lead labels", resp: crm.LeadLabel{}, list: true,
			handler: listWith(s, func(*query) struct{} { return struct{}{} }, func(ctx context.Context, _ struct{}, lp crm.ListParams) ([]crm.LeadLabel, crm.Page, error) {
				return m.ListLeadLabels(ctx, lp)
			})},
		{method: "GET", path: "/api/v1/leadLabels/:id", access: agent, tag: "leads", summary: "Get a lead label", resp: crm.LeadLabel{}, handler: getOne(s, uuidID("lead label"), m.GetLeadLabel)},
		{method: "POST", path: "/api/v1/leadLabels", access: admin, tag: "leads", summary: "Add a lead label", body: crm.LeadLabelInput{}, resp: crm.LeadLabel{}, handler: createOne(s, nil, m.CreateLeadLabel)},
		{method: "PATCH", path: "/api/v1/leadLabels/:id", access: admin, tag: "leads", summary: "Rename or recolor a lead label", body: crm.LeadLabelPatch{}, resp: crm.LeadLabel{}, handler: patchOne(s, uuidID("lead label"), m.UpdateLeadLabel)},
		{method: "DELETE", path: "/api/v1/leadLabels/:id", access: admin, tag: "leads", summary: "Delete a lead label (removing it from every lead)", resp: uuidResult{}, handler: deleteOne(s, uuidID("lead label"), m.DeleteLeadLabel)},

		{method: "GET", path: "/api/v1/pipelines", access: agent, tag: "pipelines", summary: "List pipelines", resp: crm.Pipeline{}, list: true,
			handler: listWith(s, func(*query) struct{} { return struct{}{} }, func(ctx context.Context, _ struct{}, lp crm.ListParams) ([]crm.Pipeline, crm.Page, error) {
				return m.ListPipelines(ctx, lp)
			})},
		{method: "GET", path: "/api/v1/pipelines/:id", access: agent, tag: "pipelines", summary: "Get a pipeline", resp: crm.Pipeline{}, handler: getOne(s, intID, m.GetPipeline)},
		{method: "POST", path: "/api/v1/pipelines", access: admin, tag: "pipelines", summary: "Add a pipeline, optionally with its stages' names in order", body: crm.PipelineInput{}, resp: crm.Pipeline{}, handler: createOne(s, nil, m.CreatePipeline)},
		{method: "PATCH", path: "/api/v1/pipelines/:id", access: admin, tag: "pipelines", summary: "Rename or reorder a pipeline", body: crm.PipelinePatch{}, resp: crm.Pipeline{}, handler: patchOne(s, intID, m.UpdatePipeline)},
		{method: "DELETE", path: "/api/v1/pipelines/:id", access: admin, tag: "pipelines", summary: "Delete a pipeline and its stages (409 while it has deals)", resp: idResult{}, handler: deleteOne(s, intID, m.DeletePipeline)},

		{method: "GET", path: "/api/v1/stages", access: agent, tag: "pipelines", summary: "List stages", resp: crm.Stage{}, list: true,
			query: []param{{"pipeline_id", "integer", "only the stages of this pipeline"}},
			handler: listWith(s, func(q *query) crm.StageFilter {
				return crm.StageFilter{PipelineID: q.Int64("pipeline_id")}
			}, m.ListStages)},
		{method: "GET", path: "/api/v1/stages/:id", access: agent, tag: "pipelines", summary: "Get a stage", resp: crm.Stage{}, handler: getOne(s, intID, m.GetStage)},
		{method: "POST", path: "/api/v1/stages", access: admin, tag: "pipelines", summary: "Add a stage to a pipeline (order_nr defaults to after the last)", body: crm.StageInput{}, resp: crm.Stage{}, handler: createOne(s, nil, m.CreateStage)},
		{method: "PATCH", path: "/api/v1/stages/:id", access: admin, tag: "pipelines", summary: "Rename, reorder or move a stage (its deals move along)", body: crm.StagePatch{}, resp: crm.Stage{}, handler: patchOne(s, intID, m.UpdateStage)},
		{method: "DELETE", path: "/api/v1/stages/:id", access: admin, tag: "pipelines", summary: "Delete a stage (409 while it has deals)", resp: idResult{}, handler: deleteOne(s, intID, m.DeleteStage)},

		{method: "GET", path: "/api/v1/deals", access: agent, tag: "deals", summary: "List deals", resp: crm.Deal{}, list: true,
			query: []param{{"status", "string", "open, won, lost or all_not_deleted (default)"}, {"stage_id", "integer", "only deals in this stage"},
				{"pipeline_id", "integer", "only deals in this pipeline"}, {"person_id", "integer", "only deals of this person"},
				{"org_id", "integer", "only deals of this organization"}, {"owner_id", "integer", "only deals owned by this user"}},
			handler: listWith(s, func(q *query) crm.DealFilter {
				f := crm.DealFilter{StageID: q.Int64("stage_id"), PipelineID: q.Int64("pipeline_id"), PersonID: q.Int64("person_id"),
					OrgID: q.Int64("org_id"), OwnerID: q.Int64("owner_id")}
				if v := q.Str("status"); v != nil {
					f.Status = *v
				}
				return f
			}, m.ListDeals)},
		{method: "GET", path: "/api/v1/deals/:id", access: agent, tag: "deals", summary: "Get a deal", resp: crm.Deal{}, handler: getOne(s, intID, m.GetDeal)},
		{method: "POST", path: "/api/v1/deals", access: agent, tag: "deals", summary: "Add a deal: stage_id wins over pipeline_id; neither means the first pipeline's first stage (owner_id defaults to the caller)", body: crm.DealInput{}, resp: crm.Deal{},
			handler: createOne(s, func(c *gin.Context, in *crm.DealInput) error { return defaultOwner(c, &in.OwnerID) }, m.CreateDeal)},
		{method: "PATCH", path: "/api/v1/deals/:id", access: agent, tag: "deals", summary: "Update or move a deal; a status change sets won_time or lost_time", body: crm.DealPatch{}, resp: crm.Deal{}, handler: patchOne(s, intID, m.UpdateDeal)},
		{method: "DELETE", path: "/api/v1/deals/:id", access: agent, tag: "deals", summary: "Delete a deal with its notes and activities", resp: idResult{}, handler: deleteOne(s, intID, m.DeleteDeal)},

		{method: "GET", path: "/api/v1/activities", access: agent, tag: "activities", summary: "List activities", resp: crm.Activity{}, list: true,
			query: []param{{"done", "boolean", "only done (true) or not done (false) activities"}, {"owner_id", "integer", "only activities of this user"},
				{"deal_id", "integer", "only activities of this deal"}, {"lead_id", "string", "only activities of this lead (UUID)"},
				{"person_id", "integer", "only activities of this person"}, {"org_id", "integer", "only activities of this organization"}},
			handler: listWith(s, activityFilter, m.ListActivities)},
		{method: "GET", path: "/api/v1/activities/:id", access: agent, tag: "activities", summary: "Get an activity", resp: crm.Activity{}, handler: getOne(s, intID, m.GetActivity)},
		{method: "POST", path: "/api/v1/activities", access: agent, tag: "activities", summary: "Add an activity (type defaults to task, owner_id to the caller)", body: crm.ActivityInput{}, resp: crm.Activity{},
			handler: createOne(s, func(c *gin.Context, in *crm.ActivityInput) error { return defaultOwner(c, &in.OwnerID) }, m.CreateActivity)},
		{method: "PATCH", path: "/api/v1/activities/:id", access: agent, tag: "activities", summary: "Update an activity; null clears a nullable field", body: crm.ActivityPatch{}, resp: crm.Activity{}, handler: patchOne(s, intID, m.UpdateActivity)},
		{method: "DELETE", path: "/api/v1/activities/:id", access: agent, tag: "activities", summary: "Delete an activity", resp: idResult{}, handler: deleteOne(s, intID, m.DeleteActivity)},

		{method: "GET", path: "/api/v1/notes", access: agent, tag: "notes", summary: "List notes", resp: crm.Note{}, list: true,
			query: []param{{"lead_id", "string", "only notes of this lead (UUID)"}, {"deal_id", "integer", "only notes of this deal"},
				{"person_id", "integer", "only notes of this person"}, {"org_id", "integer", "only notes of this organization"},
				{"user_id", "integer", "only notes written by this user"}},
			handler: listWith(s, func(q *query) crm.NoteFilter {
				return crm.NoteFilter{LeadID: q.UUID("lead_id"), DealID: q.Int64("deal_id"), PersonID: q.Int64("person_id"),
					OrgID: q.Int64("org_id"), UserID: q.Int64("user_id")}
			}, m.ListNotes)},
		{method: "GET", path: "/api/v1/notes/:id", access: agent, tag: "notes", summary: "Get a note", resp: crm.Note{}, handler: getOne(s, intID, m.GetNote)},
		{method: "POST", path: "/api/v1/notes", access: agent, tag: "notes", summary: "Add a note to exactly one of lead_id, deal_id, person_id, org_id (user_id, the author, defaults to the caller; only admins may name another)", body: crm.NoteInput{}, resp: crm.Note{},
			handler: createOne(s, noteAuthor, m.CreateNote)},
		{method: "PATCH", path: "/api/v1/notes/:id", access: agent, tag: "notes", summary: "Change a note's content", body: crm.NotePatch{}, resp: crm.Note{}, handler: patchOne(s, intID, m.UpdateNote)},
		{method: "DELETE", path: "/api/v1/notes/:id", access: agent, tag: "notes", summary: "Delete a note", resp: idResult{}, handler: deleteOne(s, intID, m.DeleteNote)},
	}
}

// uuidResult answers the delete of a resource with a UUID id (leads, labels).
type uuidResult struct {
	ID string `json:"id"`
}

// The handlers below are the shapes every CRM resource shares: they decode
// the path, query or body, call the crm method and encode its answer.

// intID reads a numeric :id.
func intID(c *gin.Context) (int64, error) { return pathID(c, "id") }

// uuidID reads a UUID :id; anything else is an unknown id (404). UUIDs are
// compared in their lower-case canonical form, the form crm stores.
func uuidID(what string) func(c *gin.Context) (string, error) {
	return func(c *gin.Context) (string, error) {
		v := strings.ToLower(c.Param("id"))
		if !isUUID(v) {
			return "", errStatus(http.StatusNotFound, fmt.Sprintf("%s %q not found", what, c.Param("id")))
		}
		return v, nil
	}
}

// isUUID accepts the canonical 8-4-4-4-12 lower-case hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
				return false
			}
		}
	}
	return true
}

// UUID reads an optional UUID parameter (a lead id in a filter).
func (q *query) UUID(name string) *string {
	v := q.Str(name)
	if v == nil || *v == "" {
		return nil
	}
	low := strings.ToLower(*v)
	if !isUUID(low) {
		q.errs.Add(name, "must be a UUID")
		return nil
	}
	return &low
}

func getOne[K, T any](s *Server, parse func(*gin.Context) (K, error), get func(context.Context, K) (T, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := parse(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		v, err := get(c.Request.Context(), id)
		s.respond(c, http.StatusOK, v, err)
	}
}

// createOne decodes the body, lets prep (which may be nil) fill in defaults
// from the caller, and answers 201 with what was created.
func createOne[In, T any](s *Server, prep func(*gin.Context, *In) error, create func(context.Context, In) (T, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in In
		if err := bindJSON(c, &in); err != nil {
			s.fail(c, err)
			return
		}
		if prep != nil {
			if err := prep(c, &in); err != nil {
				s.fail(c, err)
				return
			}
		}
		v, err := create(c.Request.Context(), in)
		s.respond(c, http.StatusCreated, v, err)
	}
}

func patchOne[K, P, T any](s *Server, parse func(*gin.Context) (K, error), update func(context.Context, K, P) (T, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := parse(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		var p P
		if err := bindJSON(c, &p); err != nil {
			s.fail(c, err)
			return
		}
		v, err := update(c.Request.Context(), id, p)
		s.respond(c, http.StatusOK, v, err)
	}
}

// deleteOne answers {"id": …}, as Pipedrive does.
func deleteOne[K any](s *Server, parse func(*gin.Context) (K, error), del func(context.Context, K) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := parse(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		err = del(c.Request.Context(), id)
		s.respond(c, http.StatusOK, gin.H{"id": id}, err)
	}
}

// listWith reads a list's filter (with filter) and paging from the query
// string and answers a page.
func listWith[F, T any](s *Server, filter func(*query) F, list func(context.Context, F, crm.ListParams) ([]T, crm.Page, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := newQuery(c)
		f := filter(q)
		lp := q.List()
		if err := q.Err(); err != nil {
			s.fail(c, err)
			return
		}
		items, page, err := list(c.Request.Context(), f, lp)
		s.respondPage(c, items, page, err)
	}
}

// respondPage writes a page of a CRM list. A list's only input is its query
// string, so a field crm finds invalid there (sort, cursor, status…) is a
// bad request naming the parameter, not an unprocessable body.
func (s *Server) respondPage(c *gin.Context, items any, page crm.Page, err error) {
	var inv *crm.InvalidError
	if errors.As(err, &inv) {
		err = &apiError{status: http.StatusBadRequest, msg: inv.Error(), fields: inv.Fields}
	}
	s.respondList(c, items, page, err)
}

// defaultOwner makes the caller the owner when the body names none, as
// Pipedrive does.
func defaultOwner(c *gin.Context, owner **int64) error {
	if *owner == nil {
		id := me(c).ID
		*owner = &id
	}
	return nil
}

// noteAuthor makes the caller the author of a note; only admins may write
// in another user's name.
func noteAuthor(c *gin.Context, in *crm.NoteInput) error {
	u := me(c)
	switch {
	case in.UserID == nil:
		id := u.ID
		in.UserID = &id
	case *in.UserID != u.ID && !u.IsAdmin():
		return errStatus(http.StatusForbidden, "only admins may write notes as another user")
	}
	return nil
}

func activityFilter(q *query) crm.ActivityFilter {
	// crm cannot filter activities by type yet; refusing the parameter is
	// better than answering every type as if it had been applied.
	if q.Str("type") != nil {
		q.errs.Add("type", "filtering activities by type is not supported")
	}
	return crm.ActivityFilter{Done: q.Bool("done"), OwnerID: q.Int64("owner_id"), DealID: q.Int64("deal_id"),
		LeadID: q.UUID("lead_id"), PersonID: q.Int64("person_id"), OrgID: q.Int64("org_id")}
}

func (s *Server) searchPersons(c *gin.Context) {
	q := newQuery(c)
	term := ""
	if v := q.Str("term"); v != nil {
		term = strings.TrimSpace(*v)
	}
	if len([]rune(term)) < 2 {
		q.errs.Add("term", "must be at least 2 characters")
	}
	lp := q.List()
	if err := q.Err(); err != nil {
		s.fail(c, err)
		return
	}
	ps, page, err := s.crm.SearchPersons(c.Request.Context(), term, lp)
	s.respondPage(c, ps, page, err)
}

func (s *Server) convertLead(c *gin.Context) {
	id, err := uuidID("lead")(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.crm.ConvertLead(c.Request.Context(), id)
	s.respond(c, http.StatusCreated, d, err)
}
