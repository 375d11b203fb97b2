package livechat_test

import (
	"testing"
	"time"

	"github.com/parley/parley/livechat"
)

func TestHubDropsSlowSubscriberWithoutBlockingOthers(t *testing.T) {
	h := livechat.NewHub()
	slow := h.SubscribeVisitor(1, 2)
	fast := h.SubscribeVisitor(1, 100)
	agents := h.SubscribeAgents(100)
	other := h.SubscribeVisitor(2, 1)
	frame := livechat.Frame{ConversationID: "c", VisitorID: 1, Visitor: []byte(`{"type":"event"}`), Agent: []byte(`{}`)}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 10; i++ {
			frame.Seq = int64(i + 1)
			h.Publish(frame)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	// The slow one got its first two frames, then its channel was closed.
	var got []int64
	for f := range slow.C {
		got = append(got, f.Seq)
	}
	if len(got) != 2 || got[0] != 1 || !slow.Dropped() {
		t.Fatalf("slow subscriber got %v, dropped %v", got, slow.Dropped())
	}
	for i := int64(1); i <= 10; i++ {
		if f := <-fast.C; f.Seq != i {
			t.Fatalf("fast subscriber got seq %d, want %d", f.Seq, i)
		}
		if f := <-agents.C; f.Seq != i {
			t.Fatalf("agents got seq %d, want %d", f.Seq, i)
		}
	}
	select {
	case f := <-other.C:
		t.Fatalf("another visitor got %+v", f)
	default:
	}
	// A broadcast (presence) reaches every visitor; closing twice is safe.
	h.Publish(livechat.Frame{Broadcast: true, Visitor: []byte(`{"type":"presence"}`)})
	if f := <-other.C; string(f.Visitor) != `{"type":"presence"}` {
		t.Fatalf("broadcast: %s", f.Visitor)
	}
	fast.Close()
	fast.Close()
	slow.Close()
	if fast.Dropped() {
		t.Error("a closed subscription is not a dropped one")
	}
}
