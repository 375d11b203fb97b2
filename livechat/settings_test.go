package livechat_test

import (
	"errors"
	"testing"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// The auto-return delay is a stored setting: off until set, bounded, seen
// by every server, and read by each round of the loop, so a change applies
// without a restart. A server flag only seeds it.
func TestAutoReturnSetting(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		other := f.newService()
		if st, err := f.s.Settings(f.ctx); err != nil || st.AutoReturnSeconds != 0 {
			t.Fatalf("new workspace: %+v %v, want off", st, err)
		}
		var inv *crm.InvalidError
		for _, bad := range []int{30, -1, 2 * 24 * 3600} {
			if _, err := f.s.UpdateSettings(f.ctx, livechat.SettingsPatch{AutoReturnSeconds: &bad}); !errors.As(err, &inv) || inv.Fields[0].Field != "auto_return_seconds" {
				t.Fatalf("auto_return_seconds %d: %v, want a field error", bad, err)
			}
		}
		if err := f.s.SeedAutoReturn(f.ctx, 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		two := 120
		if st, err := f.s.UpdateSettings(f.ctx, livechat.SettingsPatch{AutoReturnSeconds: &two}); err != nil || st.AutoReturnSeconds != 120 {
			t.Fatalf("set 120: %+v %v", st, err)
		}
		if err := other.SeedAutoReturn(f.ctx, 5*time.Minute); err != nil { // a restart with the flag
			t.Fatal(err)
		}
		if st, err := other.Settings(f.ctx); err != nil || st.AutoReturnSeconds != 120 {
			t.Fatalf("another server reads %+v %v, want the admin's 120 over the flag", st, err)
		}

		ann := f.agent("ann", crm.StatusOnline)
		v := f.visitor()
		c := f.heldChat(v, ann)
		if _, err := f.s.Message(f.ctx, v, "m1", "Anyone?"); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(90 * time.Second)
		if n, err := other.AutoReturnRound(f.ctx); err != nil || n != 0 {
			t.Fatalf("after 90 s of 120: returned %d %v", n, err)
		}
		off := 0
		if _, err := f.s.UpdateSettings(f.ctx, livechat.SettingsPatch{AutoReturnSeconds: &off}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		if n, err := other.AutoReturnRound(f.ctx); err != nil || n != 0 {
			t.Fatalf("switched off: returned %d %v", n, err)
		}
		if _, err := f.s.UpdateSettings(f.ctx, livechat.SettingsPatch{AutoReturnSeconds: &two}); err != nil {
			t.Fatal(err)
		}
		if n, err := other.AutoReturnRound(f.ctx); err != nil || n != 1 {
			t.Fatalf("switched on again: returned %d %v, want the overdue chat", n, err)
		}
		if got, _ := f.s.GetConversation(f.ctx, c.ID); got.AssigneeID != nil || got.State != livechat.StateOffline {
			t.Fatalf("after auto-return: %s %v", got.State, got.AssigneeID)
		}
	})
}
