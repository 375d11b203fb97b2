package schema_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

func TestMigrateIsIdempotentAndRefusesNewerSchema(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		ctx := context.Background()
		latest, err := db.Latest()
		if err != nil || latest < 1 {
			t.Fatalf("latest = %d, %v", latest, err)
		}
		if err := db.CheckVersion(ctx); err != nil {
			t.Fatalf("fresh migrated db: %v", err)
		}
		n, err := db.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d, %v", n, err)
		}
		if _, err := db.Exec(db.Rebind(`INSERT INTO schema_version (version) VALUES (?)`), latest+1); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckVersion(ctx); !errors.Is(err, schema.ErrSchemaTooNew) {
			t.Fatalf("CheckVersion on newer schema = %v", err)
		}
		if _, err := db.Migrate(ctx); !errors.Is(err, schema.ErrSchemaTooNew) {
			t.Fatalf("Migrate on newer schema = %v", err)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		q := db.Rebind(`INSERT INTO groups (name, add_time, update_time) VALUES (?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`)
		if _, err := db.Exec(q, "Sales"); err != nil {
			t.Fatal(err)
		}
		_, err := db.Exec(q, "Sales")
		if !schema.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert: %v, not recognised as unique violation", err)
		}
	})
}
