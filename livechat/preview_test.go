package livechat_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// previewVisitor registers a visitor on the internal preview site.
func (f *fixture) previewVisitor() livechat.Visitor {
	f.t.Helper()
	site, err := f.s.PreviewSite(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	v, _, err := f.s.CreateVisitor(f.ctx, site.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// TestPreviewRunsDraft runs the sample qualifier as an unpublished draft
// through the real runtime: the same events as a real conversation, but
// the capture creates nothing, no folder or stat shows it, no agent frame is
// published, and ending the session removes it.
func TestPreviewRunsDraft(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		if _, err := f.crm.EnsureDefaultPipeline(f.ctx); err != nil {
			t.Fatal(err)
		}
		src := readExample(t, "qualifier.yaml")
		pb, err := f.s.CreatePlaybook(f.ctx, src, "") // a draft, never published
		if err != nil {
			t.Fatal(err)
		}
		tok, err := f.s.CreatePreviewToken(f.ctx, 0, &pb.ID, src)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Token == "" || !tok.ExpiresAt.Equal(f.clock.Now().UTC().Add(livechat.PreviewTokenTTL)) {
			t.Fatalf("token %+v", tok)
		}
		v := f.previewVisitor()
		agents := f.s.Hub().SubscribeAgents(64)
		defer agents.Close()

		c, err := f.s.StartPreviewToken(f.ctx, v, tok.Token, livechat.PageInfo{URL: "http://localhost/widget/v1/preview"})
		if err != nil {
			t.Fatal(err)
		}
		if c.PlaybookID != nil || c.State != livechat.StateBot {
			t.Fatalf("preview conversation %+v", c)
		}
		steps := []func() error{
			func() error {
				_, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "p1", Card: "intent", Option: intp(0)})
				return err
			},
			func() error {
				_, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "p2", Card: "size", Value: "12"})
				return err
			},
			// A typed message while the bot waits is the answer, as for real.
			func() error { _, err := f.s.Message(f.ctx, v, "p3", "ann@acme.test"); return err },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		evs := f.events(c.ID)
		want := []string{"question", "answer", "question", "answer", "question", "visitor_message", "log", "end"}
		if !slices.Equal(kinds(evs), want) {
			t.Fatalf("events %v\nwant   %v", kinds(evs), want)
		}
		note := evs[len(evs)-2]
		var d struct {
			Message     string `json:"message"`
			WouldCreate struct {
				Create string `json:"create"`
				Title  string `json:"title"`
			} `json:"would_create"`
		}
		if err := json.Unmarshal(note.Data, &d); err != nil || note.VisibleToVisitor ||
			d.Message != "capture skipped in preview" || d.WouldCreate.Create != "deal" || d.WouldCreate.Title != "ann@acme.test – 12 seats" {
			t.Fatalf("capture note %s (visible %v)", note.Data, note.VisibleToVisitor)
		}

		// Nothing reached the CRM.
		if deals, _, err := f.crm.ListDeals(f.ctx, crm.DealFilter{}, crm.ListParams{}); err != nil || len(deals) != 0 {
			t.Fatalf("deals %+v %v", deals, err)
		}
		if persons, _, err := f.crm.ListPersons(f.ctx, crm.PersonFilter{}, crm.ListParams{}); err != nil || len(persons) != 0 {
			t.Fatalf("persons %+v %v", persons, err)
		}
		// No folder, stat, site list or agent socket shows it.
		for _, folder := range []string{"all", "unassigned", "closed"} {
			cs, err := f.s.ListConversations(f.ctx, livechat.ConversationFilter{Folder: folder})
			if err != nil || len(cs) != 0 {
				t.Fatalf("folder %s: %+v %v", folder, cs, err)
			}
		}
		if pb, err = f.s.GetPlaybook(f.ctx, pb.ID); err != nil || pb.Stats != (livechat.PlaybookStats{}) {
			t.Fatalf("stats %+v %v", pb.Stats, err)
		}
		if sites, err := f.s.ListSites(f.ctx); err != nil || len(sites) != 1 || sites[0].ID != f.site.ID {
			t.Fatalf("sites %+v %v", sites, err)
		}
		select {
		case fr := <-agents.C:
			if fr.Agent != nil {
				t.Fatalf("agent frame for a preview: %s", fr.Agent)
			}
		default:
		}

		// The session ends: the visitor and its conversation are gone.
		if err := f.s.EndPreview(f.ctx, v); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetConversation(f.ctx, c.ID); !errors.Is(err, livechat.ErrNotFound) {
			t.Fatalf("after the session: %v", err)
		}
		// EndPreview leaves real visitors alone.
		real := f.visitor()
		if err := f.s.EndPreview(f.ctx, real); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetVisitor(f.ctx, real.ID); err != nil {
			t.Fatalf("a real visitor was touched: %v", err)
		}
	})
}

// TestPreviewTokens: an unknown, a tampered or an expired token is refused;
// an invalid draft gets no token; a preview runs on the preview site only.
func TestPreviewTokens(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		src := readExample(t, "qualifier.yaml")
		if _, err := f.s.CreatePreviewToken(f.ctx, 0, nil, []byte("id: x\ncards: {}\n")); !errors.As(err, new(*livechat.ProblemsError)) {
			t.Fatalf("invalid draft: %v", err)
		}
		tok, err := f.s.CreatePreviewToken(f.ctx, 0, nil, src)
		if err != nil {
			t.Fatal(err)
		}
		v := f.previewVisitor()
		notAllowed := func(what string, err error) {
			t.Helper()
			var r *livechat.RefusedError
			if !errors.As(err, &r) || r.Code != livechat.CodeNotAllowed {
				t.Fatalf("%s: %v", what, err)
			}
		}
		_, err = f.s.StartPreviewToken(f.ctx, v, "", livechat.PageInfo{})
		notAllowed("no token", err)
		_, err = f.s.StartPreviewToken(f.ctx, v, tok.Token+"x", livechat.PageInfo{})
		notAllowed("tampered token", err)
		// A real site's visitor cannot run a draft.
		_, err = f.s.StartPreviewToken(f.ctx, f.visitor(), tok.Token, livechat.PageInfo{})
		notAllowed("real visitor", err)

		f.clock.Advance(livechat.PreviewTokenTTL - time.Second)
		if _, err := f.s.PreviewByToken(f.ctx, tok.Token); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		f.clock.Advance(time.Second)
		_, err = f.s.StartPreviewToken(f.ctx, v, tok.Token, livechat.PageInfo{})
		notAllowed("expired token", err)
		if _, err := f.s.OpenConversation(f.ctx, v.ID); !errors.Is(err, livechat.ErrNotFound) {
			t.Fatalf("a refused token started something: %v", err)
		}
	})
}

// TestPreviewLiveChat: a livechat card in a preview asks no agent; its
// wait is capped and the offline flow runs when it passes.
func TestPreviewLiveChat(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.agent("ann", "online")
		v := f.previewVisitor()
		c, err := f.s.StartPreview(f.ctx, v, readExample(t, "live-chat.yaml"), livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		for i, val := range []string{"Ann", "ann@acme.test", "Acme"} {
			if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "f" + string(rune('0'+i)), Card: "contact", Field: i, Value: val}); err != nil {
				t.Fatalf("field %d: %v", i, err)
			}
		}
		c, err = f.s.GetConversation(f.ctx, c.ID)
		if err != nil || c.State != livechat.StateWaiting || c.Deadline == nil || c.Deadline.Sub(f.clock.Now()) > livechat.PreviewLiveChatWait {
			t.Fatalf("waiting preview %+v %v", c, err)
		}
		if cs, err := f.s.ListConversations(f.ctx, livechat.ConversationFilter{Folder: "unassigned"}); err != nil || len(cs) != 0 {
			t.Fatalf("a waiting preview is in the queue: %+v %v", cs, err)
		}
		f.clock.Advance(livechat.PreviewLiveChatWait + time.Second)
		if _, err := f.s.RunDueTimers(f.ctx); err != nil {
			t.Fatal(err)
		}
		evs := f.events(c.ID)
		if count(evs, livechat.KindOffline) != 1 || count(evs, livechat.KindCaptured) != 0 {
			t.Fatalf("after the wait: %v", kinds(evs))
		}
	})
}
