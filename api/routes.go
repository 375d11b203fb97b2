package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/crm"
)

// route is one endpoint. The router and the OpenAPI document are both built
// from the same table, so they cannot drift apart.
type route struct {
	method  string
	path    string // full path, gin syntax (/api/v1/persons/:id)
	access  access
	summary string
	tag     string
	body    any  // zero value of the request body type, nil for none
	resp    any  // zero value of the response data type
	list    bool // the response is a page of resp
	status  int  // success status when not the usual (201 for a POST that creates, else 200)
	query   []param
	handler gin.HandlerFunc
}

// param documents a query parameter.
type param struct {
	name, typ, desc string
}

var listParams = []param{
	{"start", "integer", "offset of the first item (default 0)"},
	{"limit", "integer", "items per page (default 100, max 500)"},
	{"cursor", "string", "next_cursor of the previous page; excludes start"},
	{"sort", "string", "field and direction, e.g. `add_time DESC`"},
}

func (s *Server) routeTable() []route {
	var rs []route
	rs = append(rs, s.coreRoutes()...)
	rs = append(rs, s.crmRoutes()...)
	rs = append(rs, s.builderRoutes()...)
	rs = append(rs, s.playbookRoutes()...)
	rs = append(rs, s.siteRoutes()...)
	rs = append(rs, s.conversationRoutes()...)
	rs = append(rs, s.webhookRoutes()...)
	return rs
}

func (s *Server) coreRoutes() []route {
	return []route{
		{method: "POST", path: "/api/v1/auth/login", access: public, tag: "auth", summary: "Sign in with email and password (sets the session cookie)", body: loginInput{}, resp: loginResult{}, handler: s.postLogin},
		{method: "POST", path: "/api/v1/auth/logout", access: agent, tag: "auth", summary: "Sign out", resp: map[string]bool{}, status: 200, handler: s.postLogout},
		{method: "GET", path: "/api/v1/auth/session", access: agent, tag: "auth", summary: "The signed-in user and the session's CSRF token", resp: loginResult{}, handler: s.getSession},
		{method: "GET", path: "/api/v1/openapi.json", access: public, tag: "meta", summary: "This API's OpenAPI 3 description", resp: map[string]any{}, handler: s.getOpenAPI},

		{method: "GET", path: "/api/v1/users", access: agent, tag: "users", summary: "List users", resp: crm.User{}, list: true, handler: listAll(s, s.crm.ListUsers)},
		{method: "GET", path: "/api/v1/users/me", access: agent, tag: "users", summary: "The calling user", resp: crm.User{}, handler: s.getMe},
		{method: "PATCH", path: "/api/v1/users/me/status", access: agent, tag: "users", summary: "Set my status: online, invisible or offline", body: statusInput{}, resp: crm.User{}, handler: s.patchMyStatus},
		{method: "GET", path: "/api/v1/users/:id", access: agent, tag: "users", summary: "Get a user", resp: crm.User{}, handler: getOne(s, intID, s.crm.GetUser)},
		{method: "POST", path: "/api/v1/users", access: admin, tag: "users", summary: "Add a user", body: crm.UserInput{}, resp: crm.User{}, handler: createOne(s, nil, s.crm.CreateUser)},
		{method: "PATCH", path: "/api/v1/users/:id", access: agent, tag: "users", summary: "Update a user (admins: anyone; agents: themselves, not their role)", body: crm.UserPatch{}, resp: crm.User{}, handler: s.patchUser},

		{method: "GET", path: "/api/v1/users/me/tokens", access: agent, tag: "users", summary: "List my API tokens", resp: crm.APIToken{}, list: true, handler: s.listTokens},
		{method: "POST", path: "/api/v1/users/me/tokens", access: agent, tag: "users", summary: "Create an API token (its secret is shown once)", body: tokenInput{}, resp: tokenResult{}, handler: s.postToken},
		{method: "DELETE", path: "/api/v1/users/me/tokens/:id", access: agent, tag: "users", summary: "Revoke one of my API tokens", resp: idResult{}, handler: s.deleteToken},

		{method: "GET", path: "/api/v1/groups", access: agent, tag: "groups", summary: "List groups", resp: crm.Group{}, list: true, handler: listAll(s, s.crm.ListGroups)},
		{method: "GET", path: "/api/v1/groups/:id", access: agent, tag: "groups", summary: "Get a group", resp: crm.Group{}, handler: getOne(s, intID, s.crm.GetGroup)},
		{method: "POST", path: "/api/v1/groups", access: admin, tag: "groups", summary: "Add a group", body: crm.GroupInput{}, resp: crm.Group{}, handler: createOne(s, nil, s.crm.CreateGroup)},
		{method: "PATCH", path: "/api/v1/groups/:id", access: admin, tag: "groups", summary: "Rename a group or set its members", body: crm.GroupInput{}, resp: crm.Group{}, handler: patchOne(s, intID, s.crm.UpdateGroup)},
		{method: "DELETE", path: "/api/v1/groups/:id", access: admin, tag: "groups", summary: "Delete a group", resp: idResult{}, handler: deleteOne(s, intID, s.crm.DeleteGroup)},
	}
}

// idResult answers a delete, as Pipedrive does.
type idResult struct {
	ID int64 `json:"id"`
}

type statusInput struct {
	Status string `json:"status"`
}

type tokenInput struct {
	Name string `json:"name"`
}

type tokenResult struct {
	crm.APIToken
	Token string `json:"token"`
}

// allPage describes an unpaged list in the pagination shape.
func allPage(n int) crm.Page { return crm.Page{Start: 0, Limit: n} }

// listAll answers a small unpaged list (users, groups, sites, playbooks).
func listAll[T any](s *Server, list func(context.Context) ([]T, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		items, err := list(c.Request.Context())
		s.respondList(c, items, allPage(len(items)), err)
	}
}

func (s *Server) getMe(c *gin.Context) {
	u, err := s.crm.GetUser(c.Request.Context(), me(c).ID)
	s.respond(c, http.StatusOK, u, err)
}

func (s *Server) patchUser(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in crm.UserPatch
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	if u := me(c); !u.IsAdmin() {
		if u.ID != id {
			s.fail(c, errStatus(http.StatusForbidden, "agents may only change their own profile"))
			return
		}
		if in.Role != nil || in.Active != nil || in.Groups != nil || in.Email != nil {
			s.fail(c, errStatus(http.StatusForbidden, "only admins may change email, role, groups or active"))
			return
		}
	}
	u, err := s.crm.UpdateUser(c.Request.Context(), id, in)
	s.respond(c, http.StatusOK, u, err)
}

func (s *Server) patchMyStatus(c *gin.Context) {
	var in statusInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.crm.SetUserStatus(c.Request.Context(), me(c).ID, in.Status)
	if err == nil && s.onStatus != nil {
		s.onStatus(c.Request.Context(), u)
	}
	s.respond(c, http.StatusOK, u, err)
}

func (s *Server) listTokens(c *gin.Context) {
	ts, err := s.crm.ListTokens(c.Request.Context(), me(c).ID)
	s.respondList(c, ts, allPage(len(ts)), err)
}

func (s *Server) postToken(c *gin.Context) {
	var in tokenInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	t, secret, err := s.crm.CreateToken(c.Request.Context(), me(c).ID, in.Name)
	s.respond(c, http.StatusCreated, tokenResult{APIToken: t, Token: secret}, err)
}

func (s *Server) deleteToken(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	err = s.crm.DeleteToken(c.Request.Context(), me(c).ID, id)
	s.respond(c, http.StatusOK, idResult{ID: id}, err)
}
