// Package livechat is the runtime between the sockets and REST handlers on one
// side and the playbook interpreter and the CRM on the other: sites, visitors,
// stored playbooks and their immutable versions, conversations and their
// events, the live chat hand-off with its deadline timers, agents' presence
// and the in-process realtime hub. It knows nothing of HTTP: the widget
// package wraps it in the visitor socket, the api package in REST handlers.
//
// Every conversation event is stored (with a per-conversation seq allocated in
// the same transaction as the interpreter state) before it is published, so a
// client that reconnects with its last seq gets exactly what it missed.
//
// Concurrency, in one place:
//   - every change to a conversation runs in one transaction that first takes
//     the conversation's row lock (lock-conversation), then steps the
//     interpreter, stores the events and saves the state;
//   - races that must have one winner are conditional updates whose row
//     count decides: assign (WHERE state IN waiting/offline/bot AND
//     assignee_id IS NULL), the deadline (claim-timer WHERE NOT done, then
//     WHERE state = 'waiting'), close, finishing a capture;
//   - idempotent frames carry a client_id; UNIQUE(conversation_id, client_id)
//     decides between racing resends;
//   - captures are recorded in the step's transaction (conversation_captures)
//     and applied to the CRM after the commit; crm.Capture is at most once per
//     (conversation, card), so a retry after a crash (on hello, or by Run)
//     creates nothing twice.
//
// Errors are crm's kinds (ErrNotFound, ErrConflict, ErrForbidden,
// *crm.InvalidError), plus *RefusedError for visitor frames the socket
// answers with an error frame, and *ProblemsError for invalid playbooks.
package livechat

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/playbook"
	"github.com/parley/parley/schema"
)

//go:embed sql/*.sql sql/postgres/*.sql
var queryFS embed.FS

// Opts configures a Service.
type Opts struct {
	DB     *schema.DB
	CRM    *crm.Manager
	Logger *slog.Logger // defaults to slog.Default()
	// Now returns the current time; tests fix it to drive deadlines. Defaults to time.Now.
	Now func() time.Time
	// Bus fans events out between processes; defaults to an in-process bus.
	Bus Bus
	// PollInterval is how often Run looks for due timers; defaults to 250ms.
	PollInterval time.Duration
	// PresenceTTL is how long the agents-online counts are reused (presence.go);
	// defaults to 2s. Status changes empty the cache at once on every server.
	PresenceTTL time.Duration
}

// Service is the live chat runtime. It is safe for concurrent use; make one
// per process with New and call Run in a goroutine to fire deadlines.
type Service struct {
	db     *schema.DB
	crm    *crm.Manager
	sql    *schema.Queries
	log    *slog.Logger
	now    func() time.Time
	bus    Bus
	hub    *Hub
	poll   time.Duration
	wake   chan struct{} // nudges Run when a nearer timer is created
	locks  [64]sync.Mutex
	progMu sync.Mutex
	progs  map[progKey]*playbook.Program // compiled versions; immutable, so never invalidated
	pv     previews                      // the preview site and running previews' drafts (preview.go)

	presenceMu  sync.Mutex
	online      int // last published agents-online count, -1 before the first
	pcache      presenceCounts
	pgen        uint64 // bumped by forgetPresence
	presenceTTL time.Duration

	// sites caches sites by id for the playbook env, which every answer and
	// message builds (sites.go, cachedSite).
	siteMu  sync.Mutex
	sites   map[int64]cachedSite
	siteGen uint64 // bumped by every invalidation
}

type progKey struct {
	playbook int64
	version  int
}

// New loads and checks the package's queries against the database (a broken
// query stops the boot, not a request) and wires the hub to the bus.
func New(ctx context.Context, o Opts) (*Service, error) {
	if o.DB == nil {
		return nil, fmt.Errorf("livechat: no database")
	}
	if o.CRM == nil {
		return nil, fmt.Errorf("livechat: no crm")
	}
	qs, err := schema.LoadQueries(queryFS, "sql/*.sql", o.DB)
	if err != nil {
		return nil, fmt.Errorf("livechat: load queries: %w", err)
	}
	if o.DB.Dialect == schema.Postgres {
		pg, err := schema.LoadQueries(queryFS, "sql/postgres/*.sql", o.DB)
		if err == nil {
			err = qs.Include(pg)
		}
		if err != nil {
			return nil, fmt.Errorf("livechat: load queries: %w", err)
		}
	}
	if err := qs.Check(ctx, o.DB); err != nil {
		return nil, fmt.Errorf("livechat: %w", err)
	}
	s := &Service{
		db: o.DB, crm: o.CRM, sql: qs, log: o.Logger, now: o.Now, bus: o.Bus,
		hub: NewHub(), poll: o.PollInterval, wake: make(chan struct{}, 1),
		progs: map[progKey]*playbook.Program{}, online: -1, sites: map[int64]cachedSite{},
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.presenceTTL = o.PresenceTTL; s.presenceTTL <= 0 {
		s.presenceTTL = 2 * time.Second
	}
	if s.poll <= 0 {
		s.poll = 250 * time.Millisecond
	}
	if s.bus == nil {
		s.bus = NewLocalBus()
	}
	s.bus.Listen(s.deliver) // presence.go
	return s, nil
}

// Hub is the in-process fan-out the sockets subscribe to.
func (s *Service) Hub() *Hub { return s.hub }

// nowUTC is the current time in UTC, truncated to microseconds so that what is
// stored and what is returned compare equal on both databases.
func (s *Service) nowUTC() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// lock serialises work on one conversation inside this process, so that the
// events of a conversation are published in seq order. The database row lock
// (see lock-conversation) is what makes concurrent servers safe.
func (s *Service) lock(conversationID string) func() {
	var h uint32 = 2166136261
	for i := 0; i < len(conversationID); i++ {
		h = (h ^ uint32(conversationID[i])) * 16777619
	}
	m := &s.locks[h%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}
