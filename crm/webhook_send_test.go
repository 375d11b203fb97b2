package crm_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// whClock is a clock the test moves.
type whClock struct {
	mu sync.Mutex
	t  time.Time
}

func newWHClock() *whClock { return &whClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *whClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *whClock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *whClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func whManager(t *testing.T, db *schema.DB, clock *whClock) *crm.Manager {
	t.Helper()
	m, err := crm.New(context.Background(), crm.Opts{DB: db, BcryptCost: bcrypt.MinCost, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// whHit is one request a receiver got.
type whHit struct {
	Header http.Header
	Body   []byte
	Meta   struct {
		Action    string `json:"action"`
		Entity    string `json:"entity"`
		EntityID  string `json:"entity_id"`
		ID        string `json:"id"`
		Version   string `json:"version"`
		Attempt   int    `json:"attempt"`
		Timestamp string `json:"timestamp"`
	}
	Data     map[string]any
	Previous json.RawMessage
}

// whReceiver is a webhook receiver recording what it gets; answer (called
// with the hit's 1-based number) gives the status to reply with.
type whReceiver struct {
	*httptest.Server
	t      *testing.T
	answer func(n int, h whHit) int
	mu     sync.Mutex
	hits   []whHit
}

func newWHReceiver(t *testing.T, answer func(n int, h whHit) int) *whReceiver {
	r := &whReceiver{t: t, answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var h whHit
		var env struct {
			Meta     json.RawMessage `json:"meta"`
			Data     map[string]any  `json:"data"`
			Previous json.RawMessage `json:"previous"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Errorf("receiver: body %q: %v", b, err)
		}
		json.Unmarshal(env.Meta, &h.Meta)
		h.Header, h.Body, h.Data, h.Previous = req.Header.Clone(), b, env.Data, env.Previous
		r.mu.Lock()
		r.hits = append(r.hits, h)
		n := len(r.hits)
		r.mu.Unlock()
		code := 200
		if r.answer != nil {
			code = r.answer(n, h)
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "answer %d", code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *whReceiver) Hits() []whHit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]whHit(nil), r.hits...)
}

// whHook subscribes url to everything.
func whHook(t *testing.T, m *crm.Manager, url, secret string) crm.Webhook {
	t.Helper()
	w, err := m.CreateWebhook(context.Background(), crm.WebhookInput{SubscriptionURL: url, EventAction: "*", EventObject: "*", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// whEnqueue writes a delivery as the outbox does (crm's changed).
func whEnqueue(t *testing.T, db *schema.DB, webhookID int64, object, entityID string, at time.Time) int64 {
	t.Helper()
	var id int64
	err := db.QueryRowx(db.Rebind(`INSERT INTO webhook_deliveries (webhook_id, action, object, entity_id, data, previous, next_attempt_at, add_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		webhookID, crm.ActionChange, object, entityID, `{"id":`+strconv.Quote(entityID)+`}`, `{"name":"old"}`, at.UTC(), at.UTC()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func whDelivery(t *testing.T, m *crm.Manager, webhookID, id int64) crm.Delivery {
	t.Helper()
	ds, err := m.ListDeliveries(context.Background(), webhookID, id+1, 1)
	if err != nil || len(ds) != 1 || ds[0].ID != id {
		t.Fatalf("delivery %d: %+v %v", id, ds, err)
	}
	return ds[0]
}

func whRound(t *testing.T, m *crm.Manager, o crm.WebhookSendOpts, want int) {
	t.Helper()
	n, err := m.SendDueWebhooks(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("round attempted %d deliveries, want %d", n, want)
	}
}

// A delivery is a signed POST the receiver can verify with the secret,
// carrying the change (data, and previous for a change) and the meta of
// the contract; it is recorded as delivered.
func TestWebhookSignedPayload(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		ctx := context.Background()
		clock := newWHClock()
		m := whManager(t, db, clock)
		const secret = "a-secret-of-some-length"
		rcv := newWHReceiver(t, nil)
		wh, err := m.CreateWebhook(ctx, crm.WebhookInput{SubscriptionURL: rcv.URL + "/hook", EventAction: "*", EventObject: "person", Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.CreatePerson(ctx, crm.PersonInput{Name: "Ada Lovelace"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.UpdatePerson(ctx, p.ID, crm.PersonPatch{Name: ptr("Ada King")}); err != nil {
			t.Fatal(err)
		}
		// One round sends both, the change after the create.
		whRound(t, m, crm.WebhookSendOpts{}, 2)
		hits := rcv.Hits()
		if len(hits) != 2 {
			t.Fatalf("%d hits, want 2", len(hits))
		}
		ds, err := m.ListDeliveries(ctx, wh.ID, 0, 0)
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries %+v %v", ds, err)
		}
		for i, h := range hits {
			d := ds[len(ds)-1-i] // newest first
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write(h.Body)
			if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(h.Header.Get("X-Parley-Signature")), []byte(want)) {
				t.Fatalf("hit %d: signature %q, want %q over %s", i, h.Header.Get("X-Parley-Signature"), want, h.Body)
			}
			if ct, ua := h.Header.Get("Content-Type"), h.Header.Get("User-Agent"); ct != "application/json" || ua != "Parley-Webhooks/1.0" {
				t.Fatalf("hit %d: Content-Type %q, User-Agent %q", i, ct, ua)
			}
			id := strconv.FormatInt(d.ID, 10)
			if h.Header.Get("X-Parley-Delivery") != id {
				t.Fatalf("hit %d: X-Parley-Delivery %q, want %s", i, h.Header.Get("X-Parley-Delivery"), id)
			}
			mt := h.Meta
			wantAction := []string{crm.ActionCreate, crm.ActionChange}[i]
			if mt.Action != wantAction || mt.Entity != "person" || mt.EntityID != strconv.FormatInt(p.ID, 10) || mt.ID != id ||
				mt.Version != "1.0" || mt.Attempt != 1 || mt.Timestamp != clock.Now().Format(time.RFC3339) {
				t.Fatalf("hit %d: meta %+v, want %s of person %d, delivery %s, attempt 1 at %s", i, mt, wantAction, p.ID, id, clock.Now().Format(time.RFC3339))
			}
			if h.Data["id"] != float64(p.ID) || h.Data["name"] != []string{"Ada Lovelace", "Ada King"}[i] {
				t.Fatalf("hit %d: data %v", i, h.Data)
			}
			if d.Status != crm.DeliveryDelivered || d.Attempts != 1 || d.ResponseStatus == nil || *d.ResponseStatus != 200 ||
				d.DoneAt == nil || !d.DoneAt.Equal(clock.Now()) || d.LastError != "" {
				t.Fatalf("delivery %d after a 200: %+v", d.ID, d)
			}
		}
		if string(hits[0].Previous) != "null" {
			t.Fatalf("a create's previous: %s, want null", hits[0].Previous)
		}
		var prev map[string]any
		if err := json.Unmarshal(hits[1].Previous, &prev); err != nil || prev["name"] != "Ada Lovelace" {
			t.Fatalf("a change's previous: %s %v", hits[1].Previous, err)
		}
		whRound(t, m, crm.WebhookSendOpts{}, 0) // delivered is done
	})
}

// A refused delivery is retried with backoff: not before next_attempt_at,
// then again until the receiver takes it.
func TestWebhookRetry(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		clock := newWHClock()
		m := whManager(t, db, clock)
		rcv := newWHReceiver(t, func(n int, _ whHit) int {
			if n <= 2 {
				return 500
			}
			return 200
		})
		wh := whHook(t, m, rcv.URL, "")
		t0 := clock.Now()
		id := whEnqueue(t, db, wh.ID, "lead", "7f0c", t0)

		whRound(t, m, crm.WebhookSendOpts{}, 1)
		d := whDelivery(t, m, wh.ID, id)
		if d.Status != crm.DeliveryPending || d.Attempts != 1 || d.ResponseStatus == nil || *d.ResponseStatus != 500 ||
			!strings.Contains(d.LastError, "500") || d.DoneAt != nil || d.LastAttemptAt == nil || !d.LastAttemptAt.Equal(t0) {
			t.Fatalf("after a 500: %+v", d)
		}
		if wait := d.NextAttemptAt.Sub(t0); wait < 10*time.Second || wait > 11*time.Second {
			t.Fatalf("first retry in %s, want 10 s (+ jitter)", wait)
		}
		clock.Set(t0.Add(9 * time.Second))
		whRound(t, m, crm.WebhookSendOpts{}, 0)

		clock.Set(t0.Add(12 * time.Second))
		whRound(t, m, crm.WebhookSendOpts{}, 1)
		d = whDelivery(t, m, wh.ID, id)
		if d.Status != crm.DeliveryPending || d.Attempts != 2 || *d.ResponseStatus != 500 {
			t.Fatalf("after a second 500: %+v", d)
		}
		if wait := d.NextAttemptAt.Sub(clock.Now()); wait < 20*time.Second || wait > 22*time.Second {
			t.Fatalf("second retry in %s, want 20 s (+ jitter)", wait)
		}
		clock.Add(19 * time.Second)
		whRound(t, m, crm.WebhookSendOpts{}, 0)

		clock.Add(4 * time.Second)
		whRound(t, m, crm.WebhookSendOpts{}, 1)
		d = whDelivery(t, m, wh.ID, id)
		if d.Status != crm.DeliveryDelivered || d.Attempts != 3 || *d.ResponseStatus != 200 || d.DoneAt == nil || d.LastError != "" {
			t.Fatalf("after the 200: %+v", d)
		}
		hits := rcv.Hits()
		if len(hits) != 3 {
			t.Fatalf("%d hits, want 3", len(hits))
		}
		for i, h := range hits {
			if h.Meta.Attempt != i+1 || h.Meta.ID != strconv.FormatInt(id, 10) {
				t.Fatalf("hit %d: meta %+v, want attempt %d", i, h.Meta, i+1)
			}
		}
		clock.Add(time.Hour)
		whRound(t, m, crm.WebhookSendOpts{}, 0)
	})
}

// Deliveries of one entity go in order: the next waits while the one
// before is refused. Other entities, and other webhooks on the same
// entity, are not held up.
func TestWebhookOrderPerEntity(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		clock := newWHClock()
		m := whManager(t, db, clock)
		var refuse atomic.Int64 // this delivery's first attempt is refused
		rcv := newWHReceiver(t, func(n int, h whHit) int {
			if h.Meta.ID == strconv.FormatInt(refuse.Load(), 10) && h.Meta.Attempt == 1 {
				return 503
			}
			return 204
		})
		other := newWHReceiver(t, nil)
		wh := whHook(t, m, rcv.URL, "")
		wh2 := whHook(t, m, other.URL, "")
		t0 := clock.Now()
		a := whEnqueue(t, db, wh.ID, "deal", "7", t0)
		b := whEnqueue(t, db, wh.ID, "deal", "7", t0)
		c := whEnqueue(t, db, wh.ID, "deal", "8", t0)
		d := whEnqueue(t, db, wh2.ID, "deal", "7", t0)
		refuse.Store(a)

		whRound(t, m, crm.WebhookSendOpts{}, 3) // a (refused), c, d; not b
		sent := map[string]int{}
		for _, h := range append(rcv.Hits(), other.Hits()...) {
			sent[h.Meta.ID]++
		}
		ids := func(xs ...int64) (s []string) {
			for _, x := range xs {
				s = append(s, strconv.FormatInt(x, 10))
			}
			return s
		}
		want := ids(a, b, c, d)
		if sent[want[0]] != 1 || sent[want[1]] != 0 || sent[want[2]] != 1 || sent[want[3]] != 1 {
			t.Fatalf("first round sent %v; want a, c, d once and not b (a=%d b=%d c=%d d=%d)", sent, a, b, c, d)
		}
		if st := whDelivery(t, m, wh.ID, b); st.Status != crm.DeliveryPending || st.Attempts != 0 {
			t.Fatalf("b behind a refused a: %+v", st)
		}
		clock.Add(5 * time.Second) // a not due yet, so b still waits
		whRound(t, m, crm.WebhookSendOpts{}, 0)

		clock.Add(7 * time.Second)
		whRound(t, m, crm.WebhookSendOpts{}, 2) // a, then b
		var got []string
		for _, h := range rcv.Hits() {
			if h.Meta.EntityID == "7" {
				got = append(got, h.Meta.ID)
			}
		}
		if strings.Join(got, ",") != strings.Join(ids(a, a, b), ",") {
			t.Fatalf("entity 7 got %v, want a, a, b (%v)", got, ids(a, b))
		}
		for _, x := range []int64{a, b, c} {
			if st := whDelivery(t, m, wh.ID, x); st.Status != crm.DeliveryDelivered || *st.ResponseStatus != 204 {
				t.Fatalf("delivery %d: %+v", x, st)
			}
		}
	})
}

// Two servers sending the same due deliveries at once send each exactly
// once, and an entity's deliveries one at a time in order.
func TestWebhookExactlyOnce(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		clock := newWHClock()
		m1 := whManager(t, db, clock)
		db2, err := schema.Open(db.URL) // the second server's own connections
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db2.Close() })
		m2 := whManager(t, db2, clock)

		var mu sync.Mutex
		count := map[string]int{}
		inFlight := map[string]int{}
		last := map[string]int{}
		rcv := newWHReceiver(t, func(_ int, h whHit) int {
			id, _ := strconv.Atoi(h.Meta.ID)
			mu.Lock()
			count[h.Meta.ID]++
			inFlight[h.Meta.EntityID]++
			if inFlight[h.Meta.EntityID] > 1 {
				t.Errorf("entity %s: two deliveries at once", h.Meta.EntityID)
			}
			if id < last[h.Meta.EntityID] {
				t.Errorf("entity %s: delivery %d after %d", h.Meta.EntityID, id, last[h.Meta.EntityID])
			}
			last[h.Meta.EntityID] = id
			mu.Unlock()
			time.Sleep(3 * time.Millisecond)
			mu.Lock()
			inFlight[h.Meta.EntityID]--
			mu.Unlock()
			return 200
		})
		wh := whHook(t, m1, rcv.URL, "")
		const entities, each = 12, 4
		var ids []int64
		for range each {
			for e := range entities {
				ids = append(ids, whEnqueue(t, db, wh.ID, "person", strconv.Itoa(e), clock.Now()))
			}
		}

		start := make(chan struct{})
		var wg sync.WaitGroup
		var total [2]int
		for i, m := range []*crm.Manager{m1, m2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				o := crm.WebhookSendOpts{Batch: 5, Concurrency: 4}
				for range 200 {
					n, err := m.SendDueWebhooks(context.Background(), o)
					if err != nil {
						t.Error(err)
						return
					}
					total[i] += n
					var left int
					if err := db.Get(&left, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`); err != nil {
						t.Error(err)
						return
					}
					if left == 0 {
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		for _, id := range ids {
			if n := count[strconv.FormatInt(id, 10)]; n != 1 {
				t.Errorf("delivery %d sent %d times", id, n)
			}
			if d := whDelivery(t, m1, wh.ID, id); d.Status != crm.DeliveryDelivered || d.Attempts != 1 {
				t.Errorf("delivery %d: %+v", id, d)
			}
		}
		if total[0]+total[1] != len(ids) {
			t.Errorf("attempts counted %d + %d, want %d in all", total[0], total[1], len(ids))
		}
		t.Logf("server 1 sent %d, server 2 sent %d", total[0], total[1])
	})
}

// A delivery refused for 24 hours is given up: failed, and not sent again.
func TestWebhookGiveUp(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		clock := newWHClock()
		m := whManager(t, db, clock)
		rcv := newWHReceiver(t, func(int, whHit) int { return 503 })
		wh := whHook(t, m, rcv.URL, "")
		t0 := clock.Now()
		deadline := t0.Add(24 * time.Hour)
		id := whEnqueue(t, db, wh.ID, "note", "1", t0)
		prevWait := time.Duration(0)
		var d crm.Delivery
		for i := 0; ; i++ {
			if i > 100 {
				t.Fatalf("still %s after %d rounds: %+v", d.Status, i, d)
			}
			whRound(t, m, crm.WebhookSendOpts{}, 1)
			d = whDelivery(t, m, wh.ID, id)
			if d.Status != crm.DeliveryPending {
				break
			}
			if clock.Now().Compare(deadline) >= 0 {
				t.Fatalf("still pending at %s, 24 h after it was queued: %+v", clock.Now(), d)
			}
			// The wait doubles (with jitter of up to a tenth) up to an hour;
			// the last attempt is at the deadline.
			wait := d.NextAttemptAt.Sub(clock.Now())
			if d.NextAttemptAt.After(deadline) || wait > time.Hour+6*time.Minute+time.Second ||
				(wait*11/10 < prevWait && !d.NextAttemptAt.Equal(deadline)) {
				t.Fatalf("attempt %d at %s: next in %s (before: %s), deadline %s", d.Attempts, clock.Now(), wait, prevWait, deadline)
			}
			prevWait = wait
			clock.Set(d.NextAttemptAt.Add(-time.Second)) // not due yet
			whRound(t, m, crm.WebhookSendOpts{}, 0)
			clock.Set(d.NextAttemptAt)
		}
		if d.Status != crm.DeliveryFailed || d.DoneAt == nil || d.DoneAt.Before(deadline) || *d.ResponseStatus != 503 {
			t.Fatalf("after 24 h: %+v", d)
		}
		if d.Attempts < 25 || d.Attempts > 40 || len(rcv.Hits()) != d.Attempts {
			t.Fatalf("%d attempts (%d hits), want about 32 (backoff doubling from 10 s to 1 h)", d.Attempts, len(rcv.Hits()))
		}
		clock.Add(time.Hour)
		whRound(t, m, crm.WebhookSendOpts{}, 0)
	})
}

// An inactive webhook's deliveries wait, pending, and go when it is active
// again; a redirect is not followed; a receiver that does not answer in
// time is a failed attempt and holds up no one else.
func TestWebhookInactiveRedirectSlow(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		ctx := context.Background()
		clock := newWHClock()
		m := whManager(t, db, clock)

		rcv := newWHReceiver(t, nil)
		wh := whHook(t, m, rcv.URL, "")
		id := whEnqueue(t, db, wh.ID, "lead", "1", clock.Now())
		off, on := false, true
		if _, err := m.UpdateWebhook(ctx, wh.ID, crm.WebhookPatch{Active: &off}); err != nil {
			t.Fatal(err)
		}
		whRound(t, m, crm.WebhookSendOpts{}, 0)
		clock.Add(time.Hour)
		whRound(t, m, crm.WebhookSendOpts{}, 0)
		if d := whDelivery(t, m, wh.ID, id); d.Status != crm.DeliveryPending || d.Attempts != 0 || len(rcv.Hits()) != 0 {
			t.Fatalf("inactive webhook's delivery: %+v, %d hits", d, len(rcv.Hits()))
		}
		if _, err := m.UpdateWebhook(ctx, wh.ID, crm.WebhookPatch{Active: &on}); err != nil {
			t.Fatal(err)
		}
		whRound(t, m, crm.WebhookSendOpts{}, 1)
		if d := whDelivery(t, m, wh.ID, id); d.Status != crm.DeliveryDelivered || len(rcv.Hits()) != 1 {
			t.Fatalf("reactivated webhook's delivery: %+v, %d hits", d, len(rcv.Hits()))
		}

		target := newWHReceiver(t, nil)
		redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
		t.Cleanup(redirect.Close)
		rwh := whHook(t, m, redirect.URL, "")
		rid := whEnqueue(t, db, rwh.ID, "lead", "2", clock.Now())
		whRound(t, m, crm.WebhookSendOpts{}, 1)
		if d := whDelivery(t, m, rwh.ID, rid); d.Status != crm.DeliveryPending || d.ResponseStatus == nil || *d.ResponseStatus != 302 || len(target.Hits()) != 0 {
			t.Fatalf("redirected delivery: %+v, target hit %d times", d, len(target.Hits()))
		}

		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(slow.Close)
		t.Cleanup(func() { close(release) }) // before slow.Close
		fastHit := make(chan struct{}, 1)
		fast := newWHReceiver(t, func(int, whHit) int { fastHit <- struct{}{}; return 200 })
		swh, fwh := whHook(t, m, slow.URL, ""), whHook(t, m, fast.URL, "")
		sid := whEnqueue(t, db, swh.ID, "lead", "3", clock.Now())
		fid := whEnqueue(t, db, fwh.ID, "lead", "3", clock.Now())
		clock.Add(time.Hour) // the redirected one is due again too
		done := make(chan error, 1)
		go func() {
			_, err := m.SendDueWebhooks(ctx, crm.WebhookSendOpts{Timeout: 2 * time.Second})
			done <- err
		}()
		select {
		case <-fastHit:
		case <-time.After(5 * time.Second):
			t.Fatal("the fast receiver waited for the slow one")
		}
		select {
		case err := <-done:
			t.Fatalf("the round ended (%v) before the slow receiver's timeout", err)
		default:
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if d := whDelivery(t, m, fwh.ID, fid); d.Status != crm.DeliveryDelivered {
			t.Fatalf("fast delivery: %+v", d)
		}
		d := whDelivery(t, m, swh.ID, sid)
		if d.Status != crm.DeliveryPending || d.Attempts != 1 || d.ResponseStatus != nil || !strings.Contains(d.LastError, "no answer within") {
			t.Fatalf("slow delivery: %+v", d)
		}
	})
}

// RunWebhooks keeps sending until its context ends, then returns.
func TestRunWebhooks(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		m, err := crm.New(context.Background(), crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 10)
		rcv := newWHReceiver(t, func(_ int, h whHit) int { got <- h.Meta.EntityID; return 200 })
		wh := whHook(t, m, rcv.URL, "")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.RunWebhooks(ctx, crm.WebhookSendOpts{Poll: 20 * time.Millisecond}) }()
		for _, e := range []string{"a", "b"} {
			whEnqueue(t, db, wh.ID, "lead", e, time.Now())
			select {
			case id := <-got:
				if id != e {
					t.Fatalf("got %s, want %s", id, e)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("delivery of %s not sent", e)
			}
		}
		cancel()
		select {
		case err := <-done:
			if err != context.Canceled {
				t.Fatalf("RunWebhooks returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("RunWebhooks did not return")
		}
	})
}
