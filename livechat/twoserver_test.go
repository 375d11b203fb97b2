package livechat_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley/parley/livechat"
)

// TestTwoServers: a visitor on server A and an agent on server B chat, both
// sending at once; halfway A's LISTEN connection is killed. Every event
// reaches A's visitor and B's agent once and in order, and the visitor's
// messages and the agent's replies are all there.
func TestTwoServers(t *testing.T) {
	c := newPGCluster(t, 2)
	a, b := c.servers[0], c.servers[1]
	agent := c.agent("Bo")

	// B's agent watches everything; A's visitor subscription is made
	// before the chat starts, so both must see every event from seq 1.
	agents := b.Hub().SubscribeAgents(8192)
	defer agents.Close()
	onB := collect(agents, false)
	v, _, err := a.CreateVisitor(c.ctx, c.site.ID)
	if err != nil {
		t.Fatal(err)
	}
	vsub := a.Hub().SubscribeVisitor(v.ID, 8192)
	defer vsub.Close()
	onA := collect(vsub, true)

	conv := c.handOver(a, b, v, agent)

	const n = 60
	var wg sync.WaitGroup
	wg.Add(2)
	killed := make(chan struct{})
	go func() { // the visitor, on A
		defer wg.Done()
		for i := 0; i < n; i++ {
			if i == n/2 {
				<-killed
			}
			if _, err := a.Message(c.ctx, v, fmt.Sprintf("v-%d", i), fmt.Sprintf("visitor %d", i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() { // the agent, on B
		defer wg.Done()
		for i := 0; i < n; i++ {
			if i == n/2 {
				<-killed
			}
			if _, err := b.AgentMessage(c.ctx, conv.ID, agent.ID, fmt.Sprintf("a-%d", i), fmt.Sprintf("agent %d", i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	// Mid-chat: kill A's listener connection while both keep writing.
	time.Sleep(50 * time.Millisecond)
	var pids []int
	if err := c.db.SelectContext(c.ctx, &pids, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, c.buses[0].ListenerName()); err != nil {
		t.Fatal(err)
	}
	if len(pids) != 1 {
		t.Fatalf("found %d listener connections for A", len(pids))
	}
	var ok bool
	if err := c.db.QueryRowxContext(c.ctx, `SELECT pg_terminate_backend($1)`, pids[0]).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate A's listener: %v %v", ok, err)
	}
	close(killed)
	wg.Wait()
	if t.Failed() {
		return
	}

	evs, err := a.Events(c.ctx, conv.ID, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "agent on B", onB, seqsOf(evs, false))
	waitFor(t, "visitor on A", onA, seqsOf(evs, true))
	if count(evs, livechat.KindVisitorMessage) != n || count(evs, livechat.KindAgentMessage) != n {
		t.Fatalf("stored %d visitor and %d agent messages, want %d each", count(evs, livechat.KindVisitorMessage), count(evs, livechat.KindAgentMessage), n)
	}
	// The agent messages the visitor got are in the order the agent sent them.
	next := 0
	onA.mu.Lock()
	for _, txt := range onA.texts {
		if want := fmt.Sprintf(`"text":"agent %d"`, next); strings.Contains(txt, `"kind":"agent_message"`) {
			if !strings.Contains(txt, want) {
				t.Fatalf("visitor got %s, want %s", txt, want)
			}
			next++
		}
	}
	onA.mu.Unlock()
	if next != n {
		t.Fatalf("visitor got %d agent messages, want %d", next, n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.buses[0].Stats().Reconnects == 0 {
		if time.Now().After(deadline) {
			t.Fatal("A's listener never reconnected")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("A: %+v", c.buses[0].Stats())
	t.Logf("B: %+v", c.buses[1].Stats())
}

// TestTypingCrossesServers: typing is published, not stored, so it crosses
// servers in the notification itself: the visitor typing on A reaches the
// agent's subscription on B, the agent typing on B reaches the visitor on A.
func TestTypingCrossesServers(t *testing.T) {
	c := newPGCluster(t, 2)
	a, b := c.servers[0], c.servers[1]
	agent := c.agent("Bo")
	v, _, err := a.CreateVisitor(c.ctx, c.site.ID)
	if err != nil {
		t.Fatal(err)
	}
	conv := c.handOver(a, b, v, agent)
	agents := b.Hub().SubscribeAgents(1024)
	defer agents.Close()
	vsub := a.Hub().SubscribeVisitor(v.ID, 1024)
	defer vsub.Close()

	if err := a.Typing(c.ctx, v, "I would like a quo"); err != nil {
		t.Fatal(err)
	}
	waitFrame(t, "visitor typing on B", agents, func(f livechat.Frame) bool {
		return f.ConversationID == conv.ID && strings.Contains(string(f.Agent), `"visitor.typing"`) && strings.Contains(string(f.Agent), "I would like a quo")
	})
	if err := b.AgentTyping(c.ctx, conv.ID, agent.ID); err != nil {
		t.Fatal(err)
	}
	waitFrame(t, "agent typing on A", vsub, func(f livechat.Frame) bool {
		return strings.Contains(string(f.Visitor), `"type":"typing"`) && strings.Contains(string(f.Visitor), "Bo")
	})
}

func waitFrame(t *testing.T, what string, sub *livechat.Subscription, ok func(livechat.Frame) bool) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case f, open := <-sub.C:
			if !open {
				t.Fatalf("%s: subscription closed", what)
			}
			if ok(f) {
				return
			}
		case <-timeout:
			t.Fatalf("%s: nothing within 5 s", what)
		}
	}
}
