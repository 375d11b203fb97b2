package crm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// eachCRM runs fn on a fresh Manager per database.
func eachCRM(t *testing.T, fn func(t *testing.T, ctx context.Context, m *crm.Manager)) {
	t.Helper()
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		m, err := crm.New(context.Background(), crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		fn(t, context.Background(), m)
	})
}

var userSeq atomic.Int64

// mkUser adds an agent (or admin) for owner_id fields.
func mkUser(t *testing.T, m *crm.Manager, role string) crm.User {
	t.Helper()
	n := userSeq.Add(1)
	u, err := m.CreateUser(context.Background(), crm.UserInput{Name: fmt.Sprintf("Agent %d", n),
		Email: fmt.Sprintf("agent%d@example.com", n), Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func p64(v int64) *int64    { return &v }
func pstr(v string) *string { return &v }

// wantFields fails unless err is an InvalidError naming exactly these fields
// (in any order).
func wantFields(t *testing.T, err error, fields ...string) *crm.InvalidError {
	t.Helper()
	var inv *crm.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("want invalid %v, got %v", fields, err)
	}
	var got []string
	for _, f := range inv.Fields {
		got = append(got, f.Field)
	}
	slices.Sort(got)
	want := slices.Clone(fields)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("invalid fields = %v (%v), want %v", got, err, want)
	}
	return inv
}

func wantMessage(t *testing.T, err error, field, msg string) {
	t.Helper()
	var inv *crm.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("want invalid %s, got %v", field, err)
	}
	for _, f := range inv.Fields {
		if f.Field == field && f.Message == msg {
			return
		}
	}
	t.Fatalf("want %s: %s, got %v", field, msg, err)
}

// crmWithClock returns a Manager on the same database with a fixed clock.
func crmWithClock(t *testing.T, m *crm.Manager, now func() time.Time) *crm.Manager {
	t.Helper()
	c, err := crm.New(context.Background(), crm.Opts{DB: m.DB(), BcryptCost: bcrypt.MinCost, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func itoa(n int64) string { return fmt.Sprint(n) }
