package livechat_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

func TestPlaybooksCreateInvalidPublishVersions(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		s, ctx := f.s, f.ctx

		_, err := s.CreatePlaybook(ctx, []byte("id: bad\nname: Bad\nstart: nowhere\ncards:\n  a: { type: message, text: hi, next: missing }\n"), "yaml")
		var pe *livechat.ProblemsError
		if !errors.As(err, &pe) || len(pe.Problems.Errors()) < 2 {
			t.Fatalf("invalid playbook: %v", err)
		}
		for _, p := range pe.Problems.Errors() {
			if p.Line == 0 {
				t.Errorf("problem without position: %v", p)
			}
		}
		var inv *crm.InvalidError
		if !errors.As(err, &inv) || len(inv.Fields) != len(pe.Problems.Errors()) || !strings.Contains(inv.Fields[0].Field, ":") {
			t.Fatalf("problems as fields: %+v", inv)
		}
		if ps, _ := s.ListPlaybooks(ctx); len(ps) != 0 {
			t.Fatalf("an invalid playbook was stored: %v", ps)
		}

		src := readExample(t, "qualifier.yaml")
		p, err := s.CreatePlaybook(ctx, src, "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Slug != "sales-qualifier" || p.Format != livechat.FormatYAML || p.Draft != string(src) || p.PublishedVersion != 0 {
			t.Fatalf("created %+v", p)
		}
		if _, err := s.CreatePlaybook(ctx, src, ""); !errors.Is(err, livechat.ErrConflict) {
			t.Fatalf("same slug twice: %v", err)
		}
		for want := 1; want <= 3; want++ {
			v, err := s.Publish(ctx, p.ID)
			if err != nil || v.Version != want {
				t.Fatalf("publish #%d = %+v, %v", want, v, err)
			}
		}
		vs, err := s.ListVersions(ctx, p.ID)
		if err != nil || len(vs) != 3 || vs[0].Version != 3 {
			t.Fatalf("versions %+v %v", vs, err)
		}
		if _, err := s.GetVersion(ctx, p.ID, 4); !errors.Is(err, livechat.ErrNotFound) {
			t.Fatalf("missing version: %v", err)
		}
		json := `{"id": "j", "name": "J", "start": "a", "cards": {"a": {"type": "end", "text": "bye"}}}`
		jp, err := s.CreatePlaybook(ctx, []byte(json), "")
		if err != nil || jp.Format != livechat.FormatJSON || jp.Draft != json {
			t.Fatalf("json playbook %+v %v", jp, err)
		}
		if err := s.DeletePlaybook(ctx, jp.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetPlaybook(ctx, jp.ID); !errors.Is(err, livechat.ErrNotFound) {
			t.Fatalf("deleted: %v", err)
		}
	})
}

func simple(id, text string) string {
	return fmt.Sprintf("id: %s\nname: %s\nstart: q\ncards:\n  q: { type: question, text: %q, input: text, save: person.name, next: bye }\n  bye: { type: end, text: \"bye\" }\n", id, id, text)
}

func TestConversationStaysOnItsVersion(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		p := f.publish([]byte(simple("pin", "Name, v1?")))
		v1 := f.visitor()
		c1, err := f.s.Start(f.ctx, v1, "pin", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.UpdateDraft(f.ctx, p.ID, []byte(strings.Replace(simple("pin", "Name, v2?"), `"bye"`, `"bye v2"`, 1)), ""); err != nil {
			t.Fatal(err)
		}
		if v, err := f.s.Publish(f.ctx, p.ID); err != nil || v.Version != 2 {
			t.Fatalf("publish v2: %+v %v", v, err)
		}
		v2 := f.visitor()
		c2, err := f.s.Start(f.ctx, v2, "pin", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		if c1.PlaybookVersion != 1 || c2.PlaybookVersion != 2 {
			t.Fatalf("versions %d, %d", c1.PlaybookVersion, c2.PlaybookVersion)
		}
		if _, err := f.s.Answer(f.ctx, v1, livechat.AnswerInput{ClientID: "a1", Card: "q", Value: "Ann"}); err != nil {
			t.Fatal(err)
		}
		evs := f.events(c1.ID)
		last := evs[len(evs)-1]
		if last.Kind != livechat.KindEnd || !strings.Contains(string(last.Data), `"text":"bye"`) {
			t.Fatalf("v1 conversation ended with %s %s", last.Kind, last.Data)
		}
		q2 := f.events(c2.ID)[0]
		if !strings.Contains(string(q2.Data), "v2") {
			t.Fatalf("v2 conversation asked %s", q2.Data)
		}
		got, _ := f.s.GetPlaybook(f.ctx, p.ID)
		if got.Stats.Started != 2 || got.Stats.Completed != 1 {
			t.Fatalf("stats %+v", got.Stats)
		}
	})
}

func targeted(id, on string, prio int, pages, when string) string {
	s := fmt.Sprintf("id: %s\nname: %s\ntrigger:\n  on: %s\n  priority: %d\n", id, id, on, prio)
	if on != "open" {
		s += "  after: 5s\n"
	}
	if pages != "" {
		s += "  pages: { include: [" + pages + "] }\n"
	}
	if when != "" {
		s += "  when: '" + when + "'\n"
	}
	return s + "start: bye\ncards:\n  bye: { type: end, text: \"bye\" }\n"
}

func TestTargeting(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.publish([]byte(targeted("old-pricing", "open", 5, `"/pricing*"`, "")))
		f.clock.Advance(1)
		f.publish([]byte(targeted("new-pricing", "open", 5, `"/pricing*"`, "")))
		f.clock.Advance(1)
		f.publish([]byte(targeted("anywhere", "open", 1, "", "")))
		f.publish([]byte(targeted("returning", "load", 3, "", "visitor.visits >= 2")))
		draft, err := f.s.CreatePlaybook(f.ctx, []byte(targeted("draft-only", "open", 100, "", "")), "")
		if err != nil {
			t.Fatal(err)
		}
		_ = draft
		v := f.visitor()
		pick := func(path, on string) string {
			t.Helper()
			v, _ = f.s.GetVisitor(f.ctx, v.ID)
			p, err := f.s.PickPlaybook(f.ctx, f.site, v, livechat.PageInfo{URL: "https://www.example.com" + path}, on)
			if errors.Is(err, livechat.ErrNotFound) {
				return ""
			}
			if err != nil {
				t.Fatal(err)
			}
			if on == livechat.TriggerLoad && p.After.Seconds() != 5 {
				t.Errorf("after = %v", p.After)
			}
			return p.Slug
		}
		if got := pick("/pricing/team", "open"); got != "new-pricing" {
			t.Errorf("tie on priority: got %q, want the newest", got)
		}
		if got := pick("/blog", "open"); got != "anywhere" {
			t.Errorf("/blog: got %q", got)
		}
		if _, _, err := f.s.Hello(f.ctx, v, livechat.HelloInput{}); err != nil {
			t.Fatal(err)
		}
		if got := pick("/", "load"); got != "" {
			t.Errorf("first visit load: got %q, want none (when fails)", got)
		}
		f.clock.Advance(40 * 60e9)
		if _, _, err := f.s.Hello(f.ctx, v, livechat.HelloInput{}); err != nil {
			t.Fatal(err)
		}
		if got := pick("/", "load"); got != "returning" {
			t.Errorf("second visit load: got %q", got)
		}
		// Finishing new-pricing today means it is not offered again today.
		if _, err := f.s.Start(f.ctx, v, "new-pricing", livechat.PageInfo{}); err != nil {
			t.Fatal(err)
		}
		if got := pick("/pricing", "open"); got != "old-pricing" {
			t.Errorf("after finishing new-pricing: got %q", got)
		}
		trs, err := f.s.Triggers(f.ctx)
		if err != nil || len(trs) != 4 || trs[0].Priority != 5 || trs[len(trs)-1].Playbook != "anywhere" {
			t.Fatalf("triggers %+v %v", trs, err)
		}
	})
}
