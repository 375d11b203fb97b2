// Package schematest gives store tests a fresh, migrated database: a temp
// SQLite file always, and a fresh PostgreSQL database as well when
// PARLEY_TEST_POSTGRES names a server (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable).
package schematest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/parley/parley/schema"
)

// Each runs fn once per available database, as subtests named "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *schema.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv("PARLEY_TEST_POSTGRES") != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// SQLite opens a migrated database in a temp file, closed when the test ends.
func SQLite(t testing.TB) *schema.DB {
	t.Helper()
	db, err := schema.Open(filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// Postgres creates a fresh migrated database on the PARLEY_TEST_POSTGRES
// server and drops it when the test ends. It skips the test when the
// variable is not set.
func Postgres(t testing.TB) *schema.DB {
	t.Helper()
	admin := os.Getenv("PARLEY_TEST_POSTGRES")
	if admin == "" {
		t.Skip("PARLEY_TEST_POSTGRES not set")
	}
	u, err := PostgresURL(t)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	db, err := schema.Open(u)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return db
}

// PostgresURL creates an empty database on the PARLEY_TEST_POSTGRES server and
// returns its URL; it is dropped when the test ends.
func PostgresURL(t testing.TB) (string, error) {
	t.Helper()
	admin := os.Getenv("PARLEY_TEST_POSTGRES")
	adb, err := schema.Open(admin)
	if err != nil {
		return "", err
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "parley_test_" + hex.EncodeToString(b)
	if _, err := adb.Exec(`CREATE DATABASE ` + name); err != nil {
		adb.Close()
		return "", err
	}
	t.Cleanup(func() {
		adb.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
		adb.Close()
	})
	pu, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	pu.Path = "/" + name
	return pu.String(), nil
}
