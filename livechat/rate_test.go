package livechat_test

import (
	"errors"
	"testing"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

func refusedCode(err error) string {
	var r *livechat.RefusedError
	if errors.As(err, &r) {
		return r.Code
	}
	return ""
}

// TestRateAfterClose: the widget asks for a rating when the agent closes the
// chat, so a rating of the visitor's latest conversation is taken when an
// agent took part, closed or not; once: a second one is refused and the
// first stays.
func TestRateAfterClose(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		ann := f.agent("ann", crm.StatusOnline)
		v := f.visitor()
		if err := f.s.Rate(f.ctx, v, "up", ""); refusedCode(err) != livechat.CodeNoConversation {
			t.Fatalf("rating without any conversation: %v", err)
		}
		if _, err := f.s.Message(f.ctx, v, "m1", "Hello?"); err != nil {
			t.Fatal(err)
		}
		c, err := f.s.OpenConversation(f.ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.Rate(f.ctx, v, "up", ""); refusedCode(err) != livechat.CodeNotAllowed {
			t.Fatalf("rating before an agent took part: %v", err)
		}
		if _, err := f.s.Assign(f.ctx, c.ID, ann.ID, ann.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Close(f.ctx, c.ID, ann.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Rate(f.ctx, v, "down", "  too slow  "); err != nil {
			t.Fatalf("rating after the agent closed: %v", err)
		}
		if err := f.s.Rate(f.ctx, v, "up", "changed my mind"); refusedCode(err) != livechat.CodeNotAllowed {
			t.Fatalf("second rating: %v", err)
		}
		got, err := f.s.GetConversation(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rating != "down" || got.RatingComment != "too slow" {
			t.Fatalf("stored rating %q %q", got.Rating, got.RatingComment)
		}
		// A new chat without an agent is the latest now: nothing to rate.
		if _, err := f.s.Message(f.ctx, v, "m2", "Me again"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Rate(f.ctx, v, "up", ""); refusedCode(err) != livechat.CodeNotAllowed {
			t.Fatalf("rating a new chat no agent joined: %v", err)
		}
		if got, _ := f.s.GetConversation(f.ctx, c.ID); got.Rating != "down" {
			t.Fatalf("the closed chat's rating changed to %q", got.Rating)
		}
	})
}
