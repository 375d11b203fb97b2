package livechat_test

import (
	"errors"
	"testing"

	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// TestOptionOnTypedFieldIsRefused: an option index on a typed form field
// (the name field has no buttons) is bad_option and stores nothing; before,
// it was stored as an answer with an empty label and moved the form on.
func TestOptionOnTypedFieldIsRefused(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		f.publish(readExample(t, "live-chat.yaml"))
		v := f.visitor()
		c, err := f.s.Start(f.ctx, v, "live-chat", livechat.PageInfo{})
		if err != nil {
			t.Fatal(err)
		}
		before := f.events(c.ID)
		for _, in := range []livechat.AnswerInput{
			{ClientID: "o1", Card: "contact", Field: 0, Option: intp(3)},
			{ClientID: "o2", Card: "contact", Field: 0, Option: intp(0), Value: "Ann"},
		} {
			_, err := f.s.Answer(f.ctx, v, in)
			var r *livechat.RefusedError
			if !errors.As(err, &r) || r.Code != livechat.CodeBadOption {
				t.Fatalf("option %d on the name field: %v, want bad_option", *in.Option, err)
			}
		}
		if after := f.events(c.ID); len(after) != len(before) {
			t.Fatalf("a refused answer stored events: %v", kinds(after[len(before):]))
		}
		// The field still waits for a typed name.
		if _, err := f.s.Answer(f.ctx, v, livechat.AnswerInput{ClientID: "o3", Card: "contact", Field: 0, Value: "Ann"}); err != nil {
			t.Fatalf("typed name after the refusal: %v", err)
		}
	})
}
