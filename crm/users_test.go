package crm_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

func newManager(t *testing.T, db *schema.DB) *crm.Manager {
	t.Helper()
	m, err := crm.New(context.Background(), crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUsersGroupsTokensSessions(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		ctx := context.Background()
		m := newManager(t, db)

		_, err := m.CreateUser(ctx, crm.UserInput{Name: "", Email: "nope", Password: "short", Role: "boss"})
		var inv *crm.InvalidError
		if !errors.As(err, &inv) || len(inv.Fields) != 4 {
			t.Fatalf("invalid user: %v", err)
		}
		ann, err := m.CreateUser(ctx, crm.UserInput{Name: "Ann", Email: "Ann@Example.com", Password: "correct horse", Role: crm.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if ann.Email != "ann@example.com" || !ann.IsAdmin() || ann.Status != crm.StatusOffline || ann.PasswordHash == "correct horse" {
			t.Fatalf("created %+v", ann)
		}
		if _, err := m.CreateUser(ctx, crm.UserInput{Name: "Ann 2", Email: "ann@example.com"}); !errors.As(err, &inv) || inv.Fields[0].Field != "email" {
			t.Fatalf("duplicate email: %v", err)
		}
		bob, err := m.CreateUser(ctx, crm.UserInput{Name: "Bob", Email: "bob@example.com"})
		if err != nil {
			t.Fatal(err)
		}

		if _, err := m.Authenticate(ctx, "ANN@example.com", "correct horse"); err != nil {
			t.Fatalf("good password: %v", err)
		}
		for _, c := range [][2]string{{"ann@example.com", "wrong password"}, {"nobody@example.com", "correct horse"}, {"bob@example.com", ""}} {
			if _, err := m.Authenticate(ctx, c[0], c[1]); !errors.Is(err, crm.ErrBadCredentials) {
				t.Fatalf("Authenticate(%q) = %v", c[0], err)
			}
		}

		sales, err := m.CreateGroup(ctx, crm.GroupInput{Name: ptr("Sales"), UserIDs: &[]int64{ann.ID, bob.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sales.UserIDs) != 2 {
			t.Fatalf("group members %v", sales.UserIDs)
		}
		if _, err := m.CreateGroup(ctx, crm.GroupInput{Name: ptr("Support"), UserIDs: &[]int64{999}}); !errors.As(err, &inv) || inv.Fields[0].Field != "user_ids[0]" {
			t.Fatalf("unknown member: %v", err)
		}
		bob, err = m.GetUser(ctx, bob.ID)
		if err != nil || len(bob.Groups) != 1 || bob.Groups[0] != sales.ID {
			t.Fatalf("bob groups %v %v", bob.Groups, err)
		}

		tok, secret, err := m.CreateToken(ctx, bob.ID, "zapier")
		if err != nil {
			t.Fatal(err)
		}
		// The caller's groups come with the token in one statement: in two
		// groups, the ids sorted; in none, an empty list.
		support, err := m.CreateGroup(ctx, crm.GroupInput{Name: ptr("Support"), UserIDs: &[]int64{bob.ID}})
		if err != nil {
			t.Fatal(err)
		}
		u, tid, err := m.UserByToken(ctx, secret)
		if err != nil || u.ID != bob.ID || tid != tok.ID {
			t.Fatalf("UserByToken = %v %v %v", u.ID, tid, err)
		}
		if want := []int64{sales.ID, support.ID}; !slices.Equal(u.Groups, want) {
			t.Fatalf("token user groups %v, want %v", u.Groups, want)
		}
		if _, _, err := m.UserByToken(ctx, secret+"x"); !errors.Is(err, crm.ErrBadCredentials) {
			t.Fatalf("bad token: %v", err)
		}
		var stored int
		if err := db.Get(&stored, db.Rebind(`SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?`), secret); err != nil || stored != 0 {
			t.Fatalf("token stored in clear: %d %v", stored, err)
		}

		s, err := m.CreateSession(ctx, ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.GetSession(ctx, s.ID)
		if err != nil || got.User.ID != ann.ID || !got.CheckCSRF(s.CSRFToken) || got.CheckCSRF("") || got.CheckCSRF("x") {
			t.Fatalf("GetSession = %+v %v", got, err)
		}
		if annNow, _ := m.GetUser(ctx, ann.ID); !slices.Equal(got.User.Groups, annNow.Groups) || got.User.Groups == nil {
			t.Fatalf("session user groups %v, want %v", got.User.Groups, annNow.Groups)
		}
		if err := m.DeleteSession(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.GetSession(ctx, s.ID); !errors.Is(err, crm.ErrBadCredentials) {
			t.Fatalf("deleted session: %v", err)
		}

		if _, err := m.SetUserStatus(ctx, bob.ID, "away"); !errors.As(err, &inv) {
			t.Fatalf("bad status: %v", err)
		}
		bob, err = m.SetUserStatus(ctx, bob.ID, crm.StatusOnline)
		if err != nil || bob.Status != crm.StatusOnline {
			t.Fatalf("status %v %v", bob.Status, err)
		}
		off := false
		if _, err := m.UpdateUser(ctx, bob.ID, crm.UserPatch{Active: &off}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.UserByToken(ctx, secret); !errors.Is(err, crm.ErrBadCredentials) {
			t.Fatalf("token of deactivated user: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestOnlineCounts(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		ctx := context.Background()
		m := newManager(t, db)
		mk := func(name, status string) crm.User {
			u, err := m.CreateUser(ctx, crm.UserInput{Name: name, Email: name + "@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.SetUserStatus(ctx, u.ID, status); err != nil {
				t.Fatal(err)
			}
			return u
		}
		a, b, c := mk("ann", crm.StatusOnline), mk("bob", crm.StatusInvisible), mk("cyd", crm.StatusOnline)
		d := mk("dan", crm.StatusOnline)
		off := false
		if _, err := m.UpdateUser(ctx, d.ID, crm.UserPatch{Active: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.CreateGroup(ctx, crm.GroupInput{Name: ptr("Sales"), UserIDs: &[]int64{a.ID, b.ID, d.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.CreateGroup(ctx, crm.GroupInput{Name: ptr("Support"), UserIDs: &[]int64{b.ID}}); err != nil {
			t.Fatal(err)
		}
		_ = c
		all, by, err := m.OnlineCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if all != 2 || by["Sales"] != 1 || by["Support"] != 0 {
			t.Fatalf("OnlineCounts = %d %v, want 2 (ann, cyd), Sales 1 (ann)", all, by)
		}
	})
}

// The workspace keeps an active admin: the last one cannot be demoted or
// deactivated, and of two admins demoting each other at once only one
// succeeds, on both databases.
func TestLastAdminStays(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		ctx := context.Background()
		m, err := crm.New(ctx, crm.Opts{DB: db, BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		a, err := m.CreateUser(ctx, crm.UserInput{Name: "A", Email: "a@example.com", Role: crm.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		var inv *crm.InvalidError
		if _, err := m.UpdateUser(ctx, a.ID, crm.UserPatch{Role: ptr(crm.RoleAgent)}); !errors.As(err, &inv) || inv.Fields[0].Field != "role" {
			t.Fatalf("demoting the only admin: %v", err)
		}
		no := false
		if _, err := m.UpdateUser(ctx, a.ID, crm.UserPatch{Active: &no}); !errors.As(err, &inv) || inv.Fields[0].Field != "active" {
			t.Fatalf("deactivating the only admin: %v", err)
		}
		b, err := m.CreateUser(ctx, crm.UserInput{Name: "B", Email: "b@example.com", Role: crm.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []int64{a.ID, b.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = m.UpdateUser(ctx, id, crm.UserPatch{Role: ptr(crm.RoleAgent)})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.As(err, &inv) {
				t.Fatalf("a demotion failed otherwise: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of two concurrent demotions succeeded, want 1 (%v)", ok, errs)
		}
		admins := 0
		for _, id := range []int64{a.ID, b.ID} {
			if u, _ := m.GetUser(ctx, id); u.Role == crm.RoleAdmin && u.Active {
				admins++
			}
		}
		if admins != 1 {
			t.Fatalf("%d active admins left, want 1", admins)
		}
	})
}
