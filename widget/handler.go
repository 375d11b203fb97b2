// Package widget is the visitor side of Parley: the embeddable widget (plain
// JavaScript under static/, embedded in the binary, no build step) and the
// HTTP endpoints it talks to — its config, visitor registration, the visitor
// socket — plus a demo website to try it on.
//
// The endpoints answer plain JSON, not the REST API's envelope, because they
// are a browser protocol (realtime.md), not an integration API. Errors are
// {"error": "...", "code": "..."}.
package widget

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/livechat"
)

// Opts wires the handler to the live chat runtime.
type Opts struct {
	Live   *livechat.Service
	Logger *slog.Logger     // defaults to slog.Default()
	Now    func() time.Time // defaults to time.Now; business hours are computed with it
	// Limits for the visitor socket; zero values take the defaults below.
	// Tests lower them to provoke the slow-client and flood paths quickly.
	SendQueue  int           // frames queued per connection before it is dropped (default 32)
	RateBurst  int           // frames a client may send at once (default 30)
	RatePerSec float64       // sustained frames per second (default 8)
	PingPeriod time.Duration // default 50s; the read deadline is 1.2× this
	WriteWait  time.Duration // deadline of every write (default 10s): a client not reading is cut off after it
}

// Handler serves the widget's HTTP side.
type Handler struct {
	live   *livechat.Service
	log    *slog.Logger
	now    func() time.Time
	opts   Opts
	static *staticFiles

	// conns are the open visitor sockets: counted for tests and load, and
	// closable at once (tests cut them to exercise the widget's resume).
	connMu sync.Mutex
	conns  map[*conn]struct{}
}

// New returns a Handler; Mount adds its routes.
func New(o Opts) *Handler {
	h := &Handler{live: o.Live, log: o.Logger, now: o.Now, opts: o, static: loadStatic(), conns: map[*conn]struct{}{}}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.opts.SendQueue <= 0 {
		h.opts.SendQueue = 32
	}
	if h.opts.RateBurst <= 0 {
		h.opts.RateBurst = 30
	}
	if h.opts.RatePerSec <= 0 {
		h.opts.RatePerSec = 8
	}
	if h.opts.WriteWait <= 0 {
		h.opts.WriteWait = 10 * time.Second
	}
	if h.opts.PingPeriod <= 0 {
		h.opts.PingPeriod = 50 * time.Second
	}
	return h
}

// Mount adds the widget routes to r. None of them uses the API's auth: a
// visitor is known by its site key and secret token only.
func (h *Handler) Mount(r *gin.Engine) {
	g := r.Group("/widget/v1")
	g.GET("/config", h.config)
	g.OPTIONS("/config", h.preflight)
	g.POST("/visitors", h.createVisitor)
	g.OPTIONS("/visitors", h.preflight)
	g.GET("/ws", h.socket)
	g.GET("/preview", h.previewPage)
	g.GET("/static/*file", h.serveStatic)
	g.HEAD("/static/*file", h.serveStatic)
	r.GET("/demo", h.demo)
	r.GET("/demo/*page", h.demo)
}

// MountFunc adapts Mount to api.Opts.Mount.
func (h *Handler) MountFunc() func(r *gin.Engine, auth gin.HandlerFunc) {
	return func(r *gin.Engine, _ gin.HandlerFunc) { h.Mount(r) }
}

// OpenSockets is the number of visitor sockets currently open.
func (h *Handler) OpenSockets() int {
	h.connMu.Lock()
	defer h.connMu.Unlock()
	return len(h.conns)
}

// closeSockets drops every open visitor socket, as a server restart would.
func (h *Handler) closeSockets() {
	h.connMu.Lock()
	defer h.connMu.Unlock()
	for c := range h.conns {
		c.ws.Close()
	}
}

func fail(c *gin.Context, status int, code, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": msg, "code": code})
}

// internal logs err and answers 500 without the detail.
func (h *Handler) internal(c *gin.Context, what string, err error) {
	h.log.Error("widget: "+what, "err", err, "path", c.Request.URL.Path)
	fail(c, http.StatusInternalServerError, "internal", "something went wrong; try again")
}

// siteFor loads the site named by key and checks the page's Origin. A
// request without Origin (curl, a server) is allowed for config and visitor
// registration, which reveal nothing secret; the socket insists on one.
func (h *Handler) siteFor(c *gin.Context, key string, needOrigin bool) (livechat.Site, bool) {
	if key == "" {
		fail(c, http.StatusBadRequest, "missing_site", "the site parameter is required")
		return livechat.Site{}, false
	}
	site, err := h.live.SiteByKey(c.Request.Context(), key)
	if errors.Is(err, livechat.ErrNotFound) {
		fail(c, http.StatusNotFound, "unknown_site", "no site has this key")
		return livechat.Site{}, false
	}
	if err != nil {
		h.internal(c, "site by key", err)
		return livechat.Site{}, false
	}
	origin := c.GetHeader("Origin")
	if origin == "" && !needOrigin {
		return site, true
	}
	if !h.originAllowed(c.Request, site, origin) {
		fail(c, http.StatusForbidden, "origin_not_allowed", "this page's origin is not allowed for the site")
		return livechat.Site{}, false
	}
	if origin != "" {
		c.Header("Access-Control-Allow-Origin", origin)
		c.Header("Vary", "Origin")
	}
	return site, true
}

// originAllowed accepts the site's allowed origins, and the Parley server's
// own origin: pages the server itself serves (the demo site, previews in the
// agent app) are ours, whatever host name the visitor used to reach us.
func (h *Handler) originAllowed(r *http.Request, site livechat.Site, origin string) bool {
	if livechat.OriginAllowed(site, origin) {
		return true
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return origin != "" && strings.EqualFold(origin, scheme+"://"+r.Host)
}

// preflight answers CORS preflights: the visitor registration is a JSON POST
// from the customer's site, which browsers preflight. A preflight does not
// say which site it is for (the key is in the body), so it is answered for
// any origin; the request itself is checked against the site's origins.
func (h *Handler) preflight(c *gin.Context) {
	if o := c.GetHeader("Origin"); o != "" {
		c.Header("Access-Control-Allow-Origin", o)
		c.Header("Vary", "Origin")
	}
	c.Header("Access-Control-Allow-Methods", "GET, POST")
	c.Header("Access-Control-Allow-Headers", "Content-Type")
	c.Header("Access-Control-Max-Age", "86400")
	c.Status(http.StatusNoContent)
}

// configResponse is what the loader needs before drawing anything.
type configResponse struct {
	Site          string                        `json:"site"`
	Name          string                        `json:"name"`
	Appearance    livechat.Appearance           `json:"appearance"`
	Texts         map[string]livechat.SiteTexts `json:"texts"` // by language, merged over the built-in texts
	BusinessHours livechat.BusinessHours        `json:"business_hours"`
	InHours       bool                          `json:"in_hours"`
	OutsideHours  string                        `json:"outside_hours"`
	Online        bool                          `json:"online"`
	Pages         livechat.PageRules            `json:"pages"`
	PreChat       livechat.PreChat              `json:"pre_chat"`
	Triggers      []livechat.TriggerInfo        `json:"triggers"` // highest priority first
	Widget        string                        `json:"widget"`   // versioned URL path of widget.js
}

// builtinLanguages are the languages the widget has its own strings for.
var builtinLanguages = []string{"en", "fr", "es", "pt"}

func (h *Handler) config(c *gin.Context) {
	site, ok := h.siteFor(c, c.Query("site"), false)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	online, err := h.live.AgentsOnline(ctx, "")
	if err != nil {
		h.internal(c, "agents online", err)
		return
	}
	triggers, err := h.live.Triggers(ctx)
	if err != nil {
		h.internal(c, "triggers", err)
		return
	}
	sort.SliceStable(triggers, func(i, j int) bool { return triggers[i].Priority > triggers[j].Priority })
	texts := map[string]livechat.SiteTexts{}
	for _, l := range builtinLanguages {
		texts[l] = site.TextsFor(l)
	}
	for l := range site.Texts {
		texts[l] = site.TextsFor(l)
	}
	if triggers == nil {
		triggers = []livechat.TriggerInfo{}
	}
	// Short cache: presence and hours change, but a burst of page views
	// need not each ask.
	c.Header("Cache-Control", "public, max-age=30")
	c.JSON(http.StatusOK, configResponse{
		Site: site.SiteKey, Name: site.Name, Appearance: site.Appearance, Texts: texts,
		BusinessHours: site.BusinessHours, InHours: site.InHours(h.now()), OutsideHours: site.OutsideHours,
		Online: online > 0, Pages: site.Pages, PreChat: site.PreChat, Triggers: triggers,
		Widget: h.static.url("widget.js"),
	})
}

func (h *Handler) createVisitor(c *gin.Context) {
	var in struct {
		Site string `json:"site"`
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 4<<10)
	if err := c.ShouldBindJSON(&in); err != nil {
		// The CORS header must be on errors too, or the page cannot read them.
		if o := c.GetHeader("Origin"); o != "" {
			c.Header("Access-Control-Allow-Origin", o)
		}
		fail(c, http.StatusBadRequest, "bad_json", "the body must be {\"site\": \"SITE_KEY\"}")
		return
	}
	site, ok := h.siteFor(c, in.Site, false)
	if !ok {
		return
	}
	_, token, err := h.live.CreateVisitor(c.Request.Context(), site.ID)
	if err != nil {
		h.internal(c, "create visitor", err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{"visitor_token": token})
}

// ctxTimeout bounds one runtime call made for a socket frame.
func ctxTimeout(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, 10*time.Second)
}
