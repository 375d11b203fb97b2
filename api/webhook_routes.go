package api

import (
	"context"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/crm"
)

// webhookRoutes: subscriptions of integrators' URLs to CRM changes, and
// the outbox of each (api.md "Webhooks"). Only admins see or change them:
// a webhook's secret signs what Parley sends, and its URL receives every
// matching change, whoever may see the record.
func (s *Server) webhookRoutes() []route {
	m := s.crm
	return []route{
		{method: "GET", path: "/api/v1/webhooks", access: admin, tag: "webhooks", summary: "List webhooks", resp: crm.Webhook{}, list: true, handler: listAll(s, m.ListWebhooks)},
		{method: "GET", path: "/api/v1/webhooks/:id", access: admin, tag: "webhooks", summary: "Get a webhook", resp: crm.Webhook{}, handler: getOne(s, intID, m.GetWebhook)},
		{method: "POST", path: "/api/v1/webhooks", access: admin, tag: "webhooks",
			summary: "Add a webhook: subscription_url (http or https), event_action (create, change, delete or *), event_object (lead, deal, person, organization, activity, note or *); secret (16–200 characters) is generated when absent. Every delivery is signed X-Parley-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>",
			body:    webhookInput{}, resp: crm.Webhook{},
			handler: createOne(s, webhookOwner, s.createWebhook)},
		{method: "PATCH", path: "/api/v1/webhooks/:id", access: admin, tag: "webhooks", summary: "Change a webhook's URL, action or object, or pause it (active: false)", body: crm.WebhookPatch{}, resp: crm.Webhook{}, handler: patchOne(s, intID, m.UpdateWebhook)},
		{method: "DELETE", path: "/api/v1/webhooks/:id", access: admin, tag: "webhooks", summary: "Delete a webhook and its deliveries", resp: idResult{}, handler: deleteOne(s, intID, m.DeleteWebhook)},
		{method: "GET", path: "/api/v1/webhooks/:id/deliveries", access: admin, tag: "webhooks", summary: "A webhook's deliveries, newest first, with their outcome (status pending, delivered or failed)", resp: crm.Delivery{}, list: true,
			query: []param{{"before", "integer", "only deliveries with a smaller id: the next_cursor of the previous page (default: from the newest)"},
				{"limit", "integer", "items per page (default 100, max 500)"}},
			handler: s.listDeliveries},
	}
}

// webhookInput is what a client may send to create a webhook: the owner
// (user_id) is the caller, not a field of the body.
type webhookInput struct {
	SubscriptionURL string `json:"subscription_url"`
	EventAction     string `json:"event_action"`
	EventObject     string `json:"event_object"`
	Secret          string `json:"secret,omitempty"`
	userID          *int64
}

// webhookOwner records who added the webhook.
func webhookOwner(c *gin.Context, in *webhookInput) error {
	id := me(c).ID
	in.userID = &id
	return nil
}

func (s *Server) createWebhook(ctx context.Context, in webhookInput) (crm.Webhook, error) {
	return s.crm.CreateWebhook(ctx, crm.WebhookInput{SubscriptionURL: in.SubscriptionURL, EventAction: in.EventAction,
		EventObject: in.EventObject, Secret: in.Secret, UserID: in.userID})
}

// listDeliveries pages by id, newest first: `before` (the previous page's
// next_cursor) and `limit`. The page says whether older ones remain.
func (s *Server) listDeliveries(c *gin.Context) {
	id, err := intID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	q := newQuery(c)
	before := q.Int64("before")
	if before != nil && *before < 1 {
		q.errs.Add("before", "must be a delivery id")
	}
	limit := crm.DefaultLimit
	if v := q.Int64("limit"); v != nil {
		if *v < 1 || *v > crm.MaxLimit {
			q.errs.Add("limit", "must be between 1 and "+strconv.Itoa(crm.MaxLimit))
		}
		limit = int(*v)
	}
	if err := q.Err(); err != nil {
		s.fail(c, err)
		return
	}
	var b int64
	if before != nil {
		b = *before
	}
	ctx := c.Request.Context()
	ds, err := s.crm.ListDeliveries(ctx, id, b, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := crm.Page{Start: 0, Limit: limit}
	if len(ds) == limit {
		// A full page: one more look tells whether older ones remain.
		last := ds[len(ds)-1].ID
		more, err := s.crm.ListDeliveries(ctx, id, last, 1)
		if err != nil {
			s.fail(c, err)
			return
		}
		if len(more) > 0 {
			page.More = true
			page.NextCursor = strconv.FormatInt(last, 10)
		}
	}
	s.respondList(c, ds, page, nil)
}
