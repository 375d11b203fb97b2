package api

import (
	"expvar"
	"net/http"
	"net/http/pprof"

	"github.com/gin-gonic/gin"
)

// PprofMount serves the Go profiler under /debug/pprof/ and the runtime's
// counters (memstats, goroutines) as JSON at /debug/vars, for admins only
// (session cookie or API token of an admin). Pass it in Opts.Mount:
//
//	Mount: []func(*gin.Engine, gin.HandlerFunc){wh.MountFunc(), api.PprofMount()}
func PprofMount() func(r *gin.Engine, auth gin.HandlerFunc) {
	return func(r *gin.Engine, auth gin.HandlerFunc) {
		g := r.Group("/debug", auth, adminOnly)
		g.GET("/vars", gin.WrapH(expvar.Handler()))
		g.GET("/pprof/", gin.WrapF(pprof.Index))
		g.GET("/pprof/cmdline", gin.WrapF(pprof.Cmdline))
		g.GET("/pprof/profile", gin.WrapF(pprof.Profile))
		g.GET("/pprof/symbol", gin.WrapF(pprof.Symbol))
		g.POST("/pprof/symbol", gin.WrapF(pprof.Symbol))
		g.GET("/pprof/trace", gin.WrapF(pprof.Trace))
		// heap, goroutine, allocs, block, mutex, threadcreate
		g.GET("/pprof/:profile", func(c *gin.Context) { pprof.Handler(c.Param("profile")).ServeHTTP(c.Writer, c.Request) })
	}
}

// adminOnly refuses anyone but an authenticated admin. The auth middleware
// has already answered a bad token.
func adminOnly(c *gin.Context) {
	if c.IsAborted() {
		return
	}
	p := caller(c)
	switch {
	case p == nil:
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"success": false, "error": "authentication required"})
	case !p.user.IsAdmin():
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"success": false, "error": "only admins may do this"})
	default:
		c.Next()
	}
}
