package livechat_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/parley/parley/schema"
)

// queries counts the SQL statements run through a counted handle (BEGIN and
// COMMIT are not statements here), by text, so tests can say "presence is
// read once" and benchmarks can report statements per operation.
type queries struct {
	mu     sync.Mutex
	total  int
	byText map[string]int
}

func (q *queries) add(text string) {
	q.mu.Lock()
	q.total++
	q.byText[text]++
	q.mu.Unlock()
}

// Reset forgets what was counted so far.
func (q *queries) Reset() {
	q.mu.Lock()
	q.total, q.byText = 0, map[string]int{}
	q.mu.Unlock()
}

// Total is the number of statements since the last Reset.
func (q *queries) Total() int { q.mu.Lock(); defer q.mu.Unlock(); return q.total }

// Dump lists the statements counted, for a failure message.
func (q *queries) Dump() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var b strings.Builder
	for text, c := range q.byText {
		fmt.Fprintf(&b, "%d× %.90s\n", c, strings.Join(strings.Fields(text), " "))
	}
	return b.String()
}

// Matching is the number of statements containing substr.
func (q *queries) Matching(substr string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for text, c := range q.byText {
		if strings.Contains(text, substr) {
			n += c
		}
	}
	return n
}

// counted opens a second pool on db's database whose connections count the
// statements they run.
func counted(tb testing.TB, db *schema.DB) (*schema.DB, *queries) {
	tb.Helper()
	dsn, name := db.URL, "postgres"
	if db.Dialect == schema.SQLite {
		// The DSN schema.Open builds from a path, pragmas included.
		dsn = "file:" + db.URL + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
		name = "sqlite3"
	}
	q := &queries{byText: map[string]int{}}
	sdb := sql.OpenDB(countingConnector{dsn: dsn, drv: db.Driver(), q: q})
	sdb.SetMaxOpenConns(4)
	tb.Cleanup(func() { sdb.Close() })
	return schema.Wrap(sqlx.NewDb(sdb, name), db.Dialect, db.URL), q
}

type countingConnector struct {
	dsn string
	drv driver.Driver
	q   *queries
}

func (c countingConnector) Connect(context.Context) (driver.Conn, error) {
	cn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: cn, q: c.q}, nil
}

func (c countingConnector) Driver() driver.Driver { return c.drv }

// countingConn passes every call through and counts each statement run,
// whether directly (ExecerContext, QueryerContext) or prepared.
type countingConn struct {
	driver.Conn
	q *queries
}

// PrepareContext counts nothing itself: statements are prepared once and
// run many times (schema's statement cache), so each run counts.
func (c *countingConn) PrepareContext(ctx context.Context, text string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st, text: text, q: c.q}, nil
}

type countingStmt struct {
	driver.Stmt
	text string
	q    *queries
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.q.add(s.text)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.q.add(s.text)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *countingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *countingConn) ExecContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Result, error) {
	c.q.add(text)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, text, args)
}

func (c *countingConn) QueryContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Rows, error) {
	c.q.add(text)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, text, args)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
