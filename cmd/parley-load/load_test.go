package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley/parley/schema/schematest"
)

// TestLoadSmall is the CI-sized run: 20 visitors through the real widget
// socket, the live chat playbook to its card, 2 agents claiming and
// answering through the API (their agent sockets, POST assign and POST
// messages), a few seconds of chat. Any lost, duplicated or reordered
// message fails it.
func TestLoadSmall(t *testing.T) {
	dbs := map[string]string{"sqlite": filepath.Join(t.TempDir(), "load.db")}
	if os.Getenv("PARLEY_TEST_POSTGRES") != "" {
		u, err := schematest.PostgresURL(t)
		if err != nil {
			t.Fatal(err)
		}
		dbs["postgres"] = u
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := startServer(ctx, serverOpts{DB: db, Addr: "127.0.0.1:0", Agents: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rep, err := runLoad(ctx, loadOpts{URLs: []string{s.URL()}, Visitors: 20, Rate: 40, Duration: 3 * time.Second, Connect: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			check(t, rep, 20, "in the generator")
		})
	}
}

// TestLoadInProcess: the old way, agents in the bench server through
// livechat.Service (serve -agents-in-process), still gives the same figures.
func TestLoadInProcess(t *testing.T) {
	ctx := context.Background()
	s, err := startServer(ctx, serverOpts{DB: filepath.Join(t.TempDir(), "load.db"), Addr: "127.0.0.1:0", Agents: 2, AgentsInProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := runLoad(ctx, loadOpts{URLs: []string{s.URL()}, Visitors: 10, Rate: 40, Duration: time.Second, Connect: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	check(t, rep, 10, "in the bench server")
}

// TestLoadTwoServers: visitors spread over two servers on one PostgreSQL,
// the agents on the second only, so half the chats cross the bus.
func TestLoadTwoServers(t *testing.T) {
	if os.Getenv("PARLEY_TEST_POSTGRES") == "" {
		t.Skip("PARLEY_TEST_POSTGRES not set")
	}
	u, err := schematest.PostgresURL(t)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := startServer(ctx, serverOpts{DB: u, Addr: "127.0.0.1:0", Agents: 0, Origin: "http://127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := startServer(ctx, serverOpts{DB: u, Addr: "127.0.0.1:0", Agents: 2, Origin: "http://127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rep, err := runLoad(ctx, loadOpts{URLs: []string{a.URL(), b.URL()}, Origin: "http://127.0.0.1", Visitors: 20, Rate: 40,
		Duration: 3 * time.Second, Connect: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	check(t, rep, 20, "in the generator, through the API and agent sockets of "+b.URL())

	// Agents behind a load balancer: B's agents spread over both servers
	// (their tokens work on either: one database). Nothing lost either.
	rep, err = runLoad(ctx, loadOpts{URLs: []string{a.URL(), b.URL()}, AgentURL: b.URL() + "," + a.URL(), Origin: "http://127.0.0.1",
		Visitors: 20, Rate: 40, Duration: 3 * time.Second, Connect: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	check(t, rep, 20, "in the generator, through the API and agent sockets of "+b.URL()+", "+a.URL())
}

func check(t *testing.T, rep report, n int, where string) {
	t.Helper()
	t.Logf("%+v", rep)
	if len(rep.Agents) != 1 || !strings.HasPrefix(rep.Agents[0].Where, where) || rep.AgentsRan != rep.Agents[0].Where {
		t.Fatalf("agents ran %q (%d reports), want one set %s...", rep.AgentsRan, len(rep.Agents), where)
	}
	if a := rep.Agents[0]; a.Claims != int64(n) || a.Reconnects != 0 {
		t.Errorf("agents claimed %d chats, want %d; %d socket reconnects", a.Claims, n, a.Reconnects)
	}
	if rep.Connected != int64(n) || rep.Joined != int64(n) {
		t.Errorf("%d connected, %d chats claimed; want %d", rep.Connected, rep.Joined, n)
	}
	if rep.Sent == 0 || rep.Acked != rep.Sent {
		t.Errorf("%d messages sent, %d acked", rep.Sent, rep.Acked)
	}
	if rep.AgentReceivedMsgs != rep.Sent || rep.Replies != rep.Sent {
		t.Errorf("%d sent, %d reached the agents, %d replies reached the visitors", rep.Sent, rep.AgentReceivedMsgs, rep.Replies)
	}
	if rep.Lost != 0 || rep.Late != 0 || rep.Duplicated != 0 || rep.OutOfOrder != 0 {
		t.Errorf("lost %d, late %d, duplicated %d, out of order %d", rep.Lost, rep.Late, rep.Duplicated, rep.OutOfOrder)
	}
	if rep.Errors != 0 || rep.AgentErrors != 0 {
		t.Errorf("%d visitor errors (%s), %d agent errors", rep.Errors, rep.FirstError, rep.AgentErrors)
	}
}
