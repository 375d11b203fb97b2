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
// PostgreSQL bus on PostgreSQL) plus M agent users, online, each with an
// API token, and GET /bench/stats (site key, sockets, heap and stacks) and
// GET /bench/agents (the agents' ids and tokens, for the generator).
//
// The agents run in the generator, as the agent app would: each opens the
// agent socket (GET /api/v1/realtime, hello with last_event) of the server
// named by -agent-url (default: the last -url, server B in the two-server
// setup), claims waiting unassigned chats with POST
// /api/v1/conversations/{id}/assign (409: another won) and answers every
// visitor message with POST /api/v1/conversations/{id}/messages, client_id
// r-<event id>. With serve -agents-in-process the bench server runs them
// itself through livechat.Service and its hub instead (the way before the
// agent API existed), to compare; the report says where they ran.
//
// Memory per connection is the growth of the server's Go heap-in-use plus
// stacks (from /bench/stats, after a GC) while N idle visitor sockets are
// open, divided by N; with -pid also the growth of its RSS
// (/proc/PID/statm). A message without its reply at the end is checked
// against the database: stored means late (the server fell behind), acked
// but not stored means lost. The exit status is 3 on any lost, duplicated
// or reordered message, 4 when some were only late.
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
	agentURL := fs.String("agent-url", "", "the server whose agents (serve -agents M) the generator runs through its API (default: the last -url); several, comma-separated, spread the agents over them")
	agents := fs.Int("agents", 0, "run at most this many of that server's agents (default all)")
	dur := fs.Duration("duration", 20*time.Second, "length of the chat phase")
	rate := fs.Float64("rate", 100, "visitor messages per second, all visitors together")
	connect := fs.Duration("connect-timeout", 2*time.Minute, "the longest the connect phase may take")
	pid := fs.Int("pid", 0, "server process id, to report RSS per connection")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	origin := fs.String("origin", "", "Origin header of the visitors (default: the first -url); must be allowed by the site")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rep, err := runLoad(ctx, loadOpts{URLs: strings.Split(*urls, ","), Site: *site, Visitors: *n, Chatters: *chatters,
		Rate: *rate, Duration: *dur, Connect: *connect, PID: *pid, Origin: *origin, AgentURL: *agentURL, Agents: *agents})
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
	if rep.Late > 0 {
		return 4 // nothing lost, but the server fell behind
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
	row("agents ran", r.AgentsRan)
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
	row("lost / late / duplicated / out of order", fmt.Sprintf("%d / %d / %d / %d", r.Lost, r.Late, r.Duplicated, r.OutOfOrder))
	var reconnects int64
	for _, a := range r.Agents {
		reconnects += a.Reconnects
	}
	row("errors (visitors / agents)", fmt.Sprintf("%d / %d, %d agent socket reconnects", r.Errors, r.AgentErrors, reconnects))
	if r.FirstError != "" {
		row("first error", r.FirstError)
	}
	for _, a := range r.Agents {
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
	agents := fs.Int("agents", 10, "agent users, online, each with an API token the generator uses (0 for none)")
	inProcess := fs.Bool("agents-in-process", false, "run the agents in this server through livechat.Service instead (the generator then runs none)")
	origin := fs.String("origin", "", "allowed origin of the bench site (default http://ADDR); share one between servers")
	verbose := fs.Bool("v", false, "log warnings to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o := serverOpts{DB: *db, Addr: *addr, Agents: *agents, AgentsInProcess: *inProcess, Origin: *origin}
	if *verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := startServer(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "parley-load serve:", err)
		return 1
	}
	where := "for the generator (GET /bench/agents)"
	if *inProcess {
		where = "in process"
	}
	fmt.Fprintf(stdout, "bench server %s pid %d site %s db %s agents %d %s\n", s.URL(), os.Getpid(), s.site.SiteKey, s.db.Dialect, *agents, where)
	<-ctx.Done()
	s.Close()
	return 0
}
