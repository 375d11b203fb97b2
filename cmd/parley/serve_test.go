package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// Several servers started at once on an empty database: one creates the
// first admin and prints its password, the others start too (one of them
// used to exit with "email is already used").
func TestFirstAdminWhenServersStartTogether(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		ctx := context.Background()
		const n = 4
		outs := make([]bytes.Buffer, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			m, err := crm.New(ctx, crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = ensureAdmin(ctx, m, &outs[i])
			}()
		}
		wg.Wait()
		printed := 0
		for i := range outs {
			if errs[i] != nil {
				t.Errorf("server %d: %v", i, errs[i])
			}
			if strings.Contains(outs[i].String(), "password:") {
				printed++
			}
		}
		if printed != 1 {
			t.Errorf("%d servers printed an admin password, want 1", printed)
		}
	})
}
