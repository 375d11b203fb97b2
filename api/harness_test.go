package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/api"
	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// env is a running server on a fresh database with an admin and an agent,
// each with an API token.
type env struct {
	t          *testing.T
	db         *schema.DB
	crm        *crm.Manager
	srv        *httptest.Server
	server     *api.Server
	admin      crm.User
	agent      crm.User
	adminToken string
	agentToken string
}

type envOpt func(*api.Opts)

func newEnv(t *testing.T, db *schema.DB, opts ...envOpt) *env {
	t.Helper()
	ctx := context.Background()
	m, err := crm.New(ctx, crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	// As serve does at start: a fresh workspace has the default pipeline.
	if _, err := m.EnsureDefaultPipeline(ctx); err != nil {
		t.Fatal(err)
	}
	o := api.Opts{DB: db, CRM: m, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range opts {
		f(&o)
	}
	s, err := api.New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, crm: m, server: s, srv: httptest.NewServer(s.Handler())}
	t.Cleanup(e.srv.Close)
	e.admin, err = m.CreateUser(ctx, crm.UserInput{Name: "Ada Admin", Email: "ada@example.com", Password: "admin-password", Role: crm.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	e.agent, err = m.CreateUser(ctx, crm.UserInput{Name: "Sam Agent", Email: "sam@example.com", Password: "agent-password", Role: crm.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	if _, e.adminToken, err = m.CreateToken(ctx, e.admin.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, e.agentToken, err = m.CreateToken(ctx, e.agent.ID, "test"); err != nil {
		t.Fatal(err)
	}
	return e
}

// each runs fn against a fresh env on every test database.
func each(t *testing.T, fn func(t *testing.T, e *env), opts ...envOpt) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) { fn(t, newEnv(t, db, opts...)) })
}

// resp is a decoded answer.
type resp struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   struct {
		Success        bool             `json:"success"`
		Data           json.RawMessage  `json:"data"`
		Error          string           `json:"error"`
		Errors         []crm.FieldError `json:"errors"`
		AdditionalData struct {
			Pagination crm.Page `json:"pagination"`
		} `json:"additional_data"`
	}
}

// data decodes the envelope's data into v.
func (r *resp) data(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Raw, err)
	}
}

// hasField tells whether the error names field.
func (r *resp) hasField(field string) bool {
	for _, f := range r.Body.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

type req struct {
	method, path string
	token        string // sent as x-api-token unless empty
	body         any    // marshalled to JSON unless []byte or string
	contentType  string
	header       map[string]string
	client       *http.Client
}

func (e *env) do(r req) *resp {
	e.t.Helper()
	var body io.Reader
	ct := r.contentType
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	if body != nil && ct == "" {
		ct = "application/json"
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		hr.Header.Set("x-api-token", r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	c := r.client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	hresp, err := c.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer hresp.Body.Close()
	out := &resp{Status: hresp.StatusCode, Header: hresp.Header}
	out.Raw, _ = io.ReadAll(hresp.Body)
	if strings.HasPrefix(hresp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(out.Raw, &out.Body); err != nil {
			e.t.Fatalf("%s %s: bad JSON %q: %v", r.method, r.path, out.Raw, err)
		}
	}
	return out
}

// admin and agentReq are shorthands.
func (e *env) asAdmin(method, path string, body any) *resp {
	e.t.Helper()
	return e.do(req{method: method, path: path, token: e.adminToken, body: body})
}

func (e *env) asAgent(method, path string, body any) *resp {
	e.t.Helper()
	return e.do(req{method: method, path: path, token: e.agentToken, body: body})
}

func expect(t *testing.T, r *resp, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
}
