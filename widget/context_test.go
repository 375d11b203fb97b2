package widget

import (
	"testing"

	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

// TestSocketPageKeepsHelloContext: the socket read its visitor at connect,
// before hello recorded language, timezone and the visit; page frames after
// hello must keep all of it and add to the pages seen.
func TestSocketPageKeepsHelloContext(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		e := newEnv(t, db, Opts{})
		tok := e.token()
		c := e.connect(tok)
		c.hello(0)
		for _, u := range []string{"/cart", "/checkout"} {
			c.send(frame{"type": "page", "page": frame{"url": testOrigin + u, "title": u}})
		}
		// Frames are handled in order: this refusal comes after both pages.
		c.send(frame{"type": "read"})
		if f := c.expect("error", ""); f.str("code") != "missing_field" {
			t.Fatalf("sync frame: %v", f)
		}
		v, err := e.live.VisitorByToken(e.ctx, e.site.ID, tok)
		if err != nil {
			t.Fatal(err)
		}
		if v.Language != "en-GB" || v.Timezone != "Europe/Paris" || v.Device != "desktop" || v.Visits != 1 {
			t.Fatalf("page frames undid hello's context: %+v", v)
		}
		if len(v.Pages) != 3 || v.CurrentURL != testOrigin+"/checkout" {
			t.Fatalf("pages %+v", v.Pages)
		}
	})
}
