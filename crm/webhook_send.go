package crm

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The webhook dispatcher (api.md "Webhooks"). Every server runs
// RunWebhooks on the shared database; the outbox rows are the timers
// (DESIGN.md "Timers"): a delivery is due at next_attempt_at and is sent
// by the server whose conditional update claimed it (claimed_until = now +
// a lease), so any number of servers deliver each attempt once. A server
// that dies mid-send leaves the claim to lapse, and another sends the
// delivery again after the lease: receivers see at-least-once delivery and
// can tell a repeat by X-Parley-Delivery.
//
// Order is kept per (webhook, object, entity): only the oldest pending
// delivery of an entity is ever claimed, so the next waits until the one
// before it is delivered or given up. Different entities are sent
// concurrently, so a slow or dead receiver holds up only the entities
// whose head delivery it is failing.
//
// An inactive webhook's pending deliveries are not sent and wait, still
// pending, until the webhook is active again (new changes are not queued
// for it meanwhile). They keep their add_time, so a delivery older than
// WebhookRetryFor when the webhook comes back gets one attempt and is
// given up if that fails. A deleted webhook's deliveries are deleted with
// it.

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Webhook sending parameters.
const (
	// WebhookRetryFor is how long a delivery is retried after it was queued:
	// the last attempt is at add_time + WebhookRetryFor, and if that fails
	// the delivery is failed.
	WebhookRetryFor = 24 * time.Hour
	// WebhookTimeout is the default time a receiver has to answer.
	WebhookTimeout = 10 * time.Second
	// WebhookUserAgent is sent with every delivery.
	WebhookUserAgent = "Parley-Webhooks/1.0"

	webhookLease      = time.Minute      // a claim lasts this long
	webhookBackoff    = 10 * time.Second // the first retry, doubled after each failure
	webhookBackoffMax = time.Hour
	webhookErrMax     = 300 // characters of last_error
	webhookBodyMax    = 200 // bytes of a refusing receiver's body kept in last_error
)

// WebhookSendOpts configures the dispatcher. The zero value is usable.
type WebhookSendOpts struct {
	// Client sends the requests. Default: one that follows no redirects
	// (a 3xx is a failed attempt) with Timeout as its timeout.
	Client *http.Client
	// Timeout bounds each attempt, whatever the Client. Default WebhookTimeout.
	Timeout time.Duration
	// Poll is how often RunWebhooks looks for due deliveries. Default 1 s.
	Poll time.Duration
	// Batch is how many due deliveries one round picks. Default 20.
	Batch int
	// Concurrency is how many entities' deliveries are sent at once. Default 8.
	Concurrency int
	// Log receives RunWebhooks' errors. Default slog.Default().
	Log *slog.Logger
}

func (o WebhookSendOpts) withDefaults() WebhookSendOpts {
	if o.Timeout <= 0 {
		o.Timeout = WebhookTimeout
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout:       o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 20
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// SignWebhook is the X-Parley-Signature of body: "sha256=" and the hex
// HMAC-SHA256 of the exact body bytes keyed with the webhook's secret.
func SignWebhook(secret string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

// RunWebhooks sends due webhook deliveries until ctx ends, looking every
// o.Poll (at once again after a full batch). Rounds overlap: a round does
// not wait for the sends of the one before (those deliveries are claimed,
// so no round picks them twice), and at most o.Concurrency sends run at a
// time. It returns ctx's error once the sends in flight have finished.
func (m *Manager) RunWebhooks(ctx context.Context, o WebhookSendOpts) error {
	d := m.newDispatcher(o)
	d.logErrs = true
	t := time.NewTicker(d.o.Poll)
	defer t.Stop()
	for {
		picked, err := d.round(ctx, min(d.o.Batch, cap(d.slots)-len(d.slots)))
		if err != nil && ctx.Err() == nil {
			d.o.Log.Error("crm: webhooks", "err", err)
		}
		if picked < d.o.Batch {
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
		if ctx.Err() != nil {
			d.wg.Wait()
			return ctx.Err()
		}
	}
}

// SendDueWebhooks runs one round: it picks up to o.Batch due deliveries
// (each the head of its entity's queue), claims and sends them, at most
// o.Concurrency at a time, going on with an entity's next delivery when
// one is delivered, and returns when all are done with the number of
// attempts made. A delivery another server claimed first is skipped.
func (m *Manager) SendDueWebhooks(ctx context.Context, o WebhookSendOpts) (int, error) {
	d := m.newDispatcher(o)
	_, err := d.round(ctx, d.o.Batch)
	d.wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.attempted, errors.Join(append([]error{err}, d.errs...)...)
}

type dispatcher struct {
	m     *Manager
	o     WebhookSendOpts
	slots chan struct{} // a send holds one
	wg    sync.WaitGroup

	logErrs bool // log the sends' errors as they come (RunWebhooks) rather than keep them

	mu        sync.Mutex
	attempted int
	errs      []error
}

func (m *Manager) newDispatcher(o WebhookSendOpts) *dispatcher {
	o = o.withDefaults()
	return &dispatcher{m: m, o: o, slots: make(chan struct{}, o.Concurrency)}
}

type dueDelivery struct {
	ID        int64  `db:"id"`
	WebhookID int64  `db:"webhook_id"`
	Object    string `db:"object"`
	EntityID  string `db:"entity_id"`
}

// round picks up to limit due deliveries and starts one sender per
// entity; it returns how many it picked.
func (d *dispatcher) round(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	now := d.m.nowUTC()
	var due []dueDelivery
	if err := d.m.db.SelectContext(ctx, &due, d.m.sql.Get("due-deliveries"), now, now, limit); err != nil {
		return 0, fmt.Errorf("due webhook deliveries: %w", err)
	}
	for i, dd := range due {
		// The slot is taken before the sender starts, so that a round of
		// RunWebhooks sees the senders of the rounds before as busy.
		select {
		case d.slots <- struct{}{}:
		case <-ctx.Done():
			return i, nil
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer func() { <-d.slots }()
			d.entity(ctx, dd)
		}()
	}
	return len(due), nil
}

// entity sends dd and, while they are delivered, the next deliveries of
// the same entity (up to a batch), one after the other.
func (d *dispatcher) entity(ctx context.Context, dd dueDelivery) {
	id := dd.ID
	for range d.o.Batch {
		delivered, err := d.send(ctx, id)
		if err != nil {
			d.fail(fmt.Errorf("webhook delivery %d: %w", id, err))
			return
		}
		if !delivered || ctx.Err() != nil {
			return
		}
		err = d.m.db.GetContext(ctx, &id, d.m.sql.Get("next-entity-delivery"), dd.WebhookID, dd.Object, dd.EntityID, id)
		if errors.Is(err, sql.ErrNoRows) {
			return
		}
		if err != nil {
			d.fail(fmt.Errorf("next webhook delivery after %d: %w", id, err))
			return
		}
	}
}

func (d *dispatcher) fail(err error) {
	if d.logErrs {
		d.o.Log.Error("crm: webhooks", "err", err)
		return
	}
	d.mu.Lock()
	d.errs = append(d.errs, err)
	d.mu.Unlock()
}

type claimedDelivery struct {
	ID              int64     `db:"id"`
	WebhookID       int64     `db:"webhook_id"`
	Action          string    `db:"action"`
	Object          string    `db:"object"`
	EntityID        string    `db:"entity_id"`
	Data            string    `db:"data"`
	Previous        *string   `db:"previous"`
	Attempts        int       `db:"attempts"`
	AddTime         time.Time `db:"add_time"`
	SubscriptionURL string    `db:"subscription_url"`
	Secret          string    `db:"secret"`
}

// webhookMeta is the "meta" of a delivery's body, in the contract's order.
type webhookMeta struct {
	Action    string `json:"action"`
	Entity    string `json:"entity"`
	EntityID  string `json:"entity_id"`
	ID        string `json:"id"`
	Version   string `json:"version"`
	Attempt   int    `json:"attempt"`
	Timestamp string `json:"timestamp"`
}

type webhookBody struct {
	Meta     webhookMeta     `json:"meta"`
	Data     json.RawMessage `json:"data"`
	Previous json.RawMessage `json:"previous"`
}

// send claims delivery id, makes one attempt and records it. It reports
// whether the delivery is now delivered; a delivery not claimed (another
// server has it, it is not due, or an older one of its entity is pending)
// is neither sent nor an error.
func (d *dispatcher) send(ctx context.Context, id int64) (bool, error) {
	m := d.m
	now := m.nowUTC()
	lease := now.Add(webhookLease)
	res, err := m.db.ExecContext(ctx, m.sql.Get("claim-delivery"), lease, id, now, now)
	if err != nil {
		return false, fmt.Errorf("claim: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("claim: %w", err)
	} else if n == 0 {
		return false, nil
	}
	var c claimedDelivery
	if err := m.db.GetContext(ctx, &c, m.sql.Get("claimed-delivery"), id, lease); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil // the webhook was deleted, and its deliveries with it
		}
		return false, fmt.Errorf("read: %w", err)
	}

	data, prev := json.RawMessage(c.Data), json.RawMessage("null")
	if c.Previous != nil {
		prev = json.RawMessage(*c.Previous)
	}
	body, err := json.Marshal(webhookBody{
		Meta: webhookMeta{
			Action: c.Action, Entity: c.Object, EntityID: c.EntityID, ID: strconv.FormatInt(c.ID, 10),
			Version: "1.0", Attempt: c.Attempts + 1, Timestamp: now.Format(time.RFC3339),
		},
		Data:     data,
		Previous: prev,
	})
	if err != nil {
		// Stored data that is not JSON cannot be sent, ever: give it up.
		err = fmt.Errorf("encode: %w", err)
		_, rerr := m.db.ExecContext(ctx, m.sql.Get("delivery-attempt-failed"), DeliveryFailed, now, nil,
			shortError(err.Error()), now, now, id, lease)
		return false, errors.Join(err, rerr)
	}

	d.mu.Lock()
	d.attempted++
	d.mu.Unlock()
	status, sendErr := d.post(ctx, c, body)
	// What happened is recorded even when ctx ends meanwhile.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if sendErr != nil && ctx.Err() != nil {
		// Shutting down: this attempt says nothing about the receiver. Give
		// the claim back so that another server (or this one, restarted)
		// sends the delivery again at once.
		if _, err := m.db.ExecContext(rctx, m.sql.Get("release-delivery"), id, lease); err != nil {
			return false, fmt.Errorf("release: %w", err)
		}
		return false, nil
	}
	done := m.nowUTC()
	var respStatus *int
	if status != 0 {
		respStatus = &status
	}
	if sendErr == nil {
		_, err := m.db.ExecContext(rctx, m.sql.Get("delivery-delivered"), now, respStatus, done, id, lease)
		if err != nil {
			return false, fmt.Errorf("record: %w", err)
		}
		// A record that matched nothing means the lease ran out and another
		// server has the delivery now: its outcome stands, and it goes on
		// with the entity.
		return true, nil
	}

	// Whole microseconds, as both databases store it (PostgreSQL would round).
	next := done.Add(webhookRetryAfter(c.Attempts + 1)).Truncate(time.Microsecond)
	giveUpAt := c.AddTime.UTC().Add(WebhookRetryFor)
	st, doneAt := DeliveryPending, (*time.Time)(nil)
	if !done.Before(giveUpAt) {
		st, doneAt, next = DeliveryFailed, &done, done
	} else if next.After(giveUpAt) {
		next = giveUpAt // the last attempt is at the deadline
	}
	if _, err := m.db.ExecContext(rctx, m.sql.Get("delivery-attempt-failed"), st, now, respStatus,
		shortError(sendErr.Error()), next, doneAt, id, lease); err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	return false, nil
}

// post makes one attempt: the response status (0 when there was none)
// and nil for a 2xx, else what went wrong.
func (d *dispatcher) post(ctx context.Context, c claimedDelivery, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.SubscriptionURL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", WebhookUserAgent)
	req.Header.Set("X-Parley-Signature", SignWebhook(c.Secret, body))
	req.Header.Set("X-Parley-Delivery", strconv.FormatInt(c.ID, 10))
	resp, err := d.o.Client.Do(req)
	if err != nil {
		var ne net.Error
		if ctx.Err() == context.DeadlineExceeded || (errors.As(err, &ne) && ne.Timeout()) {
			return 0, fmt.Errorf("no answer within %s", d.o.Timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the method and URL
		}
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, webhookBodyMax))
	msg := "HTTP " + strconv.Itoa(resp.StatusCode)
	if s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "")), " "); s != "" {
		msg += ": " + s
	}
	return resp.StatusCode, errors.New(msg)
}

// webhookRetryAfter is the wait after the attempt-th failed attempt:
// 10 s, doubled each time, at most an hour, plus up to a tenth more so
// that the deliveries of a receiver that was down do not all come back in
// the same second.
func webhookRetryAfter(attempt int) time.Duration {
	b := webhookBackoffMax
	if attempt < 20 {
		b = min(webhookBackoff<<(attempt-1), webhookBackoffMax)
	}
	return b + rand.N(b/10+1)
}

// shortError keeps last_error short and valid UTF-8.
func shortError(s string) string {
	if len(s) <= webhookErrMax {
		return s
	}
	s = s[:webhookErrMax]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
