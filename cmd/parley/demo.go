package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/parley/parley/api"
	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
)

// demoSiteName marks the demo site; the /demo page picks it.
const demoSiteName = "Demo site"

// seedDemo creates what is missing of the demo workspace: two agents, a site
// allowing the server's own origins, and the sample playbooks, published.
// It is safe to run at every start.
func seedDemo(ctx context.Context, m *crm.Manager, live *livechat.Service, port string, stdout io.Writer) error {
	for _, a := range []struct{ name, email string }{{"Alice Martin", "alice@demo.parley.local"}, {"Bruno Costa", "bruno@demo.parley.local"}} {
		if _, err := m.GetUserByEmail(ctx, a.email); err == nil {
			continue
		} else if !errors.Is(err, crm.ErrNotFound) {
			return err
		}
		if _, err := m.CreateUser(ctx, crm.UserInput{Name: a.name, Email: a.email, Password: "demo-password", Role: crm.RoleAgent}); err != nil {
			return fmt.Errorf("demo agent %s: %w", a.email, err)
		}
		fmt.Fprintf(stdout, "  demo agent: %s / demo-password\n", a.email)
	}

	sites, err := live.ListSites(ctx)
	if err != nil {
		return err
	}
	hasSite := false
	for _, s := range sites {
		hasSite = hasSite || s.Name == demoSiteName
	}
	if !hasSite {
		name := demoSiteName
		origins := []string{"http://localhost" + port, "http://127.0.0.1" + port}
		if _, err := live.CreateSite(ctx, livechat.SiteInput{Name: &name, AllowedOrigins: &origins}); err != nil {
			return fmt.Errorf("demo site: %w", err)
		}
		fmt.Fprintf(stdout, "  demo site allows %v\n", origins)
	}

	for _, tp := range api.Templates() {
		p, err := live.CreatePlaybook(ctx, []byte(tp.Source), livechat.FormatYAML)
		if errors.Is(err, crm.ErrConflict) {
			continue // already there from an earlier start
		}
		if err != nil {
			return fmt.Errorf("demo playbook %s: %w", tp.Name, err)
		}
		if _, err := live.Publish(ctx, p.ID); err != nil {
			return fmt.Errorf("publish demo playbook %s: %w", tp.Name, err)
		}
		fmt.Fprintf(stdout, "  demo playbook: %s (published)\n", p.Name)
	}
	return nil
}

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := dbFlag(fs)
	addr := fs.String("addr", envOr("PARLEY_ADDR", ":8080"), "the address `serve` will listen on (for the demo site's origins)")
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
	live, err := livechat.New(ctx, livechat.Opts{DB: db, CRM: m})
	if err != nil {
		fmt.Fprintln(stderr, "parley demo:", err)
		return 1
	}
	if err := seedDemo(ctx, m, live, portOf(*addr), stdout); err != nil {
		fmt.Fprintln(stderr, "parley demo:", err)
		return 1
	}
	fmt.Fprintln(stdout, "demo workspace ready: run `parley serve` and open /demo")
	return 0
}
