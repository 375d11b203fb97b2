package livechat_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// TestAgentReadReceipt: an agent reading the chat sends the visitor a read
// event whose up_to is the seq read up to (not hidden by the event's own
// seq), once per batch of new visitor messages, and resets unread.
func TestAgentReadReceipt(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		ann := f.agent("ann", crm.StatusOnline)
		v := f.visitor()
		if _, err := f.s.Message(f.ctx, v, "m1", "Hello?"); err != nil {
			t.Fatal(err)
		}
		c, err := f.s.OpenConversation(f.ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Assign(f.ctx, c.ID, ann.ID, ann.ID); err != nil {
			t.Fatal(err)
		}
		ack, err := f.s.Message(f.ctx, v, "m2", "Anyone there?")
		if err != nil {
			t.Fatal(err)
		}
		sub := f.s.Hub().SubscribeVisitor(v.ID, 0)
		defer sub.Close()
		if err := f.s.MarkReadByAgent(f.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		var frame map[string]any
		select {
		case fr := <-sub.C:
			if fr.Visitor == nil {
				t.Fatalf("the read receipt is not for the visitor: %s", fr.Agent)
			}
			if err := json.Unmarshal(fr.Visitor, &frame); err != nil {
				t.Fatal(err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("no read event reached the visitor")
		}
		if frame["kind"] != "read" || frame["up_to"] != float64(ack.Seq) || frame["seq"] != float64(ack.Seq+1) {
			t.Fatalf("visitor frame %v, want read up_to %d at seq %d", frame, ack.Seq, ack.Seq+1)
		}
		evs := f.events(c.ID)
		last := evs[len(evs)-1]
		if last.Kind != livechat.KindRead || !last.VisibleToVisitor || last.Author != "agent:"+jsonNum(ann.ID) {
			t.Fatalf("stored receipt %+v", last)
		}
		if got, _ := f.s.GetConversation(f.ctx, c.ID); got.Unread != 0 {
			t.Fatalf("unread %d after read", got.Unread)
		}
		// Nothing new from the visitor: no second receipt.
		if err := f.s.MarkReadByAgent(f.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(f.events(c.ID)); n != len(evs) {
			t.Fatalf("a read with nothing new stored %d events", n-len(evs))
		}
		// The visitor's own receipt (agents only) is not news for agents either.
		if err := f.s.Read(f.ctx, v, last.Seq); err != nil {
			t.Fatal(err)
		}
		if err := f.s.MarkReadByAgent(f.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if n := count(f.events(c.ID), livechat.KindRead); n != 2 {
			t.Fatalf("%d read events, want the agents' and the visitor's", n)
		}
	})
}

// TestReadFrameKeepsPosition: the visitor frame of a read event carries the
// position read up to beside the event's own seq, also for a receipt stored
// with data.seq.
func TestReadFrameKeepsPosition(t *testing.T) {
	for _, data := range []string{`{"up_to":7}`, `{"seq":7}`} {
		e := livechat.Event{Seq: 9, Kind: livechat.KindRead, Data: json.RawMessage(data), At: time.Now()}
		var m map[string]any
		if err := json.Unmarshal(e.VisitorFrame(), &m); err != nil {
			t.Fatal(err)
		}
		if m["seq"] != float64(9) || m["up_to"] != float64(7) {
			t.Errorf("data %s: frame %v, want seq 9 and up_to 7", data, m)
		}
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }
