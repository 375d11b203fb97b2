package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// Many agents click "Assign to me" on the same waiting chat at once: one
// 200, the rest 409 naming the winner, one agent_joined.
func TestAssignRaceHasOneWinner(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		const n = 8
		agents := make([]agentUser, n)
		for i := range agents {
			agents[i] = e.newAgent(fmt.Sprintf("agent%d", i))
		}
		for round := range 3 {
			c := e.newVisitor().startLiveChat("Vera Visitor", fmt.Sprintf("vera%d@example.com", round), "Acme")
			statuses := make([]int, n)
			bodies := make([]string, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, a := range agents {
				wg.Go(func() {
					<-start
					r := e.as(a, "POST", "/api/v1/conversations/"+c.ID+"/assign", map[string]any{"user_id": a.ID})
					statuses[i], bodies[i] = r.Status, r.Body.Error
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, st := range statuses {
				switch st {
				case http.StatusOK:
					if winner >= 0 {
						t.Fatalf("round %d: two winners: %d and %d", round, winner, i)
					}
					winner = i
				case http.StatusConflict:
				default:
					t.Fatalf("round %d: agent %d got %d: %s", round, i, st, bodies[i])
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no winner: %v", round, statuses)
			}
			for i, st := range statuses {
				if st == http.StatusConflict && !strings.Contains(bodies[i], agents[winner].Name) {
					t.Fatalf("the loser is not told who took it: %q", bodies[i])
				}
			}
			got, _ := e.live.GetConversation(e.ctx, c.ID)
			if got.State != livechat.StateActive || got.AssigneeID == nil || *got.AssigneeID != agents[winner].ID {
				t.Fatalf("after the race: %s %v", got.State, got.AssigneeID)
			}
			if k := countKind(e.events(c.ID), livechat.KindAgentJoined); k != 1 {
				t.Fatalf("%d agent_joined events", k)
			}
		}
	})
}

// An agent claims a chat at the moment its deadline passes: either the
// claim wins (no offline message, no capture) or the deadline does (one
// offline message and one lead, then the claim of the offline chat). Never
// both at once, never twice.
func TestAssignVersusDeadlineHasOneOutcome(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		a := e.newAgent("ann")
		wins := map[string]int{}
		for round := range 12 {
			c := e.newVisitor().startLiveChat("Vera Visitor", fmt.Sprintf("vera%d@example.com", round), "Acme")
			e.clock.Advance(91 * time.Second)
			var wg sync.WaitGroup
			start := make(chan struct{})
			var status int
			var fireErr error
			wg.Go(func() {
				<-start
				status = e.as(a, "POST", "/api/v1/conversations/"+c.ID+"/assign", map[string]any{"user_id": a.ID}).Status
			})
			wg.Go(func() {
				<-start
				_, fireErr = e.live.RunDueTimers(e.ctx)
			})
			close(start)
			wg.Wait()
			if fireErr != nil {
				t.Fatal(fireErr)
			}
			// The claim always ends with the agent: a chat whose deadline
			// won is offline, and offline chats can still be claimed.
			if status != http.StatusOK {
				t.Fatalf("round %d: assign %d", round, status)
			}
			evs := e.events(c.ID)
			offline, joined := countKind(evs, livechat.KindOffline), countKind(evs, livechat.KindAgentJoined)
			leads, _, err := e.crm.ListLeads(e.ctx, crm.LeadFilter{}, crm.ListParams{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			captured := 0
			for _, l := range leads {
				if l.ConversationID != nil && *l.ConversationID == c.ID {
					captured++
				}
			}
			switch {
			case joined != 1:
				t.Fatalf("round %d: %d agent_joined", round, joined)
			case offline == 0 && captured == 0:
				wins["assign"]++
			case offline == 1 && captured == 1 && seqOf(evs, livechat.KindOffline) < seqOf(evs, livechat.KindAgentJoined):
				wins["deadline"]++
			default:
				t.Fatalf("round %d: offline=%d captured=%d joined at %d offline at %d", round, offline, captured,
					seqOf(evs, livechat.KindAgentJoined), seqOf(evs, livechat.KindOffline))
			}
		}
		t.Logf("outcomes: %v", wins)
	})
}

// A server restarts while a chat waits: the new processes (two of them,
// racing) fire the overdue deadline exactly once, and an agent can still
// claim the chat afterwards.
func TestRestartWhileWaitingFiresDeadlineOnce(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		a := e.newAgent("ann")
		c := e.newVisitor().startLiveChat("Vera Visitor", "vera@example.com", "Acme")
		e.clock.Advance(2 * time.Minute) // the server was down past the deadline
		var fired [2]int
		var errs [2]error
		var wg sync.WaitGroup
		for i := range 2 {
			s2, err := livechat.New(e.ctx, livechat.Opts{DB: db, CRM: e.lcrm, Now: e.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() { fired[i], errs[i] = s2.RunDueTimers(context.Background()) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if fired[0]+fired[1] != 1 {
			t.Fatalf("fired %v", fired)
		}
		evs := e.events(c.ID)
		if countKind(evs, livechat.KindOffline) != 1 || countKind(evs, livechat.KindCaptured) != 1 {
			t.Fatalf("after restart: %v", evKinds(evs))
		}
		r := e.as(a, "GET", "/api/v1/conversations?folder=unassigned", nil)
		expect(t, r, 200)
		if !ids(decodeConvs(t, r))[c.ID] {
			t.Fatal("the offline chat is not in the unassigned folder")
		}
		expect(t, e.as(a, "POST", "/api/v1/conversations/"+c.ID+"/assign", map[string]any{"user_id": a.ID}), 200)
	})
}

func evKinds(evs []livechat.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

// The visibility matrix: what each agent may read and do on each kind of
// chat. Another agent's chat is 404 on every endpoint, so its existence
// does not leak; a visible chat the caller does not hold is 403 for
// writing in it.
func TestConversationVisibilityMatrix(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		ann, bob := e.newAgent("ann"), e.newAgent("bob")
		admin := agentUser{User: e.admin, token: e.adminToken}

		queued := e.newVisitor().startLiveChat("Queued", "q@example.com", "")
		anns := e.newVisitor().startLiveChat("Anns", "a@example.com", "")
		bobs := e.newVisitor().startLiveChat("Bobs", "b@example.com", "")
		closed := e.newVisitor().startLiveChat("Closed", "c@example.com", "")
		botV := e.newVisitor()
		bot, err := e.live.Start(e.ctx, botV.v, "live-chat", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, e.as(ann, "POST", "/api/v1/conversations/"+anns.ID+"/assign", map[string]any{"user_id": ann.ID}), 200)
		expect(t, e.as(bob, "POST", "/api/v1/conversations/"+bobs.ID+"/assign", map[string]any{"user_id": bob.ID}), 200)
		expect(t, e.as(bob, "POST", "/api/v1/conversations/"+closed.ID+"/assign", map[string]any{"user_id": bob.ID}), 200)
		expect(t, e.as(bob, "POST", "/api/v1/conversations/"+bobs.ID+"/messages", map[string]any{"client_id": "b1", "text": "Bob's secret"}), 201)
		expect(t, e.as(bob, "POST", "/api/v1/conversations/"+closed.ID+"/messages", map[string]any{"client_id": "c1", "text": "bye"}), 201)
		expect(t, e.as(bob, "POST", "/api/v1/conversations/"+closed.ID+"/close", nil), 200)

		type call struct {
			name, method, path string
			body               any
		}
		calls := func(id string) []call {
			p := "/api/v1/conversations/" + id
			return []call{
				{"get", "GET", p, nil},
				{"events", "GET", p + "/events", nil},
				{"message", "POST", p + "/messages", map[string]any{"client_id": "x-" + id, "text": "hi"}},
				{"edit", "PATCH", p + "/messages/1", map[string]any{"text": "hi"}},
				{"typing", "POST", p + "/typing", nil},
				{"lead", "POST", p + "/lead", map[string]any{"person_name": "P"}},
			}
		}
		// want[agent][conversation][call] = status
		const nf = 404
		want := map[string]map[string]map[string]int{
			"ann": {
				"queued": {"get": 200, "events": 200, "message": 403, "edit": 403, "typing": 403, "lead": 201},
				"anns":   {"get": 200, "events": 200, "message": 201, "edit": 422, "typing": 200, "lead": 201},
				"bobs":   {"get": nf, "events": nf, "message": nf, "edit": nf, "typing": nf, "lead": nf},
				"closed": {"get": 200, "events": 200, "message": 409, "edit": 409, "typing": 403, "lead": 201},
				"bot":    {"get": 200, "events": 200, "message": 403, "edit": 403, "typing": 403, "lead": 201},
			},
			"admin": {
				"bobs": {"get": 200, "events": 200, "message": 403, "edit": 403, "typing": 403, "lead": 201},
			},
		}
		convs := map[string]string{"queued": queued.ID, "anns": anns.ID, "bobs": bobs.ID, "closed": closed.ID, "bot": bot.ID}
		users := map[string]agentUser{"ann": ann, "admin": admin}
		for who, byConv := range want {
			for cname, byCall := range byConv {
				for _, cl := range calls(convs[cname]) {
					r := e.as(users[who], cl.method, cl.path, cl.body)
					if r.Status != byCall[cl.name] {
						t.Errorf("%s %s on %s: %d, want %d: %s", who, cl.name, cname, r.Status, byCall[cl.name], r.Raw)
					}
					if who == "ann" && cname == "bobs" && strings.Contains(string(r.Raw), "Bob's secret") {
						t.Errorf("ann read bob's chat through %s", cl.name)
					}
				}
			}
		}
		// Ann cannot take, close, give back or hand over Bob's chat.
		p := "/api/v1/conversations/" + bobs.ID
		expect(t, e.as(ann, "POST", p+"/close", nil), 404)
		expect(t, e.as(ann, "POST", p+"/assign", map[string]any{"user_id": nil}), 404)
		expect(t, e.as(ann, "POST", p+"/assign", map[string]any{"user_id": admin.ID}), 404)
		r := e.as(ann, "POST", p+"/assign", map[string]any{"user_id": ann.ID})
		expect(t, r, 409)
		if !strings.Contains(r.Body.Error, "bob") {
			t.Fatalf("the loser is not told who holds it: %s", r.Raw)
		}
		// Agents assign only to themselves; the assignee or an admin reassigns.
		expect(t, e.as(ann, "POST", "/api/v1/conversations/"+queued.ID+"/assign", map[string]any{"user_id": bob.ID}), 403)
		expect(t, e.as(ann, "POST", "/api/v1/conversations/"+queued.ID+"/assign", map[string]any{}), 422)

		// Folders.
		folder := func(u agentUser, f string) map[string]bool {
			t.Helper()
			r := e.as(u, "GET", "/api/v1/conversations?folder="+f, nil)
			expect(t, r, 200)
			return ids(decodeConvs(t, r))
		}
		un := folder(ann, "unassigned")
		if !un[queued.ID] || un[anns.ID] || un[bobs.ID] || un[closed.ID] || un[bot.ID] {
			t.Errorf("ann's unassigned: %v", un)
		}
		if mine := folder(ann, "mine"); len(mine) != 1 || !mine[anns.ID] {
			t.Errorf("ann's mine: %v", mine)
		}
		if cl := folder(ann, "closed"); len(cl) != 1 || !cl[closed.ID] {
			t.Errorf("ann's closed: %v", cl)
		}
		expect(t, e.as(ann, "GET", "/api/v1/conversations?folder=all", nil), 403)
		if all := folder(admin, "all"); len(all) != 5 {
			t.Errorf("admin's all: %d", len(all))
		}
		// The visitor list links only chats the caller may open.
		r = e.as(ann, "GET", "/api/v1/visitors?online=true", nil)
		expect(t, r, 200)
		var vs []struct {
			ConversationID *string `json:"conversation_id"`
		}
		r.data(t, &vs)
		for _, v := range vs {
			if v.ConversationID != nil && *v.ConversationID == bobs.ID {
				t.Error("the visitor list links bob's chat for ann")
			}
		}
		if len(vs) != 5 {
			t.Errorf("%d visitors online", len(vs))
		}
	})
}

// The rest of the chat's life over the API: messages and edits, the side
// panel on a closed chat, reassign and unassign, close is final.
func TestConversationLifecycle(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		ann, bob := e.newAgent("ann"), e.newAgent("bob")
		vi := e.newVisitor()
		c := vi.startLiveChat("Vera Visitor", "vera@example.com", "Acme")
		p := "/api/v1/conversations/" + c.ID

		r := e.as(ann, "GET", p, nil)
		expect(t, r, 200)
		var view convResp
		r.data(t, &view)
		if view.Contact.Person["name"] != "Vera Visitor" || view.Visitor == nil || view.Visitor.Browser != "Chrome" {
			t.Fatalf("conversation view: %s", r.Raw)
		}
		expect(t, e.as(ann, "POST", p+"/assign", map[string]any{"user_id": ann.ID}), 200)
		vi.say("Do you ship to Norway?")
		r = e.as(ann, "POST", p+"/messages", map[string]any{"client_id": "m1", "text": "Yes, we dp"})
		expect(t, r, 201)
		var ack livechat.Ack
		r.data(t, &ack)
		again := e.as(ann, "POST", p+"/messages", map[string]any{"client_id": "m1", "text": "Yes, we dp"})
		var ack2 livechat.Ack
		again.data(t, &ack2)
		if ack2.Seq != ack.Seq {
			t.Fatalf("a resent client_id made a new message: %d vs %d", ack.Seq, ack2.Seq)
		}
		expect(t, e.as(ann, "PATCH", fmt.Sprintf("%s/messages/%d", p, ack.Seq), map[string]any{"text": "Yes, we do"}), 200)
		expect(t, e.as(ann, "PATCH", fmt.Sprintf("%s/messages/%d", p, ack.Seq-1), map[string]any{"text": "no"}), 422)
		expect(t, e.as(ann, "POST", p+"/read", nil), 200)

		// Reassign to Bob, who gives it back to the queue; Ann claims it again.
		expect(t, e.as(ann, "POST", p+"/assign", map[string]any{"user_id": bob.ID}), 200)
		expect(t, e.as(ann, "GET", p, nil), 404)
		expect(t, e.as(bob, "POST", p+"/assign", map[string]any{"user_id": nil}), 200)
		got, _ := e.live.GetConversation(e.ctx, c.ID)
		if got.State != livechat.StateOffline || got.AssigneeID != nil {
			t.Fatalf("after unassign: %s %v", got.State, got.AssigneeID)
		}
		expect(t, e.as(ann, "POST", p+"/assign", map[string]any{"user_id": ann.ID}), 200)
		expect(t, e.as(ann, "POST", p+"/close", nil), 200)
		expect(t, e.as(ann, "POST", p+"/close", nil), 409)
		expect(t, e.as(ann, "POST", p+"/assign", map[string]any{"user_id": ann.ID}), 409)
		expect(t, e.as(ann, "POST", p+"/messages", map[string]any{"client_id": "m2", "text": "still there?"}), 409)

		// The side panel still works on the closed chat, once.
		val := 4200.0
		r = e.as(ann, "POST", p+"/deal", map[string]any{"person_name": "Vera Visitor", "email": "vera@example.com", "org_name": "Acme",
			"org_address": "1 Main St", "value": val, "expected_close_date": "2026-12-31", "note": "Wants 40 seats"})
		expect(t, r, 201)
		var res livechat.PanelResult
		r.data(t, &res)
		if res.Deal == nil || res.Deal.Value != val || res.Deal.ConversationID == nil || *res.Deal.ConversationID != c.ID {
			t.Fatalf("deal: %s", r.Raw)
		}
		expect(t, e.as(ann, "POST", p+"/deal", map[string]any{"person_name": "Vera Visitor"}), 200)
		r = e.as(ann, "POST", p+"/lead", map[string]any{"person_name": "Vera Visitor", "email": "vera@example.com"})
		expect(t, r, 201)
		evs := e.events(c.ID)
		if countKind(evs, livechat.KindCaptured) != 2 || countKind(evs, livechat.KindMessageEdited) != 1 {
			t.Fatalf("events: %v", evKinds(evs))
		}
		got, _ = e.live.GetConversation(e.ctx, c.ID)
		if got.State != livechat.StateClosed || got.DealID == nil || got.LeadID == nil {
			t.Fatalf("closed chat after the panel: %+v", got)
		}
	})
}

func TestSavedRepliesCRUD(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		r := e.asAgent("POST", "/api/v1/savedReplies", map[string]any{"shortcut": "/pricing", "text": "Our plans start at $29."})
		expect(t, r, 201)
		var sr livechat.SavedReply
		r.data(t, &sr)
		if sr.Shortcut != "pricing" {
			t.Fatalf("shortcut %q", sr.Shortcut)
		}
		expect(t, e.asAgent("POST", "/api/v1/savedReplies", map[string]any{"shortcut": "pricing", "text": "dup"}), 409)
		r = e.asAgent("POST", "/api/v1/savedReplies", map[string]any{"shortcut": "two words"})
		expect(t, r, 422)
		if !r.hasField("shortcut") || !r.hasField("text") {
			t.Fatalf("errors: %s", r.Raw)
		}
		id := fmt.Sprint(sr.ID)
		expect(t, e.asAgent("PATCH", "/api/v1/savedReplies/"+id, map[string]any{"text": "From $29 a month."}), 200)
		r = e.asAgent("GET", "/api/v1/savedReplies", nil)
		expect(t, r, 200)
		var list []livechat.SavedReply
		r.data(t, &list)
		if len(list) != 1 || list[0].Text != "From $29 a month." {
			t.Fatalf("list: %s", r.Raw)
		}
		expect(t, e.asAgent("DELETE", "/api/v1/savedReplies/"+id, nil), 200)
		expect(t, e.asAgent("GET", "/api/v1/savedReplies/"+id, nil), 404)
	})
}

// Working hours switch an agent at the start and end of the day only.
func TestWorkingHoursSwitchStatus(t *testing.T) {
	e := newLiveEnv(t, schematest.SQLite(t), false)
	day := e.clock.Now().UTC()
	wd := [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[day.Weekday()]
	from := day.Add(-time.Minute).Format("15:04")
	to := day.Add(30 * time.Minute).Format("15:04")
	if to <= from { // near midnight: a range that does not wrap
		t.Skip("too close to midnight UTC for a one-day range")
	}
	wh := crm.WorkingHours{Enabled: true, TimeZone: "UTC", Days: map[string][]string{wd: {from + "-" + to}}}
	u, err := e.crm.UpdateUser(e.ctx, e.agent.ID, crm.UserPatch{WorkingHours: &wh})
	if err != nil {
		t.Fatal(err)
	}
	if u.Status == crm.StatusOnline {
		t.Fatal("the agent starts online")
	}
	sw, err := e.live.ApplyWorkingHours(e.ctx)
	if err != nil || len(sw) != 1 || sw[0].Status != crm.StatusOnline {
		t.Fatalf("start of day: %v %v", sw, err)
	}
	// A manual switch in the day stays.
	if _, err := e.crm.SetUserStatus(e.ctx, u.ID, crm.StatusInvisible); err != nil {
		t.Fatal(err)
	}
	if sw, _ := e.live.ApplyWorkingHours(e.ctx); len(sw) != 0 {
		t.Fatalf("switched again mid-day: %v", sw)
	}
	e.clock.Advance(time.Hour)
	sw, err = e.live.ApplyWorkingHours(e.ctx)
	if err != nil || len(sw) != 1 || sw[0].Status != crm.StatusOffline {
		t.Fatalf("end of day: %v %v", sw, err)
	}
}

// The optional auto-return gives an unanswered chat back to the queue.
func TestAutoReturnUnanswered(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		ann := e.newAgent("ann")
		vi := e.newVisitor()
		c := vi.startLiveChat("Vera", "vera@example.com", "")
		expect(t, e.as(ann, "POST", "/api/v1/conversations/"+c.ID+"/assign", map[string]any{"user_id": ann.ID}), 200)
		vi.say("hello?")
		if n, err := e.live.ReturnUnanswered(e.ctx, time.Minute); err != nil || n != 0 {
			t.Fatalf("returned too early: %d %v", n, err)
		}
		e.clock.Advance(2 * time.Minute)
		if n, err := e.live.ReturnUnanswered(e.ctx, time.Minute); err != nil || n != 1 {
			t.Fatalf("returned %d %v", n, err)
		}
		got, _ := e.live.GetConversation(e.ctx, c.ID)
		if got.AssigneeID != nil || got.State != livechat.StateOffline {
			t.Fatalf("after auto-return: %s %v", got.State, got.AssigneeID)
		}
		// Answered chats stay.
		expect(t, e.as(ann, "POST", "/api/v1/conversations/"+c.ID+"/assign", map[string]any{"user_id": ann.ID}), 200)
		vi.say("still there?")
		expect(t, e.as(ann, "POST", "/api/v1/conversations/"+c.ID+"/messages", map[string]any{"client_id": "r", "text": "yes"}), 201)
		e.clock.Advance(2 * time.Minute)
		if n, _ := e.live.ReturnUnanswered(e.ctx, time.Minute); n != 0 {
			t.Fatal("an answered chat was returned")
		}
	})
}

// Admins set the auto-return delay over the API; agents may not; bad values
// name the field; the loop's round uses what was set.
func TestLiveChatSettingsAPI(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newLiveEnv(t, db, false)
		ann := e.newAgent("ann")
		expect(t, e.as(ann, "GET", "/api/v1/livechat/settings", nil), 403)
		expect(t, e.as(ann, "PATCH", "/api/v1/livechat/settings", map[string]any{"auto_return_seconds": 120}), 403)
		r := e.asAdmin("GET", "/api/v1/livechat/settings", nil)
		expect(t, r, 200)
		if !strings.Contains(string(r.Body.Data), `"auto_return_seconds":0`) {
			t.Fatalf("default settings %s", r.Body.Data)
		}
		r = e.asAdmin("PATCH", "/api/v1/livechat/settings", map[string]any{"auto_return_seconds": 10})
		if expect(t, r, 422); !r.hasField("auto_return_seconds") {
			t.Fatalf("too short a delay: %s", r.Raw)
		}
		if r = e.asAdmin("PATCH", "/api/v1/livechat/settings", map[string]any{"auto_return_seconds": "soon"}); r.Status != 422 || !r.hasField("auto_return_seconds") {
			t.Fatalf("a string delay: %s", r.Raw)
		}
		expect(t, e.asAdmin("PATCH", "/api/v1/livechat/settings", map[string]any{"auto_return_seconds": 120}), 200)
		r = e.asAdmin("GET", "/api/v1/livechat/settings", nil)
		if !strings.Contains(string(r.Body.Data), `"auto_return_seconds":120`) {
			t.Fatalf("settings after the change %s", r.Body.Data)
		}
		vi := e.newVisitor()
		c := vi.startLiveChat("Vera", "vera@example.com", "")
		expect(t, e.as(ann, "POST", "/api/v1/conversations/"+c.ID+"/assign", map[string]any{"user_id": ann.ID}), 200)
		vi.say("hello?")
		e.clock.Advance(3 * time.Minute)
		if n, err := e.live.AutoReturnRound(e.ctx); err != nil || n != 1 {
			t.Fatalf("round after 3 min with a 2 min setting: %d %v", n, err)
		}
	})
}
