// Package api is Parley's HTTP surface: the Pipedrive-shaped REST API under
// /api/v1, authentication (API tokens and agent sessions), and the agent app.
// Handlers stay thin: they decode, call a domain package and encode.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
)

// Opts wires the server to its dependencies.
type Opts struct {
	DB  *schema.DB
	CRM *crm.Manager
	// Live is the live chat runtime (playbooks, sites, conversations); nil
	// leaves those endpoints out, for tests of the CRM alone.
	Live   *livechat.Service
	Logger *slog.Logger
	// RateLimit is the number of API requests a token (or signed-in user, or
	// unauthenticated address) may make per RateWindow. Zero means 600 per minute.
	RateLimit  int
	RateWindow time.Duration
	// SecureCookies forces the Secure flag on the session cookie. When false
	// the flag is still set for TLS requests, forwarded HTTPS and localhost.
	SecureCookies bool
	// Now is the clock; tests may fix it.
	Now func() time.Time
	// Mount lets other packages (widget, live chat) add their routes to the
	// same engine, with the server's auth middleware available.
	Mount []func(r *gin.Engine, auth gin.HandlerFunc)
	// OnStatus is told when a user changes status (the live chat presence).
	OnStatus func(ctx context.Context, u crm.User)
}

// Server holds the router and what handlers need.
type Server struct {
	db       *schema.DB
	crm      *crm.Manager
	live     *livechat.Service
	log      *slog.Logger
	now      func() time.Time
	limiter  *rateLimiter
	login    *rateLimiter
	idem     *idempotency
	secure   bool
	mappers  []statusMapper
	engine   *gin.Engine
	routes   []route
	onStatus func(ctx context.Context, u crm.User)
	openapi  openAPIDoc
}

// New builds the server and its routes.
func New(ctx context.Context, o Opts) (*Server, error) {
	s := &Server{db: o.DB, crm: o.CRM, live: o.Live, log: o.Logger, now: o.Now, secure: o.SecureCookies, onStatus: o.OnStatus}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	limit, window := o.RateLimit, o.RateWindow
	if limit <= 0 {
		limit = 600
	}
	if window <= 0 {
		window = time.Minute
	}
	s.limiter = newRateLimiter(limit, window, s.now)
	// Password guessing gets a much smaller budget, per client address.
	s.login = newRateLimiter(10, time.Minute, s.now)
	idem, err := newIdempotency(ctx, o.DB, s.now)
	if err != nil {
		return nil, err
	}
	s.idem = idem

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.Use(s.requestID, s.logRequests, s.recover)
	e.NoRoute(func(c *gin.Context) {
		s.fail(c, errStatus(http.StatusNotFound, "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		s.fail(c, errStatus(http.StatusMethodNotAllowed, "method "+c.Request.Method+" is not allowed on "+c.Request.URL.Path))
	})
	s.routes = s.routeTable()
	v1 := e.Group("/api/v1", s.authenticate, s.rateLimit)
	for _, r := range s.routes {
		handlers := []gin.HandlerFunc{s.authorize(r.access)}
		if r.method == http.MethodPost && r.access != public {
			handlers = append(handlers, s.idempotent)
		}
		handlers = append(handlers, r.handler)
		v1.Handle(r.method, strings.TrimPrefix(r.path, "/api/v1"), handlers...)
	}
	s.mountApp(e)
	for _, mount := range o.Mount {
		mount(e, s.authenticate)
	}
	s.engine = e
	return s, nil
}

// Handler is the HTTP handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

// Engine exposes the gin engine to tests and to packages mounting routes.
func (s *Server) Engine() *gin.Engine { return s.engine }

const requestIDKey = "request_id"

func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if id == "" || len(id) > 64 {
		b := make([]byte, 8)
		rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	if strings.HasPrefix(c.Request.URL.Path, "/static/") || strings.HasPrefix(c.Request.URL.Path, "/widget/v1/static/") {
		return
	}
	lvl := slog.LevelInfo
	if c.Writer.Status() >= 500 {
		lvl = slog.LevelError
	}
	s.log.Log(c.Request.Context(), lvl, "http", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration_ms", time.Since(start).Milliseconds(), "request_id", requestID(c))
}

// recover turns a panic in one handler into a 500 for that request only.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "request_id", requestID(c), "path", c.Request.URL.Path, "panic", v)
			if !c.Writer.Written() {
				s.fail(c, errStatus(http.StatusInternalServerError, "internal error"))
			}
			c.Abort()
		}
	}()
	c.Next()
}
