package api

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed app
var appFS embed.FS

// mountApp serves the agent app: one HTML shell and its ES modules, with a
// strict Content-Security-Policy (no inline script, nothing from elsewhere).
func (s *Server) mountApp(e *gin.Engine) {
	static, _ := fs.Sub(appFS, "app")
	files := http.FileServer(http.FS(static))
	index, _ := fs.ReadFile(static, "index.html")
	secure := func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
	}
	shell := func(c *gin.Context) {
		secure(c)
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "text/html; charset=utf-8", index)
	}
	e.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/app") })
	e.GET("/app", shell)
	e.GET("/app/*path", func(c *gin.Context) {
		p := c.Param("path")
		if !strings.HasPrefix(p, "/static/") {
			shell(c) // client-side routes
			return
		}
		secure(c)
		c.Header("Cache-Control", "no-cache")
		c.Request.URL.Path = strings.TrimPrefix(p, "/static")
		files.ServeHTTP(c.Writer, c.Request)
	})
}
