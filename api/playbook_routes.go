package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/livechat"
	"github.com/parley/parley/playbook"
)

// playbookRoutes: playbooks are sent as YAML (application/yaml) or JSON
// (application/json); the body is the document itself.
func (s *Server) playbookRoutes() []route {
	if s.live == nil {
		return nil
	}
	return []route{
		{method: "GET", path: "/api/v1/playbooks", access: agent, tag: "playbooks", summary: "List playbooks", resp: livechat.Playbook{}, list: true, handler: listAll(s, s.live.ListPlaybooks)},
		{method: "POST", path: "/api/v1/playbooks", access: admin, tag: "playbooks", summary: "Create a playbook from a YAML or JSON document (a draft)", body: playbookDocDoc{}, resp: livechat.Playbook{}, handler: s.postPlaybook},
		{method: "POST", path: "/api/v1/playbooks/validate", access: agent, tag: "playbooks", summary: "Validate a document: 200 with warnings, or 422 with every problem as line:col", body: playbookDocDoc{}, resp: validation{}, status: 200, handler: s.validatePlaybook},
		{method: "GET", path: "/api/v1/playbooks/:id", access: agent, tag: "playbooks", summary: "Get a playbook with its draft", resp: livechat.Playbook{}, handler: getOne(s, intID, s.live.GetPlaybook)},
		{method: "PATCH", path: "/api/v1/playbooks/:id", access: admin, tag: "playbooks", summary: "Replace the draft with a new document", body: playbookDocDoc{}, resp: livechat.Playbook{}, handler: s.patchPlaybook},
		{method: "DELETE", path: "/api/v1/playbooks/:id", access: admin, tag: "playbooks", summary: "Delete a playbook", resp: idResult{}, handler: deleteOne(s, intID, s.live.DeletePlaybook)},
		{method: "POST", path: "/api/v1/playbooks/:id/publish", access: admin, tag: "playbooks", summary: "Publish the draft as a new immutable version", resp: livechat.Version{}, status: 201, handler: s.publishPlaybook},
		{method: "GET", path: "/api/v1/playbooks/:id/versions", access: agent, tag: "playbooks", summary: "List published versions", resp: livechat.Version{}, list: true, handler: s.listVersions},
		{method: "GET", path: "/api/v1/playbooks/:id/versions/:n", access: agent, tag: "playbooks", summary: "Get one published version", resp: livechat.Version{}, handler: s.getVersion},
	}
}

// playbookDocDoc documents the body: the playbook language's document.
type playbookDocDoc struct {
	ID    string         `json:"id"`
	Name  string         `json:"name"`
	Start string         `json:"start"`
	Cards map[string]any `json:"cards"`
}

type validation struct {
	Valid    bool     `json:"valid"`
	Warnings []string `json:"warnings"`
}

// readDocument reads a playbook body and its format from the content type.
func readDocument(c *gin.Context) ([]byte, string, error) {
	var format string
	switch mediaType(c) {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		format = livechat.FormatYAML
	case "application/json":
		format = livechat.FormatJSON
	default:
		return nil, "", errStatus(http.StatusUnsupportedMediaType, "Content-Type must be application/yaml or application/json")
	}
	body, err := readBody(c)
	if err != nil {
		return nil, "", err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, "", errStatus(http.StatusBadRequest, "request body is empty: send the playbook document")
	}
	return body, format, nil
}

func (s *Server) postPlaybook(c *gin.Context) {
	body, format, err := readDocument(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.live.CreatePlaybook(c.Request.Context(), body, format)
	s.respond(c, http.StatusCreated, p, err)
}

func (s *Server) validatePlaybook(c *gin.Context) {
	body, _, err := readDocument(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	_, probs := playbook.Load(body)
	if errs := probs.Errors(); len(errs) > 0 {
		s.fail(c, &livechat.ProblemsError{Problems: probs})
		return
	}
	out := validation{Valid: true, Warnings: []string{}}
	for _, p := range probs {
		out.Warnings = append(out.Warnings, p.String())
	}
	ok(c, http.StatusOK, out, nil)
}

func (s *Server) patchPlaybook(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	body, format, err := readDocument(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.live.UpdateDraft(c.Request.Context(), id, body, format)
	s.respond(c, http.StatusOK, p, err)
}

func (s *Server) publishPlaybook(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.live.Publish(c.Request.Context(), id)
	s.respond(c, http.StatusCreated, v, err)
}

func (s *Server) listVersions(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	vs, err := s.live.ListVersions(c.Request.Context(), id)
	s.respondList(c, vs, allPage(len(vs)), err)
}

func (s *Server) getVersion(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		s.fail(c, errStatus(http.StatusNotFound, "version "+strconv.Quote(c.Param("n"))+" not found"))
		return
	}
	v, err := s.live.GetVersion(c.Request.Context(), id, n)
	s.respond(c, http.StatusOK, v, err)
}

// siteRoutes: the websites that show the widget (admin only).
func (s *Server) siteRoutes() []route {
	if s.live == nil {
		return nil
	}
	return []route{
		{method: "GET", path: "/api/v1/sites", access: admin, tag: "sites", summary: "List sites", resp: livechat.Site{}, list: true, handler: listAll(s, s.live.ListSites)},
		{method: "GET", path: "/api/v1/widgetTexts", access: admin, tag: "sites", summary: "The widget's built-in texts by language (what a site's empty texts fall back to)", resp: map[string]livechat.SiteTexts{},
			handler: func(c *gin.Context) { s.respond(c, http.StatusOK, livechat.AllDefaultTexts(), nil) }},
		{method: "POST", path: "/api/v1/sites", access: admin, tag: "sites", summary: "Add a site", body: livechat.SiteInput{}, resp: livechat.Site{}, handler: createOne(s, nil, s.live.CreateSite)},
		{method: "GET", path: "/api/v1/sites/:id", access: admin, tag: "sites", summary: "Get a site", resp: livechat.Site{}, handler: getOne(s, intID, s.live.GetSite)},
		{method: "PATCH", path: "/api/v1/sites/:id", access: admin, tag: "sites", summary: "Update a site", body: livechat.SiteInput{}, resp: livechat.Site{}, handler: patchOne(s, intID, s.live.UpdateSite)},
		{method: "DELETE", path: "/api/v1/sites/:id", access: admin, tag: "sites", summary: "Delete a site", resp: idResult{}, handler: deleteOne(s, intID, s.live.DeleteSite)},
	}
}
