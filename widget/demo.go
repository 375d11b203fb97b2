package widget

import (
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/livechat"
)

//go:embed demo/page.html
var demoHTML string

var demoTmpl = template.Must(template.New("demo").Parse(demoHTML))

// demoPages are the sample website's pages; each exercises a different
// targeting rule of the sample playbooks (pricing: the qualifier, cart: the
// shop FAQ, the home page: the live chat opened by the visitor).
var demoPages = map[string]string{"": "Product", "pricing": "Pricing", "cart": "Cart"}

// demo serves a small fake SaaS website that embeds the widget with the
// same one-tag snippet a customer would paste. The site is ?site=KEY, or the
// first site, so `parley serve --demo` leads straight to something to try.
func (h *Handler) demo(c *gin.Context) {
	page := strings.Trim(c.Param("page"), "/")
	title, ok := demoPages[page]
	if !ok {
		c.String(http.StatusNotFound, "no such demo page")
		return
	}
	key := c.Query("site")
	if key == "" {
		sites, err := h.live.ListSites(c.Request.Context())
		if err != nil {
			h.internal(c, "list sites", err)
			return
		}
		key = pickDemoSite(sites)
	}
	q := ""
	if c.Query("site") != "" {
		q = "?site=" + url.QueryEscape(key)
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-cache")
	c.Status(http.StatusOK)
	if err := demoTmpl.Execute(c.Writer, map[string]string{"Page": page, "Title": title, "Site": key, "Q": q, "Origin": scheme + "://" + c.Request.Host}); err != nil {
		h.log.Warn("widget: demo page", "err", err)
	}
}

// pickDemoSite prefers a site named like the demo one, else the oldest.
func pickDemoSite(sites []livechat.Site) string {
	for _, s := range sites {
		if strings.Contains(strings.ToLower(s.Name), "demo") {
			return s.SiteKey
		}
	}
	if len(sites) > 0 {
		return sites[0].SiteKey
	}
	return ""
}
