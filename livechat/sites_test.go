package livechat_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
	"github.com/parley/parley/schema"
	"github.com/parley/parley/schema/schematest"
)

func TestSitesCRUDAndValidation(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		s, ctx := f.s, f.ctx
		if f.site.SiteKey == "" || f.site.Appearance.OffsetPx != 25 || f.site.Appearance.Position != "right" || f.site.OutsideHours != livechat.OutsideMessage {
			t.Fatalf("defaults: %+v", f.site)
		}
		byKey, err := s.SiteByKey(ctx, f.site.SiteKey)
		if err != nil || byKey.ID != f.site.ID {
			t.Fatalf("by key: %+v %v", byKey, err)
		}

		bad := livechat.SiteInput{
			Name:           new(""),
			AllowedOrigins: &[]string{"https://ok.example.com:8443", "example.com", "https://x.com/path"},
			Appearance:     &livechat.Appearance{Color: "blue", Position: "top", OffsetPx: 500},
			BusinessHours:  &livechat.BusinessHours{TimeZone: "Mars/Olympus", Days: map[string][]string{"mon": {"18:00-09:00"}, "xyz": {"09:00-10:00"}}},
			OutsideHours:   new("sometimes"),
		}
		_, err = s.UpdateSite(ctx, f.site.ID, bad)
		var inv *crm.InvalidError
		if !errors.As(err, &inv) {
			t.Fatalf("invalid site: %v", err)
		}
		want := []string{"name", "allowed_origins[1]", "allowed_origins[2]", "appearance.color", "appearance.position",
			"appearance.offset_px", "business_hours.timezone", "business_hours.days.mon[0]", "business_hours.days.xyz", "outside_hours"}
		got := map[string]bool{}
		for _, fe := range inv.Fields {
			got[fe.Field] = true
		}
		for _, w := range want {
			if !got[w] {
				t.Errorf("no problem reported for %s (got %v)", w, inv.Fields)
			}
		}
		if len(inv.Fields) != len(want) {
			t.Errorf("problems %v, want exactly %v", inv.Fields, want)
		}

		up, err := s.UpdateSite(ctx, f.site.ID, livechat.SiteInput{
			Appearance:    &livechat.Appearance{Color: "#FF8800", Position: "left", OffsetPx: 0},
			BusinessHours: &livechat.BusinessHours{TimeZone: "Europe/Paris", Days: map[string][]string{"wed": {"09:00-12:00", "14:00-18:00"}}},
			Texts:         &map[string]livechat.SiteTexts{"fr": {Launcher: "Parlons"}},
			Pages:         &livechat.PageRules{Include: []string{"/pricing*", "/"}, Exclude: []string{"/pricing/admin*"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.Name != "Site" || up.Appearance.Color != "#FF8800" || up.Appearance.OffsetPx != 0 || up.AllowedOrigins[0] != "https://www.example.com" {
			t.Fatalf("updated %+v", up)
		}
		// 2026-12-02 is a Wednesday; 10:30 UTC is 11:30 in Paris.
		wed := time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)
		if !up.InHours(wed) || up.InHours(wed.Add(2*time.Hour)) || up.InHours(wed.Add(24*time.Hour)) {
			t.Error("InHours wrong")
		}
		if !up.ShowsOn("/pricing/team") || !up.ShowsOn("/") || up.ShowsOn("/pricing/admin/x") || up.ShowsOn("/blog") {
			t.Error("ShowsOn wrong")
		}
		if up.TextsFor("fr-CA").Launcher != "Parlons" || up.TextsFor("fr").Header == "" || up.TextsFor("de").Launcher != "Chat with us" || up.TextsFor("pt").Launcher != "Fale conosco" {
			t.Errorf("texts: %+v", up.TextsFor("fr"))
		}
		for origin, want := range map[string]bool{
			"https://www.example.com": true, "https://WWW.example.com:443": true, "http://www.example.com": false,
			"https://www.example.com:8443": false, "https://evil.com": false, "": false, "null": false,
		} {
			if livechat.OriginAllowed(up, origin) != want {
				t.Errorf("OriginAllowed(%q) = %v", origin, !want)
			}
		}
		if livechat.OriginAllowed(livechat.Site{}, "https://www.example.com") {
			t.Error("an empty origin list must allow nothing")
		}

		list, err := s.ListSites(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %v", list, err)
		}
		if err := s.DeleteSite(ctx, f.site.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSite(ctx, f.site.ID); !errors.Is(err, livechat.ErrNotFound) {
			t.Fatalf("deleted site: %v", err)
		}
	})
}

func TestVisitorTokensAreStoredHashed(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		v, token, err := f.s.CreateVisitor(f.ctx, f.site.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(token) < 30 {
			t.Fatalf("short token %q", token)
		}
		var stored string
		if err := db.Get(&stored, db.Rebind(`SELECT token_hash FROM visitors WHERE id = ?`), v.ID); err != nil {
			t.Fatal(err)
		}
		if stored == token || strings.Contains(stored, token) || len(stored) != 64 {
			t.Fatalf("token stored as %q", stored)
		}
		got, err := f.s.VisitorByToken(f.ctx, f.site.ID, token)
		if err != nil || got.ID != v.ID {
			t.Fatalf("by token: %+v %v", got, err)
		}
		if _, err := f.s.VisitorByToken(f.ctx, f.site.ID, token+"x"); !errors.Is(err, livechat.ErrNotFound) {
			t.Fatalf("wrong token: %v", err)
		}
		name := "Other"
		other, err := f.s.CreateSite(f.ctx, livechat.SiteInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.VisitorByToken(f.ctx, other.ID, token); !errors.Is(err, livechat.ErrNotFound) {
			t.Fatalf("token of another site: %v", err)
		}

		// Context: pages (last 20), UA, and a new visit after 30 minutes.
		ua := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
		if _, _, err := f.s.Hello(f.ctx, v, livechat.HelloInput{Page: livechat.PageInfo{URL: "https://www.example.com/p0", Referrer: "https://google.com"}, Language: "fr-FR", UserAgent: ua}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < 25; i++ {
			v, _ = f.s.GetVisitor(f.ctx, v.ID)
			if _, err := f.s.Page(f.ctx, v, livechat.PageInfo{URL: "https://www.example.com/p" + string(rune('a'+i))}); err != nil {
				t.Fatal(err)
			}
		}
		v, _ = f.s.GetVisitor(f.ctx, v.ID)
		if len(v.Pages) != livechat.MaxPages || v.Visits != 1 || v.Browser != "Safari" || v.OS != "iOS" || v.Device != "mobile" || v.Language != "fr-FR" || v.Referrer != "https://google.com" {
			t.Fatalf("visitor context %+v", v)
		}
		f.clock.Advance(31 * time.Minute)
		if _, _, err := f.s.Hello(f.ctx, v, livechat.HelloInput{}); err != nil {
			t.Fatal(err)
		}
		v, _ = f.s.GetVisitor(f.ctx, v.ID)
		if v.Visits != 2 {
			t.Fatalf("visits after a 31 min gap = %d", v.Visits)
		}
		for _, site := range []int64{f.site.ID, 0} {
			if vs, err := f.s.ListVisitors(f.ctx, site, f.clock.Now().Add(-time.Minute), 0); err != nil || len(vs) != 1 || vs[0].ID != v.ID {
				t.Fatalf("online visitors of site %d: %v %v", site, vs, err)
			}
		}
		if vs, _ := f.s.ListVisitors(f.ctx, other.ID, time.Time{}, 0); len(vs) != 0 {
			t.Fatalf("visitors of another site: %v", vs)
		}
	})
}

// TestPageKeepsHelloContext: the socket holds the Visitor it read at connect;
// a page frame passed that stale copy must not undo what hello recorded
// (language, device, visits), nor the pages another tab reported.
func TestPageKeepsHelloContext(t *testing.T) {
	schematest.Each(t, func(t *testing.T, db *schema.DB) {
		f := newFixture(t, db)
		stale := f.visitor()
		w, _, err := f.s.Hello(f.ctx, stale, livechat.HelloInput{Page: livechat.PageInfo{URL: "https://www.example.com/a"},
			Language: "pt-BR", Timezone: "America/Sao_Paulo", Device: "tablet"})
		if err != nil {
			t.Fatal(err)
		}
		if w.Visitor.Language != "pt-BR" || w.Visitor.Device != "tablet" || w.Visitor.Visits != 1 {
			t.Fatalf("hello returned %+v", w.Visitor)
		}
		f.clock.Advance(time.Second)
		got, err := f.s.Page(f.ctx, stale, livechat.PageInfo{URL: "https://www.example.com/b"})
		if err != nil {
			t.Fatal(err)
		}
		// Another tab, also holding the stale copy.
		if _, err := f.s.Page(f.ctx, stale, livechat.PageInfo{URL: "https://www.example.com/c"}); err != nil {
			t.Fatal(err)
		}
		stored, err := f.s.GetVisitor(f.ctx, stale.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []livechat.Visitor{got, stored} {
			if v.Language != "pt-BR" || v.Timezone != "America/Sao_Paulo" || v.Device != "tablet" || v.Visits != 1 {
				t.Fatalf("a page frame undid hello's context: %+v", v)
			}
		}
		if len(got.Pages) != 2 || got.CurrentURL != "https://www.example.com/b" {
			t.Fatalf("Page returned pages %+v", got.Pages)
		}
		if len(stored.Pages) != 3 || stored.CurrentURL != "https://www.example.com/c" {
			t.Fatalf("stored pages %+v", stored.Pages)
		}
	})
}
