package crm

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// Webhooks (api.md "Webhooks"): an integrator subscribes a URL to an
// object and an action; every change of a matching entity is written to
// the outbox (webhook_deliveries) in the transaction of the change, and
// the dispatcher (webhook_send.go) delivers it, signed, retried for 24 h,
// in order per entity.

// Webhook objects and actions.
const (
	ActionCreate = "create"
	ActionChange = "change"
	ActionDelete = "delete"
)

// WebhookObjects are the objects a webhook can follow ("*": all).
var WebhookObjects = []string{"lead", "deal", "person", "organization", "activity", "note"}

// Webhook is one subscription.
type Webhook struct {
	ID              int64     `db:"id" json:"id"`
	SubscriptionURL string    `db:"subscription_url" json:"subscription_url"`
	EventAction     string    `db:"event_action" json:"event_action"`
	EventObject     string    `db:"event_object" json:"event_object"`
	Secret          string    `db:"secret" json:"secret"` // signs every delivery (X-Parley-Signature)
	Active          bool      `db:"active" json:"active"`
	UserID          *int64    `db:"user_id" json:"user_id"`
	AddTime         time.Time `db:"add_time" json:"add_time"`
	UpdateTime      time.Time `db:"update_time" json:"update_time"`
}

// WebhookInput creates a webhook; Secret is generated when empty.
type WebhookInput struct {
	SubscriptionURL string `json:"subscription_url"`
	EventAction     string `json:"event_action"`
	EventObject     string `json:"event_object"`
	Secret          string `json:"secret"`
	UserID          *int64 `json:"user_id"`
}

// WebhookPatch changes a webhook.
type WebhookPatch struct {
	SubscriptionURL *string `json:"subscription_url"`
	EventAction     *string `json:"event_action"`
	EventObject     *string `json:"event_object"`
	Active          *bool   `json:"active"`
}

// Delivery is one attempt series of one change to one webhook.
type Delivery struct {
	ID             int64      `db:"id" json:"id"`
	WebhookID      int64      `db:"webhook_id" json:"webhook_id"`
	Action         string     `db:"action" json:"action"`
	Object         string     `db:"object" json:"object"`
	EntityID       string     `db:"entity_id" json:"entity_id"`
	Status         string     `db:"status" json:"status"` // pending | delivered | failed
	Attempts       int        `db:"attempts" json:"attempts"`
	NextAttemptAt  time.Time  `db:"next_attempt_at" json:"next_attempt_at"`
	LastAttemptAt  *time.Time `db:"last_attempt_at" json:"last_attempt_at"`
	ResponseStatus *int       `db:"response_status" json:"response_status"`
	LastError      string     `db:"last_error" json:"last_error"`
	AddTime        time.Time  `db:"add_time" json:"add_time"`
	DoneAt         *time.Time `db:"done_at" json:"done_at"`
}

func checkWebhook(p *Problems, u, action, object string) {
	pu, err := url.Parse(u)
	switch {
	case strings.TrimSpace(u) == "":
		p.Add("subscription_url", "is required")
	case err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "":
		p.Add("subscription_url", "must be an http:// or https:// URL")
	case len(u) > 2000:
		p.Add("subscription_url", "must be at most 2000 characters")
	}
	switch action {
	case ActionCreate, ActionChange, ActionDelete, "*":
	default:
		p.Add("event_action", "must be create, change, delete or *")
	}
	ok := object == "*"
	for _, o := range WebhookObjects {
		ok = ok || o == object
	}
	if !ok {
		p.Add("event_object", "must be one of "+strings.Join(WebhookObjects, ", ")+" or *")
	}
}

// CreateWebhook adds a subscription.
func (m *Manager) CreateWebhook(ctx context.Context, in WebhookInput) (Webhook, error) {
	var p Problems
	in.SubscriptionURL = strings.TrimSpace(in.SubscriptionURL)
	checkWebhook(&p, in.SubscriptionURL, in.EventAction, in.EventObject)
	if in.Secret == "" {
		var b [24]byte
		rand.Read(b[:])
		in.Secret = hex.EncodeToString(b[:])
	} else if len(in.Secret) < 16 || len(in.Secret) > 200 {
		p.Add("secret", "must be 16 to 200 characters")
	}
	if err := p.Err(); err != nil {
		return Webhook{}, err
	}
	now := m.nowUTC()
	id, err := insertID[int64](ctx, m, "insert-webhook", "webhook", in.SubscriptionURL, in.EventAction, in.EventObject, in.Secret, true, in.UserID, now, now)
	if err != nil {
		return Webhook{}, err
	}
	return m.GetWebhook(ctx, id)
}

// GetWebhook returns one subscription.
func (m *Manager) GetWebhook(ctx context.Context, id int64) (Webhook, error) {
	var w Webhook
	if err := m.q.GetContext(ctx, &w, m.sql.Get("get-webhook"), id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Webhook{}, notFound("webhook", id)
		}
		return Webhook{}, fmt.Errorf("get webhook: %w", err)
	}
	w.AddTime, w.UpdateTime = w.AddTime.UTC(), w.UpdateTime.UTC()
	return w, nil
}

// ListWebhooks returns every subscription.
func (m *Manager) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	ws := []Webhook{}
	if err := m.q.SelectContext(ctx, &ws, m.sql.Get("list-webhooks")); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return ws, nil
}

// UpdateWebhook applies a patch.
func (m *Manager) UpdateWebhook(ctx context.Context, id int64, pt WebhookPatch) (Webhook, error) {
	err := m.InTx(ctx, func(m *Manager) error {
		w, err := m.GetWebhook(ctx, id)
		if err != nil {
			return err
		}
		if pt.SubscriptionURL != nil {
			w.SubscriptionURL = strings.TrimSpace(*pt.SubscriptionURL)
		}
		if pt.EventAction != nil {
			w.EventAction = *pt.EventAction
		}
		if pt.EventObject != nil {
			w.EventObject = *pt.EventObject
		}
		if pt.Active != nil {
			w.Active = *pt.Active
		}
		var p Problems
		checkWebhook(&p, w.SubscriptionURL, w.EventAction, w.EventObject)
		if err := p.Err(); err != nil {
			return err
		}
		return m.exec(ctx, "update-webhook", "update webhook", w.SubscriptionURL, w.EventAction, w.EventObject, w.Active, m.nowUTC(), id)
	})
	if err != nil {
		return Webhook{}, err
	}
	return m.GetWebhook(ctx, id)
}

// DeleteWebhook removes a subscription and its deliveries.
func (m *Manager) DeleteWebhook(ctx context.Context, id int64) error {
	return m.deleteOne(ctx, "delete-webhook", "webhook", id)
}

// ListDeliveries pages through a webhook's deliveries, newest first: those
// with an id below before (0: from the newest), at most limit (≤ 500).
func (m *Manager) ListDeliveries(ctx context.Context, webhookID, before int64, limit int) ([]Delivery, error) {
	if _, err := m.GetWebhook(ctx, webhookID); err != nil {
		return nil, err
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	ds := []Delivery{}
	if err := m.q.SelectContext(ctx, &ds, m.sql.Get("list-deliveries"), webhookID, before, limit); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return ds, nil
}

// changed writes the deliveries of one change (object, action, entity id)
// for every webhook that wants it. It must run in the transaction of the
// change (callers are inside InTx): the change and its deliveries commit
// together or not at all. data is the entity as it is now (as it was, for
// a delete); before, for a change, is the entity before it, of which the
// changed fields go out as "previous".
func (m *Manager) changed(ctx context.Context, object, action string, id any, data, before any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("webhook data: %w", err)
	}
	var prev *string
	if before != nil {
		p, err := previousFields(before, data)
		if err != nil {
			return err
		}
		if len(p) == 0 {
			return nil // nothing visible changed
		}
		pb, _ := json.Marshal(p)
		s := string(pb)
		prev = &s
	}
	now := m.nowUTC()
	if _, err := m.q.ExecContext(ctx, m.sql.Get("enqueue-deliveries"), action, object, fmt.Sprint(id), string(b), prev, now, now, object, action); err != nil {
		return fmt.Errorf("enqueue webhook deliveries: %w", err)
	}
	return nil
}

// previousFields is the old values of the top-level JSON fields that differ
// between before and after (update_time aside: it always moves).
func previousFields(before, after any) (map[string]any, error) {
	var bm, am map[string]any
	for _, x := range []struct {
		v   any
		out *map[string]any
	}{{before, &bm}, {after, &am}} {
		b, err := json.Marshal(x.v)
		if err != nil {
			return nil, fmt.Errorf("webhook previous: %w", err)
		}
		if err := json.Unmarshal(b, x.out); err != nil {
			return nil, fmt.Errorf("webhook previous: %w", err)
		}
	}
	out := map[string]any{}
	for k, v := range bm {
		if k == "update_time" {
			continue
		}
		if !reflect.DeepEqual(v, am[k]) {
			out[k] = v
		}
	}
	return out, nil
}
