package livechat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/parley/parley/schema"
)

// PGBusOpts configures a PostgreSQL bus.
type PGBusOpts struct {
	DB *schema.DB // a PostgreSQL handle; NOTIFY and the re-reads go through its pool
	// URL is what the dedicated LISTEN connection dials; defaults to DB.URL.
	URL     string
	Channel string // the NOTIFY channel; defaults to "parley_events"
	Logger  *slog.Logger
	// PollInterval is how often the bus re-reads recent events from the
	// database, the fallback for a lost notification; defaults to 1s.
	PollInterval time.Duration
	// CommitMargin bounds how long a transaction storing events may take
	// between taking its event id and committing; the poll looks back that
	// far so an event committed late is not skipped. Defaults to 5s.
	CommitMargin time.Duration
}

// PGBus is the Bus for several servers on one PostgreSQL database.
//
// The events are already stored (with their conversation, in the same
// transaction) when Publish is called, so a notification only has to wake
// the other servers: its payload is the frame's metadata and event id, and
// the receiver reads the event from the database by id (a big event never
// meets NOTIFY's 8000-byte limit). Frames that are not stored (typing,
// presence, page, conversation.* notes) travel inline in the payload.
//
// A frame is delivered to this process's listeners at once, then notified
// to the others. Each process delivers the stored events of a conversation
// exactly once and in seq order, whichever path brought them (its own
// publish, a notification, the poll, the replay after a reconnect): a
// gap is filled from the database first, a seq already delivered is
// skipped. When lib/pq's Listener reconnects it sends a nil notification,
// and the bus re-reads every event after the last it can vouch for; a poll
// every PollInterval does the same, for notifications that were never sent
// (a sender that lost its connection).
type PGBus struct {
	db      *schema.DB
	log     *slog.Logger
	channel string
	url     string
	origin  string // this bus's id, in every payload it sends
	// ownPrefix starts every payload this bus sends.
	ownPrefix string
	poll      time.Duration
	margin    time.Duration

	mu      sync.RWMutex
	deliver []func(Frame)

	out chan []byte // payloads for the sender

	convMu sync.Mutex
	convs  map[string]*convCursor
	floor  int64 // no event at or below this id is ever re-read (the max id at start)

	maxSeen atomic.Int64  // highest event id delivered by any path
	low     atomic.Int64  // the poll's lower bound: every event at or below it was delivered
	n       atomic.Uint64 // numbers payloads
	markMu  sync.Mutex
	marks   []mark // (time, maxSeen) samples for the poll's lower bound
	lastOK  time.Time

	replay chan struct{} // asks the poller for an immediate re-read
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stats  busCounters
	ln     *pq.Listener
}

type convCursor struct {
	mu   sync.Mutex
	last int64 // highest seq delivered
	seen time.Time
}

type mark struct {
	at time.Time
	id int64
}

type busCounters struct {
	published, notified, notifyErrors, received, ownSkipped, readByID atomic.Int64
	polled, gapFilled, duplicates, reconnects, dropped                atomic.Int64
}

// BusStats counts what a PGBus did, for tests and benchmarks.
type BusStats struct {
	Published    int64 // frames published by this process
	Notified     int64 // payloads sent with NOTIFY
	NotifyErrors int64 // NOTIFY statements that failed (the poll recovers stored events)
	Received     int64 // notifications received from other processes
	ReadByID     int64 // events read by id after a notification
	Polled       int64 // events the poll or a replay delivered (missed by notifications)
	GapFilled    int64 // events delivered early to keep seq order
	Duplicates   int64 // stored events skipped because they were already delivered
	Reconnects   int64 // nil notifications (the listener reconnected)
	Dropped      int64 // inline frames too big for NOTIFY, not sent to other servers
}

// Stats returns the bus's counters.
func (b *PGBus) Stats() BusStats {
	c := &b.stats
	return BusStats{c.published.Load(), c.notified.Load(), c.notifyErrors.Load(), c.received.Load(), c.readByID.Load(),
		c.polled.Load(), c.gapFilled.Load(), c.duplicates.Load(), c.reconnects.Load(), c.dropped.Load()}
}

// ListenerName is the application_name of the bus's LISTEN connection
// (pg_stat_activity shows it), so an operator or a test can find it.
func (b *PGBus) ListenerName() string { return "parley-bus-" + b.origin }

const maxPayload = 7900 // NOTIFY's limit is 8000 bytes

// NewPGBus connects the LISTEN connection and starts the bus's goroutines;
// Close stops them. Pass the bus as Opts.Bus to livechat.New.
func NewPGBus(ctx context.Context, o PGBusOpts) (*PGBus, error) {
	if o.DB == nil || o.DB.Dialect != schema.Postgres {
		return nil, errors.New("livechat: the PostgreSQL bus needs a PostgreSQL database")
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	b := &PGBus{db: o.DB, log: o.Logger, channel: o.Channel, url: o.URL, origin: hex.EncodeToString(rnd[:]),
		poll: o.PollInterval, margin: o.CommitMargin, out: make(chan []byte, 8192),
		convs: map[string]*convCursor{}, replay: make(chan struct{}, 1)}
	b.ownPrefix = `{"o":"` + b.origin + `",`
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.channel == "" {
		b.channel = "parley_events"
	}
	if b.url == "" {
		b.url = o.DB.URL
	}
	if b.poll <= 0 {
		b.poll = time.Second
	}
	if b.margin <= 0 {
		b.margin = 5 * time.Second
	}
	if err := b.db.QueryRowxContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM conversation_events`).Scan(&b.floor); err != nil {
		return nil, fmt.Errorf("livechat: bus start: %w", err)
	}
	b.maxSeen.Store(b.floor)
	b.low.Store(b.floor)
	now := time.Now()
	b.marks = []mark{{now, b.floor}}
	b.lastOK = now

	dsn, err := withAppName(b.url, b.ListenerName())
	if err != nil {
		return nil, fmt.Errorf("livechat: bus: %w", err)
	}
	b.ln = pq.NewListener(dsn, 50*time.Millisecond, 2*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			b.log.Warn("livechat: bus listener disconnected", "err", err)
		case pq.ListenerEventReconnected:
			b.log.Info("livechat: bus listener reconnected")
		case pq.ListenerEventConnectionAttemptFailed:
			b.log.Warn("livechat: bus listener cannot connect", "err", err)
		}
	})
	if err := b.ln.Listen(b.channel); err != nil {
		b.ln.Close()
		return nil, fmt.Errorf("livechat: bus listen: %w", err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.wg.Add(3)
	go func() { defer b.wg.Done(); b.sender(rctx) }()
	go func() { defer b.wg.Done(); b.listen(rctx) }()
	go func() { defer b.wg.Done(); b.poller(rctx) }()
	return b, nil
}

// withAppName sets application_name on a postgres:// URL or a key=value DSN.
func withAppName(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("application_name", name)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " application_name=" + name, nil
}

// Close stops the bus and closes its LISTEN connection. Payloads still
// queued are sent first, within a second.
func (b *PGBus) Close() error {
	b.cancel()
	b.wg.Wait()
	return b.ln.Close()
}

// Listen adds a delivery function (the hub's Publish); it must not block.
func (b *PGBus) Listen(deliver func(Frame)) {
	b.mu.Lock()
	b.deliver = append(b.deliver, deliver)
	b.mu.Unlock()
}

func (b *PGBus) emit(f Frame) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, d := range b.deliver {
		d(f)
	}
}

// payload is what a notification carries. Stored events (Seq > 0) travel
// as metadata only; other frames carry their encodings.
type payload struct {
	Origin     string          `json:"o"`
	N          uint64          `json:"n"` // identical payloads in one statement would be merged by PostgreSQL
	Conv       string          `json:"c,omitempty"`
	Visitor    int64           `json:"v,omitempty"`
	Assignee   int64           `json:"a,omitempty"`
	State      string          `json:"s,omitempty"`
	EventID    int64           `json:"e,omitempty"`
	Seq        int64           `json:"q,omitempty"`
	Broadcast  bool            `json:"b,omitempty"`
	VisitorRaw json.RawMessage `json:"V,omitempty"`
	AgentRaw   json.RawMessage `json:"A,omitempty"`
	Note       string          `json:"r,omitempty"` // a conversation.* note too big to inline: rebuild it from the row
}

// Publish delivers f here at once and notifies the other servers.
func (b *PGBus) Publish(ctx context.Context, f Frame) error {
	b.stats.published.Add(1)
	if f.Seq > 0 && f.ConversationID != "" {
		b.deliverStored(ctx, f)
	} else {
		b.emit(f)
	}
	p := payload{Origin: b.origin, N: b.n.Add(1), Conv: f.ConversationID, Visitor: f.VisitorID, Assignee: f.AssigneeID,
		State: f.State, EventID: f.EventID, Seq: f.Seq, Broadcast: f.Broadcast}
	if f.Seq == 0 {
		p.VisitorRaw, p.AgentRaw = f.Visitor, f.Agent
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("bus payload: %w", err)
	}
	if len(raw) > maxPayload {
		name := noteName(f)
		if name == "" {
			b.stats.dropped.Add(1)
			return fmt.Errorf("bus: a %d-byte frame is too big to notify; other servers miss it", len(raw))
		}
		p.VisitorRaw, p.AgentRaw, p.Note = nil, nil, name
		if raw, err = json.Marshal(p); err != nil {
			return fmt.Errorf("bus payload: %w", err)
		}
	}
	select {
	case b.out <- raw:
		return nil
	case <-ctx.Done():
		// The stored events reach the others through their poll.
		return ctx.Err()
	}
}

// noteName is the agent event name of a conversation.* note (a frame that
// carries the conversation), "" for any other frame.
func noteName(f Frame) string {
	if f.ConversationID == "" || f.Seq != 0 || f.Visitor != nil || f.Agent == nil {
		return ""
	}
	var h struct {
		Event string `json:"event"`
	}
	if json.Unmarshal(f.Agent, &h) != nil || !strings.HasPrefix(h.Event, "conversation.") {
		return ""
	}
	return h.Event
}

// sender sends queued payloads, many per statement when they pile up.
func (b *PGBus) sender(ctx context.Context) {
	batch := make([]string, 0, 256)
	for {
		batch = batch[:0]
		select {
		case p := <-b.out:
			batch = append(batch, string(p))
		case <-ctx.Done():
			b.flush(batch)
			return
		}
	drain:
		for len(batch) < cap(batch) {
			select {
			case p := <-b.out:
				batch = append(batch, string(p))
			default:
				break drain
			}
		}
		b.send(ctx, batch)
	}
}

// flush sends what is still queued when the bus closes.
func (b *PGBus) flush(batch []string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for more := true; more; {
		select {
		case p := <-b.out:
			batch = append(batch, string(p))
		default:
			more = false
		}
	}
	if len(batch) > 0 {
		b.send(ctx, batch)
	}
}

func (b *PGBus) send(ctx context.Context, batch []string) {
	var err error
	if len(batch) == 1 {
		_, err = b.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, b.channel, batch[0])
	} else {
		// unnest yields the payloads in array order, and notifications of one
		// transaction are delivered in the order they were sent.
		_, err = b.db.ExecContext(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, b.channel, pq.Array(batch))
	}
	if err != nil {
		b.stats.notifyErrors.Add(1)
		if ctx.Err() == nil {
			b.log.Warn("livechat: bus notify", "frames", len(batch), "err", err)
		}
		return
	}
	b.stats.notified.Add(int64(len(batch)))
}

// listen reads notifications, many at a time, and delivers them.
func (b *PGBus) listen(ctx context.Context) {
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	var batch []payload
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			go b.ln.Ping() // a dead connection is noticed, and reconnected
			continue
		case n := <-b.ln.Notify:
			if n == nil {
				b.reconnected()
				continue
			}
			batch = b.parse(batch, n)
		}
	drain:
		for len(batch) < 500 {
			select {
			case n := <-b.ln.Notify:
				if n == nil {
					b.reconnected()
					break drain
				}
				batch = b.parse(batch, n)
			default:
				break drain
			}
		}
		if len(batch) > 0 {
			b.receive(ctx, batch)
		}
	}
}

func (b *PGBus) reconnected() {
	b.stats.reconnects.Add(1)
	select {
	case b.replay <- struct{}{}:
	default:
	}
}

func (b *PGBus) parse(batch []payload, n *pq.Notification) []payload {
	// Our own notifications come back too: json.Marshal writes the origin
	// first, so they are skipped without decoding.
	if strings.HasPrefix(n.Extra, b.ownPrefix) {
		b.stats.ownSkipped.Add(1)
		return batch
	}
	var p payload
	if err := json.Unmarshal([]byte(n.Extra), &p); err != nil {
		b.log.Warn("livechat: bus: bad notification", "err", err)
		return batch
	}
	if p.Origin == b.origin {
		b.stats.ownSkipped.Add(1)
		return batch
	}
	b.stats.received.Add(1)
	return append(batch, p)
}

// receive delivers a batch of notifications in order, reading the stored
// events they name with one query.
func (b *PGBus) receive(ctx context.Context, batch []payload) {
	var ids []int64
	for _, p := range batch {
		if p.Seq > 0 && !b.delivered(p.Conv, p.Seq) {
			ids = append(ids, p.EventID)
		}
	}
	byID := map[int64]Event{}
	if len(ids) > 0 {
		evs, err := b.eventsByID(ctx, ids)
		if err != nil {
			b.log.Warn("livechat: bus: read events", "err", err)
		}
		b.stats.readByID.Add(int64(len(evs)))
		for _, e := range evs {
			byID[e.ID] = e
		}
	}
	for _, p := range batch {
		switch {
		case p.Seq > 0:
			e, ok := byID[p.EventID]
			if !ok {
				continue // already delivered, or unreadable now: the poll retries
			}
			b.deliverStored(ctx, eventFrame(e, p.Visitor, p.State, p.Assignee))
		case p.Note != "":
			f, err := b.rebuildNote(ctx, p)
			if err != nil {
				b.log.Warn("livechat: bus: rebuild note", "conversation", p.Conv, "err", err)
				continue
			}
			b.emit(f)
		default:
			b.emit(Frame{ConversationID: p.Conv, VisitorID: p.Visitor, AssigneeID: p.Assignee, State: p.State,
				EventID: p.EventID, Broadcast: p.Broadcast, Visitor: nilIfEmpty(p.VisitorRaw), Agent: nilIfEmpty(p.AgentRaw)})
		}
	}
}

func nilIfEmpty(b json.RawMessage) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// eventFrame is the frame afterCommit builds for a stored event.
func eventFrame(e Event, visitorID int64, state string, assignee int64) Frame {
	f := Frame{ConversationID: e.ConversationID, VisitorID: visitorID, State: state, AssigneeID: assignee,
		EventID: e.ID, Seq: e.Seq, Agent: e.AgentFrame()}
	if e.VisibleToVisitor {
		f.Visitor = e.VisitorFrame()
	}
	return f
}

// delivered tells whether seq of conv was already delivered here.
func (b *PGBus) delivered(conv string, seq int64) bool {
	b.convMu.Lock()
	c := b.convs[conv]
	b.convMu.Unlock()
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return seq <= c.last
}

func (b *PGBus) cursor(conv string) *convCursor {
	b.convMu.Lock()
	defer b.convMu.Unlock()
	c := b.convs[conv]
	if c == nil {
		c = &convCursor{}
		b.convs[conv] = c
	}
	return c
}

// deliverStored delivers a stored event's frame once and in seq order: a
// seq already delivered is skipped, missing earlier seqs are read from the
// database and delivered first (they are committed: the conversation's row
// lock orders the transactions that took them).
func (b *PGBus) deliverStored(ctx context.Context, f Frame) {
	c := b.cursor(f.ConversationID)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = time.Now()
	if f.Seq <= c.last {
		b.stats.duplicates.Add(1)
		return
	}
	if f.Seq > c.last+1 {
		// Without a cursor (a conversation new here, or forgotten after an
		// idle hour) only events the poll cannot vouch for are filled:
		// older ones were delivered before, or predate this bus.
		above := int64(0)
		if c.last == 0 {
			above = b.low.Load()
		}
		evs, err := b.eventsBetween(ctx, f.ConversationID, c.last, f.Seq, above)
		if err != nil {
			b.log.Warn("livechat: bus: fill gap", "conversation", f.ConversationID, "err", err)
		}
		for _, e := range evs {
			b.emit(eventFrame(e, f.VisitorID, f.State, f.AssigneeID))
			b.seen(e.ID)
			b.stats.gapFilled.Add(1)
		}
	}
	b.emit(f)
	c.last = f.Seq
	b.seen(f.EventID)
}

func (b *PGBus) seen(id int64) {
	for {
		cur := b.maxSeen.Load()
		if id <= cur || b.maxSeen.CompareAndSwap(cur, id) {
			return
		}
	}
}

const eventCols = `id, conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at`

func (b *PGBus) eventsByID(ctx context.Context, ids []int64) ([]Event, error) {
	var evs []Event
	err := b.db.SelectContext(ctx, &evs, `SELECT `+eventCols+` FROM conversation_events WHERE id = ANY($1) ORDER BY id`, pq.Array(ids))
	fixEvents(evs)
	return evs, err
}

func (b *PGBus) eventsBetween(ctx context.Context, conv string, after, before, aboveID int64) ([]Event, error) {
	var evs []Event
	err := b.db.SelectContext(ctx, &evs, `SELECT `+eventCols+` FROM conversation_events
		WHERE conversation_id = $1 AND seq > $2 AND seq < $3 AND id > $4 ORDER BY seq`, conv, after, before, aboveID)
	fixEvents(evs)
	return evs, err
}

// rebuildNote re-reads the conversation for a note too big to notify.
func (b *PGBus) rebuildNote(ctx context.Context, p payload) (Frame, error) {
	var r convRow
	err := b.db.GetContext(ctx, &r, `SELECT id, state, site_id, visitor_id, playbook_id, playbook_version, interp,
		assignee_id, group_name, last_seq, visitor_read_seq, deadline, person_id, org_id, lead_id, deal_id, rating,
		rating_comment, agent_joined, unread, handed_over, finished_at, add_time, last_event_at, closed_at
		FROM conversations WHERE id = $1`, p.Conv)
	if err != nil {
		return Frame{}, err
	}
	c, err := r.conversation()
	if err != nil {
		return Frame{}, err
	}
	return Frame{ConversationID: p.Conv, VisitorID: p.Visitor, AssigneeID: p.Assignee, State: p.State, EventID: p.EventID,
		Agent: agentFrame(p.EventID, p.Note, c)}, nil
}

// poller re-reads recent events every PollInterval, and at once after the
// listener reconnected, delivering those no notification brought.
func (b *PGBus) poller(ctx context.Context) {
	t := time.NewTicker(b.poll)
	defer t.Stop()
	sweep := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.replay:
		}
		if err := b.catchUp(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("livechat: bus poll", "err", err)
		}
		if time.Since(sweep) > time.Minute {
			sweep = time.Now()
			b.forget(time.Hour)
		}
	}
}

// lowerBound is the event id below which the poll need not look: the
// highest id seen at a moment at least CommitMargin before the previous
// successful poll. Every id below it was taken before that moment, so its
// transaction had committed when the previous poll read, which delivered it.
func (b *PGBus) lowerBound(start time.Time) int64 {
	b.markMu.Lock()
	defer b.markMu.Unlock()
	cut := b.lastOK.Add(-b.margin)
	w := b.floor
	keep := 0
	for i, m := range b.marks {
		if m.at.After(cut) {
			break
		}
		w, keep = m.id, i
	}
	b.marks = b.marks[keep:] // the latest mark before cut is still needed
	b.marks = append(b.marks, mark{start, b.maxSeen.Load()})
	if w > b.low.Load() {
		b.low.Store(w)
	}
	return w
}

// catchUp reads the events after the lower bound and delivers those not
// yet delivered (deliverStored skips the rest).
func (b *PGBus) catchUp(ctx context.Context) error {
	start := time.Now()
	after := b.lowerBound(start)
	type row struct {
		ID   int64  `db:"id"`
		Conv string `db:"conversation_id"`
		Seq  int64  `db:"seq"`
	}
	for {
		var rows []row
		if err := b.db.SelectContext(ctx, &rows, `SELECT id, conversation_id, seq FROM conversation_events
			WHERE id > $1 ORDER BY id LIMIT 5000`, after); err != nil {
			return err
		}
		var missing []int64
		for _, r := range rows {
			if !b.delivered(r.Conv, r.Seq) {
				missing = append(missing, r.ID)
			}
		}
		if len(missing) > 0 {
			if err := b.deliverByID(ctx, missing); err != nil {
				return err
			}
		}
		if len(rows) < 5000 {
			break
		}
		after = rows[len(rows)-1].ID
	}
	b.markMu.Lock()
	b.lastOK = start
	b.markMu.Unlock()
	return nil
}

// deliverByID reads events with their conversation's current metadata and
// delivers them in id order (which is seq order within a conversation).
func (b *PGBus) deliverByID(ctx context.Context, ids []int64) error {
	type row struct {
		Event
		VisitorID int64  `db:"visitor_id"`
		State     string `db:"state"`
		Assignee  *int64 `db:"assignee_id"`
	}
	var rows []row
	err := b.db.SelectContext(ctx, &rows, `SELECT e.id, e.conversation_id, e.seq, e.kind, e.data, e.client_id, e.author,
		e.visible_to_visitor, e.at, c.visitor_id, c.state, c.assignee_id
		FROM conversation_events e JOIN conversations c ON c.id = e.conversation_id
		WHERE e.id = ANY($1) ORDER BY e.id`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("read missed events: %w", err)
	}
	for _, r := range rows {
		e := r.Event
		e.At, e.Data = e.At.UTC(), json.RawMessage(e.DataText)
		var a int64
		if r.Assignee != nil {
			a = *r.Assignee
		}
		if b.delivered(e.ConversationID, e.Seq) {
			continue
		}
		b.stats.polled.Add(1)
		b.deliverStored(ctx, eventFrame(e, r.VisitorID, r.State, a))
	}
	return nil
}

// forget drops the cursors of conversations idle for longer than idle.
func (b *PGBus) forget(idle time.Duration) {
	cut := time.Now().Add(-idle)
	b.convMu.Lock()
	defer b.convMu.Unlock()
	for id, c := range b.convs {
		c.mu.Lock()
		old := c.seen.Before(cut)
		c.mu.Unlock()
		if old {
			delete(b.convs, id)
		}
	}
}
