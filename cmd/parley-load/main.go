// Command parley-load measures how far one machine goes: it opens N visitor
// sockets through the real widget protocol, runs the live chat playbook to
// its live chat card, lets M simulated agents claim and answer, and reports
// connections held, messages per second, delivery latency both ways,
// playbook steps per second, errors, lost or duplicated messages and server
// memory per connection. It talks to loopback only and stops by itself.
//
//	parley-load serve -db URL -addr 127.0.0.1:9001 -agents 10   # a bench server
//	parley-load -url http://127.0.0.1:9001 -visitors 1000 -rate 500 -duration 30s
//
// The bench server is `parley serve`'s assembly (api + widget, the
// PostgreSQL bus on PostgreSQL) plus the simulated agents, which work through
// livechat.Service in the server process (the agent REST endpoints are not
// there yet), and GET /bench/stats (site key, sockets, heap and stacks,
// agents' figures). Memory per connection is the growth of the server's Go
// heap-in-use plus stacks (from /bench/stats, after a GC) while N idle
// sockets are open, divided by N; with -pid also the growth of its RSS
// (/proc/PID/statm).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

func cli(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) > 0 && args[0] == "serve" {
		return cmdServe(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("parley-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	urls := fs.String("url", "http://127.0.0.1:9001", "server URL(s), comma-separated; visitors are spread over them")
	site := fs.String("site", "", "site key (default: the bench server's, from /bench/stats)")
	n := fs.Int("visitors", 100, "visitor sockets to open and hold")
	chatters := fs.Int("chatters", 0, "visitors that run the playbook and chat (default all)")
	agents := fs.Int("agents", 0, "informational: agents run in the bench server (serve -agents M)")
	dur := fs.Duration("duration", 20*time.Second, "length of the chat phase")
	rate := fs.Float64("rate", 100, "visitor messages per second, all visitors together")
	connect := fs.Duration("connect-timeout", 2*time.Minute, "the longest the connect phase may take")
	pid := fs.Int("pid", 0, "server process id, to report RSS per connection")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	origin := fs.String("origin", "", "Origin header of the visitors (default: the first -url); must be allowed by the site")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	_ = agents
	rep, err := runLoad(ctx, loadOpts{URLs: strings.Split(*urls, ","), Site: *site, Visitors: *n, Chatters: *chatters,
		Rate: *rate, Duration: *dur, Connect: *connect, PID: *pid, Origin: *origin})
	if err != nil {
		fmt.Fprintln(stderr, "parley-load:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		printTable(stdout, rep)
	}
	if rep.Lost > 0 || rep.Duplicated > 0 || rep.OutOfOrder > 0 {
		return 3
	}
	return 0
}

func printTable(w io.Writer, r report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\t\n", k, v) }
	lat := func(l latencyReport) string {
		return fmt.Sprintf("p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms  (n=%d)", l.P50, l.P95, l.P99, l.Max, l.N)
	}
	row("servers", strings.Join(r.Servers, " "))
	row("connections held", fmt.Sprintf("%d of %d (%.1fs, %d errors)", r.Connected, r.Visitors, r.ConnectSeconds, r.ConnectErrors))
	row("server heap+stack per idle conn", fmt.Sprintf("%d B", r.HeapPerConn))
	if r.RSSPerConn > 0 {
		row("server RSS per idle conn", fmt.Sprintf("%d B", r.RSSPerConn))
	}
	row("playbook steps", fmt.Sprintf("%d (%.0f/s), %d reached live chat, %d claimed", r.PlaybookSteps, r.StepsPerSec, r.Handovers, r.Joined))
	row("chat messages", fmt.Sprintf("%d sent, %d acked, %d at agents, %d replies back in %.1fs", r.Sent, r.Acked, r.AgentReceivedMsgs, r.Replies, r.DurationSeconds))
	row("messages/s delivered", fmt.Sprintf("%.0f", r.MessagesPerSec))
	row("visitor→agent", lat(r.VisitorToAgent))
	row("agent→visitor", lat(r.AgentToVisitor))
	row("lost / duplicated / out of order", fmt.Sprintf("%d / %d / %d", r.Lost, r.Duplicated, r.OutOfOrder))
	row("errors (visitors / agents)", fmt.Sprintf("%d / %d", r.Errors, r.AgentErrors))
	if r.FirstError != "" {
		row("first error", r.FirstError)
	}
	for _, a := range r.ServerAgents {
		if a.FirstError != "" {
			row("first agent error", a.FirstError)
		}
	}
	tw.Flush()
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("parley-load serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", os.Getenv("DATABASE_URL"), "database URL (postgres://… or a SQLite file)")
	addr := fs.String("addr", "127.0.0.1:9001", "loopback listen address")
	agents := fs.Int("agents", 10, "simulated agents in this server (0 for none)")
	origin := fs.String("origin", "", "allowed origin of the bench site (default http://ADDR); share one between servers")
	verbose := fs.Bool("v", false, "log warnings to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o := serverOpts{DB: *db, Addr: *addr, Agents: *agents, Origin: *origin}
	if *verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := startServer(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "parley-load serve:", err)
		return 1
	}
	fmt.Fprintf(stdout, "bench server %s pid %d site %s db %s agents %d\n", s.URL(), os.Getpid(), s.site.SiteKey, s.db.Dialect, *agents)
	<-ctx.Done()
	s.Close()
	return 0
}
