// Package crm is Parley's built-in CRM: users and groups, persons,
// organizations, leads, deals, pipelines and stages, activities and notes,
// and the capture of chat visitors into them. It owns its SQL (in sql/) and
// knows nothing of HTTP.
package crm

import (
	"context"
	"embed"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/schema"
)

//go:embed sql/*.sql
var queryFS embed.FS

// Opts configures a Manager.
type Opts struct {
	DB *schema.DB
	// Now returns the current time; tests may fix it. Defaults to time.Now.
	Now func() time.Time
	// BcryptCost for password hashes; defaults to bcrypt.DefaultCost. Tests lower it.
	BcryptCost int
}

// Manager is the CRM store. Its methods run on the database, or on a
// transaction when obtained through InTx or On.
type Manager struct {
	db   *schema.DB
	q    schema.Queryer
	sql  *schema.Queries
	now  func() time.Time
	cost int
}

// New loads and checks the CRM's queries against db.
func New(ctx context.Context, o Opts) (*Manager, error) {
	if o.DB == nil {
		return nil, fmt.Errorf("crm: no database")
	}
	qs, err := schema.LoadQueries(queryFS, "sql/*.sql", o.DB)
	if err != nil {
		return nil, fmt.Errorf("crm: load queries: %w", err)
	}
	if err := qs.Check(ctx, o.DB); err != nil {
		return nil, fmt.Errorf("crm: %w", err)
	}
	m := &Manager{db: o.DB, q: o.DB, sql: qs, now: o.Now, cost: o.BcryptCost}
	if m.now == nil {
		m.now = time.Now
	}
	if m.cost == 0 {
		m.cost = bcrypt.DefaultCost
	}
	return m, nil
}

// On returns a Manager whose methods run on q (typically a transaction the
// caller owns, shared with another package's store).
func (m *Manager) On(q schema.Queryer) *Manager {
	c := *m
	c.q = q
	return &c
}

// InTx runs fn with a Manager bound to a new transaction, committed when fn
// returns nil.
func (m *Manager) InTx(ctx context.Context, fn func(m *Manager) error) error {
	if _, inTx := m.q.(*schema.Tx); inTx {
		return fn(m)
	}
	return schema.WithTx(ctx, m.db, func(tx *schema.Tx) error { return fn(m.On(tx)) })
}

// DB is the underlying database.
func (m *Manager) DB() *schema.DB { return m.db }

// nowUTC is the current time in UTC, truncated to microseconds so that what
// is stored and what is returned compare equal on both databases.
func (m *Manager) nowUTC() time.Time { return m.now().UTC().Truncate(time.Microsecond) }
