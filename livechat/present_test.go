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

// visitorFrames reads what a visitor's socket would be sent.
type visitorFrames struct {
	t   *testing.T
	sub *livechat.Subscription
}

// next is the next visitor frame of type typ, skipping others (events).
func (vf visitorFrames) next(typ string) map[string]any {
	vf.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case f := <-vf.sub.C:
			var m map[string]any
			if err := json.Unmarshal(f.Visitor, &m); err != nil || m["type"] != typ {
				continue
			}
			return m
		case <-timeout:
			vf.t.Fatalf("no %s frame for the visitor", typ)
			return nil
		}
	}
}

// none checks that no frame of type typ is waiting.
func (vf visitorFrames) none(typ string) {
	vf.t.Helper()
	for {
		select {
		case f := <-vf.sub.C:
			var m map[string]any
			if json.Unmarshal(f.Visitor, &m) == nil && m["type"] == typ {
				vf.t.Fatalf("unexpected %s frame %v", typ, m)
			}
		default:
			return
		}
	}
}

// livechat.md, People: an invisible agent "can still be invited or open a
// chat; typing in a chat makes them online there" — there, not everywhere.
func TestInvisibleAgentIsOnlineInTheChatItSpeaksIn(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.publish(readExample(t, "live-chat.yaml"))
		ivy := f.agent("ivy", crm.StatusInvisible)
		v := f.visitor()
		c := f.startLiveChat(v, "Vera", "vera@example.com", "Acme")
		if c, _ = f.s.GetConversation(f.ctx, c.ID); c.State != livechat.StateOffline {
			t.Fatalf("with nobody online the chat is %s, want offline", c.State)
		}
		// Ivy opens the chat from the queue.
		c, err := f.s.Assign(f.ctx, c.ID, ivy.ID, ivy.ID)
		if err != nil {
			t.Fatal(err)
		}
		sub := f.s.Hub().SubscribeVisitor(v.ID, 256)
		defer sub.Close()
		vf := visitorFrames{t: t, sub: sub}
		online := func(want bool) {
			t.Helper()
			c, err := f.s.GetConversation(f.ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := f.s.OnlineIn(f.ctx, c); err != nil || got != want {
				t.Fatalf("OnlineIn = %v (%v), want %v", got, err, want)
			}
		}
		online(false) // holding the chat is not speaking in it

		// Typing shows her online to this visitor at once.
		if err := f.s.AgentTyping(f.ctx, c.ID, ivy.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.AgentActed(f.ctx, c.ID, ivy.ID); err != nil {
			t.Fatal(err)
		}
		vf.next("typing")
		if p := vf.next("presence"); p["online"] != true {
			t.Fatalf("presence after typing: %v", p)
		}
		// Her message makes it stick: a reconnecting widget counts her.
		if _, err := f.s.AgentMessage(f.ctx, c.ID, ivy.ID, "m-1", "Hi Vera, Ivy here."); err != nil {
			t.Fatal(err)
		}
		if err := f.s.AgentActed(f.ctx, c.ID, ivy.ID); err != nil {
			t.Fatal(err)
		}
		if p := vf.next("presence"); p["online"] != true {
			t.Fatalf("presence after the message: %v", p)
		}
		online(true)
		// A reload (a new hello) shows her present too.
		if w, _, err := f.s.Hello(f.ctx, v, livechat.HelloInput{}); err != nil || !w.Online {
			t.Fatalf("hello after her message: online %v, %v", w.Online, err)
		}

		// Only there: her status is unchanged, nobody counts as online, and
		// the next visitor's chat still finds nobody (she gets no new chats).
		if u, _ := f.crm.GetUser(f.ctx, ivy.ID); u.Status != crm.StatusInvisible {
			t.Fatalf("ivy's status became %s", u.Status)
		}
		if n, err := f.s.AgentsOnline(f.ctx, ""); err != nil || n != 0 {
			t.Fatalf("agents online %d %v", n, err)
		}
		v2 := f.visitor()
		c2 := f.startLiveChat(v2, "Olga", "olga@example.com", "Globex")
		if c2, _ = f.s.GetConversation(f.ctx, c2.ID); c2.State != livechat.StateOffline {
			t.Fatalf("the next chat is %s, want offline", c2.State)
		}
		if got, err := f.s.OnlineIn(f.ctx, c2); err != nil || got {
			t.Fatalf("OnlineIn for another chat = %v %v", got, err)
		}

		// Someone comes online and goes: the "nobody online" broadcast is
		// followed by this chat's own presence.
		bob := f.agent("bob", crm.StatusOffline)
		for _, st := range []string{crm.StatusOnline, crm.StatusOffline} {
			u, err := f.crm.SetUserStatus(f.ctx, bob.ID, st)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.s.AgentStatusChanged(f.ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if p := vf.next("presence"); p["online"] != true {
			t.Fatalf("bob online: %v", p)
		}
		if p := vf.next("presence"); p["online"] != false {
			t.Fatalf("everyone gone: %v", p)
		}
		if p := vf.next("presence"); p["online"] != true {
			t.Fatalf("ivy still present after the broadcast: %v", p)
		}

		// An agent who does not hold the chat is no presence in it; an
		// online holder needs none (the global count has them).
		if err := f.s.AgentActed(f.ctx, c.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		vf.none("presence")
		// Closed: nobody is present any more.
		if _, err := f.s.Close(f.ctx, c.ID, ivy.ID); err != nil {
			t.Fatal(err)
		}
		online(false)
	})
}
