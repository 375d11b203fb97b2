// Package schema opens Parley's database (embedded SQLite by default, PostgreSQL
// in production), applies the embedded migrations and offers the few helpers
// every store shares: transactions and constraint-violation detection.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL flavour of a database.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultSQLitePath is where `parley serve` keeps its data when no URL is given.
const DefaultSQLitePath = "parley-data/parley.db"

//go:embed sqlite/*.sql postgres/*.sql
var migrationFS embed.FS

// DB is a database handle that knows its dialect.
type DB struct {
	*sqlx.DB
	Dialect Dialect
	// URL is the address the handle was opened with (used by the PostgreSQL listener).
	URL string

	stmts *stmtCache
}

// Queryer is what store methods take: a *DB or a *Tx, so the caller
// chooses the transaction boundary.
type Queryer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

var (
	_ Queryer = (*DB)(nil)
	_ Queryer = (*Tx)(nil)
)

// Open connects to url: "postgres://…" or "postgresql://…" for PostgreSQL;
// "sqlite:PATH", "file:PATH" or a plain path for SQLite; "" for the default
// SQLite file. It does not migrate.
func Open(url string) (*DB, error) {
	if url == "" {
		url = DefaultSQLitePath
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		url = withBinaryParameters(url)
		sdb, err := sql.Open("postgres", url)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sdb.SetMaxOpenConns(20)
		sdb.SetMaxIdleConns(10)
		db := Wrap(sqlx.NewDb(sdb, "postgres"), Postgres, url)
		if err := db.Ping(); err != nil {
			sdb.Close()
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		return db, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	// The settings live in the DSN so every pooled connection gets them.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// SQLite has one writer; a small pool keeps readers concurrent under WAL
	// without piling up writers on the busy timeout.
	sdb.SetMaxOpenConns(4)
	db := Wrap(sqlx.NewDb(sdb, "sqlite3"), SQLite, url)
	if err := db.Ping(); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

// withBinaryParameters turns on lib/pq's binary_parameters unless the URL
// says otherwise: without it every parameterized statement costs an extra
// prepare round trip, which the load generator showed as the largest cost of
// a chat message on PostgreSQL.
func withBinaryParameters(url string) string {
	if strings.Contains(url, "binary_parameters=") {
		return url
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "binary_parameters=yes"
}

// Wrap makes a DB of an open handle (tests wrap instrumented drivers).
func Wrap(x *sqlx.DB, d Dialect, url string) *DB {
	return &DB{DB: x, Dialect: d, URL: url, stmts: &stmtCache{stmts: map[string]*sqlx.Stmt{}}}
}

type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := string(db.Dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		if !ok || !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad number", name)
		}
		body, err := fs.ReadFile(migrationFS, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations for %s: expected version %d, found %s", dir, i+1, m.name)
		}
	}
	return ms, nil
}

// Latest is the schema version this binary knows.
func (db *DB) Latest() (int, error) {
	ms, err := db.migrations()
	if err != nil {
		return 0, err
	}
	return len(ms), nil
}

// Version reads the schema version stored in the database (0 when empty).
func (db *DB) Version(ctx context.Context) (int, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create schema_version: %w", err)
	}
	var v sql.NullInt64
	if err := db.GetContext(ctx, &v, `SELECT MAX(version) FROM schema_version`); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// ErrSchemaTooNew means the database was migrated by a newer Parley.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// Migrate applies every pending migration, each in its own transaction with
// its version bump, and refuses a database newer than this binary.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := db.migrations()
	if err != nil {
		return 0, err
	}
	if db.Dialect == Postgres {
		// Several servers may start at once: one migrates, the others wait.
		conn, err := db.Connx(ctx)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
			return 0, fmt.Errorf("migration lock: %w", err)
		}
		defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(727274)`)
	}
	cur, err := db.Version(ctx)
	if err != nil {
		return 0, err
	}
	if cur > len(ms) {
		return 0, fmt.Errorf("%w: database is at version %d, this binary knows %d", ErrSchemaTooNew, cur, len(ms))
	}
	for _, m := range ms[cur:] {
		err := WithTx(ctx, db, func(tx *Tx) error {
			// A migration is a script of many statements: run it as is, never
			// through the statement cache (a prepare takes one statement).
			if _, err := tx.Tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO schema_version (version) VALUES (?)`), m.version)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		applied++
	}
	return applied, nil
}

// CheckVersion fails unless the database is exactly at the version this binary knows.
func (db *DB) CheckVersion(ctx context.Context) error {
	latest, err := db.Latest()
	if err != nil {
		return err
	}
	cur, err := db.Version(ctx)
	if err != nil {
		return err
	}
	switch {
	case cur > latest:
		return fmt.Errorf("%w: database is at version %d, this binary knows %d", ErrSchemaTooNew, cur, latest)
	case cur < latest:
		return fmt.Errorf("database schema is at version %d, %d needed: run `parley migrate`", cur, latest)
	}
	return nil
}

// WithTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise.
func WithTx(ctx context.Context, db *DB, fn func(tx *Tx) error) error {
	sqltx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: sqltx, db: db}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// IsUniqueViolation tells whether err is a unique (or primary key) constraint
// violation on either database.
func IsUniqueViolation(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation tells whether err is a foreign key violation on either database.
func IsForeignKeyViolation(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}
