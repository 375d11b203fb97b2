package widget

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/livechat"
)

// The builder's live preview: GET /widget/v1/preview?token=… is a plain page
// with the real widget (the same loader.js, widget.js and socket) on the
// internal preview site, opened at once. The loader passes the preview
// token, the widget sends it with its start frame, and the socket starts the
// draft with StartPreviewToken instead of a published playbook. The page is
// served by Parley itself, so the socket's Origin check passes (the server's
// own origin is always allowed), and the builder frames it (same origin).

var previewTmpl = template.Must(template.New("preview").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preview · Parley</title>
<style>
  body { margin:0; min-height:100vh; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:#64748b;
         background:repeating-linear-gradient(45deg,#f8fafc 0 12px,#f1f5f9 12px 24px); }
  p { margin:0; padding:16px 20px; max-width:420px; }
</style>
</head>
<body>
<p>{{if .Error}}{{.Error}}{{else}}Preview of a draft: answers here create nothing in the CRM, and no agent sees this chat.{{end}}</p>
{{if not .Error}}<script src="/widget/v1/static/loader.js" data-site="{{.Site}}" data-preview="{{.Token}}" async></script>{{end}}
</body>
</html>
`))

// previewPage serves the preview page for a valid token; an unknown or
// expired one gets the page with the reason and no widget (the builder's
// "Restart preview" asks for a new token).
func (h *Handler) previewPage(c *gin.Context) {
	hd := c.Writer.Header()
	// The token is in the URL: keep it out of caches and Referer headers.
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self' ws: wss:; frame-ancestors 'self'; base-uri 'none'")
	hd.Set("Content-Type", "text/html; charset=utf-8")
	ctx := c.Request.Context()
	data := map[string]string{"Token": c.Query("token")}
	status := http.StatusOK
	var r *livechat.RefusedError
	if _, err := h.live.PreviewByToken(ctx, data["Token"]); errors.As(err, &r) {
		status, data["Error"] = http.StatusGone, "This preview link has expired. Restart the preview from the builder."
	} else if err != nil {
		h.internal(c, "preview token", err)
		return
	} else if site, err := h.live.PreviewSite(ctx); err != nil {
		h.internal(c, "preview site", err)
		return
	} else {
		data["Site"] = site.SiteKey
	}
	c.Status(status)
	if err := previewTmpl.Execute(c.Writer, data); err != nil {
		h.log.Warn("widget: preview page", "err", err)
	}
}

// isPreview tells whether the socket is on the internal preview site.
func (c *conn) isPreview() bool { return c.h.live.IsPreviewSite(c.ctx, c.site.ID) }

// startPreview answers a start frame on the preview site: only a preview
// token starts anything there, and it starts the token's draft.
func (c *conn) startPreview(ctx context.Context, f inFrame) error {
	if f.Preview == "" {
		c.reply(errorFrame("no_playbook", "no playbook starts here now", ""))
		return nil
	}
	c.queue(&outItem{hold: true})
	released := false
	defer func() {
		if !released {
			c.queue(&outItem{release: true})
		}
	}()
	cv, err := c.h.live.StartPreviewToken(ctx, c.v, f.Preview, c.page)
	var r *livechat.RefusedError
	if errors.As(err, &r) && r.Code == livechat.CodeNotAllowed {
		c.reply(errorFrame("preview_expired", "this preview has expired; restart it from the builder", ""))
		return nil
	}
	if err != nil {
		return err
	}
	bot := c.botOf(ctx, cv)
	released = true
	c.queue(&outItem{release: true, frames: [][]byte{mustFrame(struct {
		Type         string   `json:"type"`
		Conversation string   `json:"conversation"`
		Bot          *botInfo `json:"bot,omitempty"`
		Preview      bool     `json:"preview"`
	}{"started", cv.ID, bot, true})}})
	return nil
}

// previewBot is botOf for a preview conversation: its draft's bot.
func (c *conn) previewBot(ctx context.Context, cv livechat.Conversation) *botInfo {
	if b := c.h.live.PreviewBot(ctx, cv); b != nil {
		return &botInfo{Name: b.Name, Avatar: b.Avatar}
	}
	return nil
}

// endPreview removes a preview visitor, and so its conversation, when its
// socket closes: a preview lasts as long as the widget session.
func (c *conn) endPreview() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !c.h.live.IsPreviewSite(ctx, c.site.ID) {
		return
	}
	if err := c.h.live.EndPreview(ctx, c.v); err != nil {
		c.h.log.Warn("widget: end preview", "visitor", c.v.ID, "err", err)
	}
}
