package schema

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Statements are prepared once per query text and reused: the load test
// showed SQLite spending over a quarter of the server's CPU parsing the same
// few statements again on every chat message, and PostgreSQL paying a
// round trip for each. database/sql keeps a prepared statement per pooled
// connection, and Tx.Stmt reuses it inside transactions.

// maxCachedStatements bounds the cache: store SQL is a fixed set plus list
// queries built from whitelisted parts, so a bound this size is never
// reached in practice; past it, queries simply run unprepared.
const maxCachedStatements = 1024

type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sqlx.Stmt
}

// stmt returns the prepared statement for query, preparing it on first use;
// nil when it cannot be prepared (the caller then runs the query plainly, so
// the error it reports is the usual one).
func (db *DB) stmt(ctx context.Context, query string) *sqlx.Stmt {
	c := db.stmts
	if c == nil {
		return nil
	}
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCachedStatements
	c.mu.Unlock()
	if ok {
		return st
	}
	if full {
		return nil
	}
	// Preparing outside the lock: a slow prepare must not stall other queries.
	st, err := db.DB.PreparexContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok {
		st.Close()
		return prev
	}
	c.stmts[query] = st
	return st
}

func (db *DB) closeStmts() {
	if db.stmts == nil {
		return
	}
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	for q, st := range db.stmts.stmts {
		st.Close()
		delete(db.stmts.stmts, q)
	}
}

// Close closes the cached statements, then the pool.
func (db *DB) Close() error {
	db.closeStmts()
	return db.DB.Close()
}

// ExecContext runs a statement, prepared once.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := db.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return db.DB.ExecContext(ctx, query, args...)
}

// GetContext reads one row into dest with a statement prepared once.
func (db *DB) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	if st := db.stmt(ctx, query); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return db.DB.GetContext(ctx, dest, query, args...)
}

// SelectContext reads rows into dest with a statement prepared once.
func (db *DB) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	if st := db.stmt(ctx, query); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return db.DB.SelectContext(ctx, dest, query, args...)
}

// QueryRowxContext runs a one-row query with a statement prepared once.
func (db *DB) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	if st := db.stmt(ctx, query); st != nil {
		return st.QueryRowxContext(ctx, args...)
	}
	return db.DB.QueryRowxContext(ctx, query, args...)
}

// QueryxContext runs a query with a statement prepared once.
func (db *DB) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	if st := db.stmt(ctx, query); st != nil {
		return st.QueryxContext(ctx, args...)
	}
	return db.DB.QueryxContext(ctx, query, args...)
}

// ErrNoTx is what the methods of a nil *Tx return instead of panicking: code
// that runs optimistically, without a transaction, finds out that this step
// needs one and can start over in one.
var ErrNoTx = errors.New("schema: no transaction")

// Tx is a transaction whose statements come from the database's cache.
type Tx struct {
	*sqlx.Tx
	db *DB
}

// DB is the database the transaction runs on.
func (tx *Tx) DB() *DB { return tx.db }

// stmt uses a statement already in the cache and never prepares a new one:
// preparing on the pool would need a second connection while this one is
// held, and a pool full of transactions each waiting for another
// connection deadlocks. Queries.Check fills the cache at start-up, so the
// named queries are all there.
func (tx *Tx) stmt(ctx context.Context, query string) *sqlx.Stmt {
	c := tx.db.stmts
	if c == nil {
		return nil
	}
	c.mu.Lock()
	st := c.stmts[query]
	c.mu.Unlock()
	if st == nil {
		return nil
	}
	return tx.Tx.StmtxContext(ctx, st)
}

// ExecContext runs a statement in the transaction, prepared once.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if tx == nil {
		return nil, ErrNoTx
	}
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// GetContext reads one row in the transaction.
func (tx *Tx) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	if tx == nil {
		return ErrNoTx
	}
	if st := tx.stmt(ctx, query); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return tx.Tx.GetContext(ctx, dest, query, args...)
}

// SelectContext reads rows in the transaction.
func (tx *Tx) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	if tx == nil {
		return ErrNoTx
	}
	if st := tx.stmt(ctx, query); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return tx.Tx.SelectContext(ctx, dest, query, args...)
}

// QueryRowxContext runs a one-row query in the transaction.
func (tx *Tx) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	if tx == nil {
		// sqlx.Row cannot carry an error made outside sqlx.
		panic("schema: QueryRowxContext on a nil *Tx")
	}
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowxContext(ctx, args...)
	}
	return tx.Tx.QueryRowxContext(ctx, query, args...)
}

// QueryxContext runs a query in the transaction.
func (tx *Tx) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	if tx == nil {
		return nil, ErrNoTx
	}
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryxContext(ctx, args...)
	}
	return tx.Tx.QueryxContext(ctx, query, args...)
}
