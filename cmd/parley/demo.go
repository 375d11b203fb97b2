package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema"
)

// seedDemo creates the demo workspace when it is missing: two agents, and
// (once the widget and playbooks exist) a site and the sample playbooks.
func seedDemo(ctx context.Context, db *schema.DB, m *crm.Manager, stdout io.Writer) error {
	for _, a := range []struct{ name, email string }{{"Alice Martin", "alice@demo.parley.local"}, {"Bruno Costa", "bruno@demo.parley.local"}} {
		if _, err := m.GetUserByEmail(ctx, a.email); err == nil {
			continue
		}
		if _, err := m.CreateUser(ctx, crm.UserInput{Name: a.name, Email: a.email, Password: "demo-password", Role: crm.RoleAgent}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  demo agent: %s / demo-password\n", a.email)
	}
	return nil
}

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := dbFlag(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return 2
	}
	ctx := context.Background()
	db, err := openDB(ctx, *dbURL)
	if err != nil {
		fmt.Fprintln(stderr, "parley demo:", err)
		return 1
	}
	defer db.Close()
	m, err := openCRM(ctx, db)
	if err != nil {
		fmt.Fprintln(stderr, "parley demo:", err)
		return 1
	}
	if err := seedDemo(ctx, db, m, stdout); err != nil {
		fmt.Fprintln(stderr, "parley demo:", err)
		return 1
	}
	fmt.Fprintln(stdout, "demo workspace ready")
	return 0
}
