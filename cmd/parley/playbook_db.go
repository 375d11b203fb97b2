package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/playbook"
)

// openLive opens the database, the CRM and the live chat store, for the
// commands that work on stored playbooks.
func openLive(ctx context.Context, url string) (*livechat.Service, func(), error) {
	db, err := openDB(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	m, err := openCRM(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	live, err := livechat.New(ctx, livechat.Opts{DB: db, CRM: m})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return live, func() { db.Close() }, nil
}

// runPlaybookImport stores a playbook file as a draft (a new playbook, or the
// new draft of the one with the same id) and optionally publishes it.
func runPlaybookImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("playbook import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := dbFlag(fs)
	publish := fs.Bool("publish", false, "publish the imported draft as a new version")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: parley playbook import FILE [--publish]")
		return 2
	}
	file := pos[0]
	src, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(stderr, "parley playbook import:", err)
		return 1
	}
	format := livechat.FormatYAML
	if strings.HasSuffix(strings.ToLower(file), ".json") {
		format = livechat.FormatJSON
	}
	// Check first, so problems print as FILE:line:col like `validate`.
	doc, probs := playbook.Load(src)
	if len(probs.Errors()) > 0 {
		for _, p := range probs {
			fmt.Fprintf(stderr, "%s:%s\n", file, p)
		}
		return 1
	}
	ctx := context.Background()
	live, closeDB, err := openLive(ctx, *dbURL)
	if err != nil {
		fmt.Fprintln(stderr, "parley playbook import:", err)
		return 1
	}
	defer closeDB()
	p, err := live.PlaybookBySlug(ctx, doc.Document().ID)
	switch {
	case err == nil:
		p, err = live.UpdateDraft(ctx, p.ID, src, format)
	case errors.Is(err, crm.ErrNotFound):
		p, err = live.CreatePlaybook(ctx, src, format)
	}
	if err != nil {
		fmt.Fprintln(stderr, "parley playbook import:", err)
		return 1
	}
	fmt.Fprintf(stdout, "imported %s as playbook %d (%s)\n", file, p.ID, p.Slug)
	if *publish {
		v, err := live.Publish(ctx, p.ID)
		if err != nil {
			fmt.Fprintln(stderr, "parley playbook import:", err)
			return 1
		}
		fmt.Fprintf(stdout, "published version %d\n", v.Version)
	}
	return 0
}

// runPlaybookExport prints a stored playbook's draft, or one published
// version, as it was written.
func runPlaybookExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("playbook export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := dbFlag(fs)
	version := fs.Int("version", 0, "a published version (default: the draft)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: parley playbook export ID [--version N]")
		return 2
	}
	ctx := context.Background()
	live, closeDB, err := openLive(ctx, *dbURL)
	if err != nil {
		fmt.Fprintln(stderr, "parley playbook export:", err)
		return 1
	}
	defer closeDB()
	// ID is the numeric id or the document's slug.
	var p livechat.Playbook
	if n, perr := strconv.ParseInt(pos[0], 10, 64); perr == nil {
		p, err = live.GetPlaybook(ctx, n)
	} else {
		p, err = live.PlaybookBySlug(ctx, pos[0])
	}
	if err != nil {
		fmt.Fprintln(stderr, "parley playbook export:", err)
		return 1
	}
	src := p.Draft
	if *version > 0 {
		v, err := live.GetVersion(ctx, p.ID, *version)
		if err != nil {
			fmt.Fprintln(stderr, "parley playbook export:", err)
			return 1
		}
		src = v.Source
	}
	io.WriteString(stdout, src)
	if !strings.HasSuffix(src, "\n") {
		io.WriteString(stdout, "\n")
	}
	return 0
}
