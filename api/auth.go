package api

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/crm"
)

// SessionCookie names the agent app's session cookie.
const SessionCookie = "parley_session"

// CSRFHeader carries the session's CSRF token on unsafe requests made with
// the cookie. API tokens need none: browsers do not send them on their own.
const CSRFHeader = "X-CSRF-Token"

type access int

const (
	public access = iota
	agent         // any signed-in user
	admin
)

type principal struct {
	user    crm.User
	tokenID int64 // 0 for sessions
	session *crm.Session
}

const principalKey = "principal"

// authenticate resolves the caller from an API token or the session cookie,
// if any. It never rejects: authorize decides per route.
func (s *Server) authenticate(c *gin.Context) {
	ctx := c.Request.Context()
	token := c.GetHeader("x-api-token")
	if token == "" {
		if h := c.GetHeader("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			token = strings.TrimSpace(h[7:])
		}
	}
	if token == "" {
		token = c.Query("api_token")
	}
	if token != "" {
		u, tid, err := s.crm.UserByToken(ctx, token)
		if err != nil {
			if errors.Is(err, crm.ErrBadCredentials) {
				s.fail(c, errStatus(http.StatusUnauthorized, "the API token is not valid"))
			} else {
				s.fail(c, err)
			}
			return
		}
		c.Set(principalKey, &principal{user: u, tokenID: tid})
		c.Next()
		return
	}
	// Signing in replaces whatever session the browser had, so an old cookie
	// (and its CSRF token) must not get in the way.
	if c.FullPath() == "/api/v1/auth/login" {
		c.Next()
		return
	}
	if cookie, err := c.Cookie(SessionCookie); err == nil && cookie != "" {
		sess, err := s.crm.GetSession(ctx, cookie)
		switch {
		case err == nil:
			if unsafeMethod(c.Request.Method) && !sess.CheckCSRF(c.GetHeader(CSRFHeader)) {
				s.fail(c, errStatus(http.StatusForbidden, "missing or wrong "+CSRFHeader+" header"))
				return
			}
			c.Set(principalKey, &principal{user: sess.User, session: &sess})
		case errors.Is(err, crm.ErrBadCredentials):
			// An expired cookie is the same as none.
		default:
			s.fail(c, err)
			return
		}
	}
	c.Next()
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func caller(c *gin.Context) *principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(*principal)
	return pr
}

// me is the signed-in user; only call it behind authorize(agent) or stricter.
func me(c *gin.Context) *crm.User { return &caller(c).user }

func (s *Server) authorize(a access) gin.HandlerFunc {
	return func(c *gin.Context) {
		if a == public {
			c.Next()
			return
		}
		p := caller(c)
		if p == nil {
			s.fail(c, errStatus(http.StatusUnauthorized, "authentication required"))
			return
		}
		if a == admin && !p.user.IsAdmin() {
			s.fail(c, errStatus(http.StatusForbidden, "only admins may do this"))
			return
		}
		c.Next()
	}
}

type loginInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResult struct {
	User      crm.User `json:"user"`
	CSRFToken string   `json:"csrf_token"`
}

func clientIP(c *gin.Context) string {
	host, _, err := net.SplitHostPort(c.Request.RemoteAddr)
	if err != nil {
		return c.Request.RemoteAddr
	}
	return host
}

func (s *Server) postLogin(c *gin.Context) {
	var in loginInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	var p crm.Problems
	if in.Email == "" {
		p.Add("email", "is required")
	}
	if in.Password == "" {
		p.Add("password", "is required")
	}
	if err := p.Err(); err != nil {
		s.fail(c, err)
		return
	}
	if d := s.login.take("login:" + clientIP(c)); !d.allowed {
		c.Header("Retry-After", d.retryAfter())
		s.fail(c, errStatus(http.StatusTooManyRequests, "too many sign-in attempts; try again later"))
		return
	}
	u, err := s.crm.Authenticate(c.Request.Context(), in.Email, in.Password)
	if err != nil {
		if errors.Is(err, crm.ErrBadCredentials) {
			s.fail(c, errStatus(http.StatusUnauthorized, "wrong email or password"))
			return
		}
		s.fail(c, err)
		return
	}
	sess, err := s.crm.CreateSession(c.Request.Context(), u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: sess.ID, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: s.secureRequest(c), SameSite: http.SameSiteLaxMode,
	})
	ok(c, http.StatusOK, loginResult{User: sess.User, CSRFToken: sess.CSRFToken}, nil)
}

// secureRequest decides the cookie's Secure flag: always when configured, and
// whenever the browser reached us over HTTPS or on localhost (which browsers
// treat as secure), so that a plain-HTTP LAN address still works in a trial.
func (s *Server) secureRequest(c *gin.Context) bool {
	if s.secure || c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https") {
		return true
	}
	host := c.Request.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func (s *Server) postLogout(c *gin.Context) {
	p := caller(c)
	if p.session != nil {
		if err := s.crm.DeleteSession(c.Request.Context(), p.session.ID); err != nil {
			s.fail(c, err)
			return
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureRequest(c), SameSite: http.SameSiteLaxMode})
	ok(c, http.StatusOK, gin.H{"signed_out": true}, nil)
}

// session returns the signed-in browser's CSRF token, so the app can recover
// it after a reload (the cookie itself is HttpOnly).
func (s *Server) getSession(c *gin.Context) {
	p := caller(c)
	out := loginResult{User: p.user}
	if p.session != nil {
		out.CSRFToken = p.session.CSRFToken
	}
	ok(c, http.StatusOK, out, nil)
}
