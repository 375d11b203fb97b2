// Command parley runs and administers a Parley server: the lead-qualification
// chat service with its built-in CRM. main only wires packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/api"
	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/widget"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `parley — lead-qualification chat with a built-in CRM

Usage:
  parley serve [--addr :8080] [--db URL] [--demo]
  parley migrate [--db URL]
  parley user add EMAIL --name NAME [--admin] [--password P]
  parley token add EMAIL [--name LABEL]
  parley playbook validate FILE...
  parley playbook try FILE [--answers FILE] [--online]
  parley demo [--db URL]

The database is DATABASE_URL (or --db): postgres://… for PostgreSQL, else a
SQLite file (default ./parley-data/parley.db).
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "migrate":
		return cmdMigrate(args[1:], stdout, stderr)
	case "user":
		if len(args) > 1 && args[1] == "add" {
			return cmdUserAdd(args[2:], stdout, stderr)
		}
	case "token":
		if len(args) > 1 && args[1] == "add" {
			return cmdTokenAdd(args[2:], stdout, stderr)
		}
	case "playbook":
		if len(args) > 1 {
			if code, ok := runPlaybook(args[1], args[2:], stdin, stdout, stderr); ok {
				return code
			}
		}
	case "demo":
		return cmdDemo(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprint(stderr, usage)
	return 2
}

// dbFlag adds --db with DATABASE_URL as its default.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", os.Getenv("DATABASE_URL"), "database URL (postgres://… or a SQLite file)")
}

// parseFlags parses flags that may come after positional arguments
// (`user add EMAIL --name X`), returning the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// openDB opens and migrates the database.
func openDB(ctx context.Context, url string) (*schema.DB, error) {
	db, err := schema.Open(url)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.CheckVersion(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openCRM(ctx context.Context, db *schema.DB) (*crm.Manager, error) {
	m, err := crm.New(ctx, crm.Opts{DB: db})
	if err != nil {
		return nil, err
	}
	if _, err := m.EnsureDefaultPipeline(ctx); err != nil {
		return nil, fmt.Errorf("default pipeline: %w", err)
	}
	return m, nil
}

func cmdMigrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := dbFlag(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return 2
	}
	db, err := schema.Open(*dbURL)
	if err != nil {
		fmt.Fprintln(stderr, "parley migrate:", err)
		return 1
	}
	defer db.Close()
	n, err := db.Migrate(context.Background())
	if err != nil {
		fmt.Fprintln(stderr, "parley migrate:", err)
		return 1
	}
	v, _ := db.Version(context.Background())
	fmt.Fprintf(stdout, "applied %d migration(s); schema is at version %d\n", n, v)
	return 0
}

func cmdUserAdd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := dbFlag(fs)
	name := fs.String("name", "", "the user's name (required)")
	isAdmin := fs.Bool("admin", false, "make the user an admin")
	password := fs.String("password", "", "password (a random one is printed when empty)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *name == "" {
		fmt.Fprintln(stderr, "usage: parley user add EMAIL --name NAME [--admin] [--password P]")
		return 2
	}
	ctx := context.Background()
	db, err := openDB(ctx, *dbURL)
	if err != nil {
		fmt.Fprintln(stderr, "parley user add:", err)
		return 1
	}
	defer db.Close()
	m, err := openCRM(ctx, db)
	if err != nil {
		fmt.Fprintln(stderr, "parley user add:", err)
		return 1
	}
	pw, generated := *password, false
	if pw == "" {
		pw, generated = crm.GeneratePassword(), true
	}
	role := crm.RoleAgent
	if *isAdmin {
		role = crm.RoleAdmin
	}
	u, err := m.CreateUser(ctx, crm.UserInput{Name: *name, Email: pos[0], Password: pw, Role: role})
	if err != nil {
		fmt.Fprintln(stderr, "parley user add:", err)
		return 1
	}
	fmt.Fprintf(stdout, "added %s %s <%s> (id %d)\n", u.Role, u.Name, u.Email, u.ID)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", pw)
	}
	return 0
}

func cmdTokenAdd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := dbFlag(fs)
	label := fs.String("name", "", "a label for the token")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: parley token add EMAIL [--name LABEL]")
		return 2
	}
	ctx := context.Background()
	db, err := openDB(ctx, *dbURL)
	if err != nil {
		fmt.Fprintln(stderr, "parley token add:", err)
		return 1
	}
	defer db.Close()
	m, err := openCRM(ctx, db)
	if err != nil {
		fmt.Fprintln(stderr, "parley token add:", err)
		return 1
	}
	u, err := m.GetUserByEmail(ctx, pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "parley token add:", err)
		return 1
	}
	_, secret, err := m.CreateToken(ctx, u.ID, *label)
	if err != nil {
		fmt.Fprintln(stderr, "parley token add:", err)
		return 1
	}
	fmt.Fprintln(stdout, secret)
	return 0
}

// ensureAdmin creates the first admin on an empty database and prints its
// credentials once.
func ensureAdmin(ctx context.Context, m *crm.Manager, stdout io.Writer) error {
	n, err := m.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	email := os.Getenv("PARLEY_ADMIN_EMAIL")
	if email == "" {
		email = "admin@parley.local"
	}
	pw := os.Getenv("PARLEY_ADMIN_PASSWORD")
	if pw == "" {
		pw = crm.GeneratePassword()
	}
	if _, err := m.CreateUser(ctx, crm.UserInput{Name: "Admin", Email: email, Password: pw, Role: crm.RoleAdmin}); err != nil {
		// Several servers started at once on an empty database: one of
		// them creates the admin (the unique email decides), the others
		// find it there and carry on without printing a password.
		if _, gerr := m.GetUserByEmail(ctx, email); gerr == nil {
			return nil
		}
		return fmt.Errorf("create first admin: %w", err)
	}
	fmt.Fprintf(stdout, "\n  First start: created the admin account\n    email:    %s\n    password: %s\n  (shown once; add more with `parley user add`)\n\n", email, pw)
	return nil
}

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := dbFlag(fs)
	addr := fs.String("addr", envOr("PARLEY_ADDR", ":8080"), "listen address")
	demo := fs.Bool("demo", false, "seed the demo workspace (site, users, sample playbooks) if missing")
	autoReturn := fs.Duration("auto-return", envDuration("PARLEY_AUTO_RETURN"), "a new workspace's auto-return: give a chat back to the queue when its assignee has not replied for this long (1m–24h; then changed in Settings)")
	secure := fs.Bool("secure-cookies", os.Getenv("PARLEY_SECURE_COOKIES") == "true", "always set the Secure flag on session cookies")
	if _, err := parseFlags(fs, args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel()}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := openDB(ctx, *dbURL)
	if err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		return 1
	}
	defer db.Close()
	m, err := openCRM(ctx, db)
	if err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		return 1
	}
	if err := ensureAdmin(ctx, m, stdout); err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		return 1
	}
	// On PostgreSQL, servers sharing the database fan events out to each
	// other with LISTEN/NOTIFY; SQLite is one process, with the in-process bus.
	var bus livechat.Bus
	if db.Dialect == schema.Postgres {
		pb, err := livechat.NewPGBus(ctx, livechat.PGBusOpts{DB: db, Logger: log})
		if err != nil {
			fmt.Fprintln(stderr, "parley serve:", err)
			return 1
		}
		defer pb.Close()
		bus = pb
	}
	live, err := livechat.New(ctx, livechat.Opts{DB: db, CRM: m, Logger: log, Bus: bus})
	if err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		return 1
	}
	if *demo {
		if err := seedDemo(ctx, m, live, portOf(*addr), stdout); err != nil {
			fmt.Fprintln(stderr, "parley serve: demo:", err)
			return 1
		}
	}
	// Background loops: each decides through the database (conditional
	// updates on rows), so several servers can run them side by side.
	// The auto-return delay is a setting admins change in the app (Settings,
	// Live chat); --auto-return only gives a new workspace its first value.
	if *autoReturn > 0 {
		if err := live.SeedAutoReturn(ctx, *autoReturn); err != nil {
			fmt.Fprintln(stderr, "parley serve: --auto-return:", err)
			return 2
		}
	}
	loops := map[string]func(context.Context) error{
		"live chat timers": live.Run,
		"working hours":    live.RunWorkingHours,
		"auto-return":      func(ctx context.Context) error { return live.RunAutoReturnSettings(ctx, 0) },
		"webhooks":         func(ctx context.Context) error { return m.RunWebhooks(ctx, crm.WebhookSendOpts{Log: log}) },
	}
	for name, loop := range loops {
		go func() {
			if err := loop(ctx); err != nil && ctx.Err() == nil {
				log.Error("background loop stopped", "loop", name, "err", err)
			}
		}()
	}
	wh := widget.New(widget.Opts{Live: live, Logger: log})
	srv, err := api.New(ctx, api.Opts{
		DB: db, CRM: m, Live: live, Logger: log, SecureCookies: *secure,
		Mount: []func(*gin.Engine, gin.HandlerFunc){wh.MountFunc(), api.PprofMount()},
		OnStatus: func(ctx context.Context, u crm.User) {
			if err := live.AgentStatusChanged(ctx, u); err != nil {
				log.Warn("presence", "err", err)
			}
		},
	})
	if err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		return 1
	}
	hs := &http.Server{
		Addr:              *addr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	log.Info("parley is listening", "addr", *addr, "db", string(db.Dialect))
	fmt.Fprintf(stdout, "\n  Parley is running:\n    agent app:  http://localhost%s/app\n    demo site:  http://localhost%s/demo\n    API:        http://localhost%s/api/v1/openapi.json\n\n", portOf(*addr), portOf(*addr), portOf(*addr))
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "parley serve:", err)
			return 1
		}
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}
	return 0
}

func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i:]
	}
	return ""
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envDuration(k string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(k))
	return d
}

func logLevel() slog.Level {
	switch strings.ToLower(os.Getenv("PARLEY_LOG_LEVEL")) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
