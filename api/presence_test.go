package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema/schematest"
)

// Through the REST API the agent app uses: an invisible agent's typing and
// message reach the visitor as "someone is online here" (livechat/present.go).
func TestInvisibleAgentTypingMakesThemOnlineInTheChat(t *testing.T) {
	e := newLiveEnv(t, schematest.SQLite(t), false)
	ivy := e.newAgent("ivy")
	if u, err := e.crm.SetUserStatus(e.ctx, ivy.ID, crm.StatusInvisible); err != nil {
		t.Fatal(err)
	} else if err := e.live.AgentStatusChanged(e.ctx, u); err != nil {
		t.Fatal(err)
	}
	vi := e.newVisitor()
	// Nobody is online: the chat goes straight to offline, in the queue.
	c, err := e.live.Start(e.ctx, vi.v, "live-chat", livechat.PageInfo{})
	if err != nil {
		t.Fatal(err)
	}
	for i, val := range []string{"Vera", "vera@example.com", "Acme"} {
		if _, err := e.live.Answer(e.ctx, vi.v, livechat.AnswerInput{ClientID: fmt.Sprint("f-", i), Card: "contact", Field: i, Value: val}); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, e.as(ivy, "POST", "/api/v1/conversations/"+c.ID+"/assign", map[string]any{"user_id": ivy.ID}), 200)
	sub := e.live.Hub().SubscribeVisitor(vi.v.ID, 256)
	defer sub.Close()
	presence := func() {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case f := <-sub.C:
				var m map[string]any
				if json.Unmarshal(f.Visitor, &m) == nil && m["type"] == "presence" {
					if m["online"] != true || f.ConversationID != c.ID {
						t.Fatalf("presence %v for %q", m, f.ConversationID)
					}
					return
				}
			case <-timeout:
				t.Fatal("no presence frame for the visitor")
			}
		}
	}
	expect(t, e.as(ivy, "POST", "/api/v1/conversations/"+c.ID+"/typing", nil), 200)
	presence()
	expect(t, e.as(ivy, "POST", "/api/v1/conversations/"+c.ID+"/messages", map[string]any{"client_id": "m-1", "text": "Hi, Ivy here"}), 201)
	presence()
	c, err = e.live.GetConversation(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if on, err := e.live.OnlineIn(e.ctx, c); err != nil || !on {
		t.Fatalf("OnlineIn %v %v", on, err)
	}
	if u, _ := e.crm.GetUser(e.ctx, ivy.ID); u.Status != crm.StatusInvisible {
		t.Fatalf("status became %s", u.Status)
	}
}
