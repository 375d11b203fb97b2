package livechat_test

import (
	"testing"

	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// TestStartBuildsEnvOnce: a start without a slug builds the playbook env
// (agents' presence, the site) once, for targeting and the first step alike.
func TestStartBuildsEnvOnce(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		cdb, q := counted(t, db)
		f := newFixture(t, cdb)
		f.publish([]byte(simple("greet", "Name?")))
		v := f.visitor()
		q.Reset()
		c, err := f.s.Start(f.ctx, v, "", livechat.PageInfo{URL: "https://www.example.com/pricing"})
		if err != nil {
			t.Fatal(err)
		}
		if c.PlaybookID == nil {
			t.Fatalf("started %+v without the targeted playbook", c)
		}
		if n := q.Matching("status = 'online'"); n != 1 { // presence is one statement: one env
			t.Fatalf("presence read %d times for one start, want 1 (one env)", n)
		}
	})
}
