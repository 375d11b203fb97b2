package playbook

import "testing"

func TestTriggerMatches(t *testing.T) {
	src := `id: t
name: T
trigger:
  on: load
  after: 5s
  pages: { include: ["/pricing*", "/demo"], exclude: ["/pricing/internal*"] }
  when: 'visitor.visits >= 2 && page.path != "/"'
start: hi
cards:
  hi: { type: message, text: "Hi" }
`
	p, probs := Load([]byte(src))
	if p == nil {
		t.Fatalf("load: %v", probs)
	}
	for _, tc := range []struct {
		path   string
		visits int
		want   bool
	}{
		{"/pricing", 2, true},
		{"/pricing/team", 3, true},
		{"/demo", 2, true},
		{"/demo/x", 2, false},
		{"/pricing", 1, false},            // when fails
		{"/pricing/internal/a", 5, false}, // excluded
		{"/", 5, false},                   // not included
	} {
		env := Env{Page: Page{Path: tc.path}, Visitor: Visitor{Visits: tc.visits}}
		if got := p.TriggerMatches(env); got != tc.want {
			t.Errorf("path %s visits %d: got %v, want %v", tc.path, tc.visits, got, tc.want)
		}
	}
	noTrigger, probs := Load([]byte("id: n\nname: N\nstart: hi\ncards:\n  hi: { type: message, text: Hi }\n"))
	if noTrigger == nil {
		t.Fatalf("load: %v", probs)
	}
	if !noTrigger.TriggerMatches(Env{}) {
		t.Error("a playbook without trigger should match")
	}
}

func TestPagesMatch(t *testing.T) {
	cases := []struct {
		include, exclude []string
		path             string
		want             bool
	}{
		{nil, nil, "/anything", true},
		{[]string{"/pricing*"}, nil, "/pricing/teams", true},
		{[]string{"/pricing*"}, nil, "/about", false},
		{[]string{"/a*a"}, nil, "/a", false}, // prefix and suffix may not overlap
		{[]string{"/a*a"}, nil, "/aa", true},
		{nil, []string{"/careers*"}, "/careers/dev", false},
		{[]string{"*"}, []string{"/admin*"}, "/admin", false},
		{[]string{"/"}, nil, "", true}, // an empty path is the home page
	}
	for _, c := range cases {
		if got := PagesMatch(c.include, c.exclude, c.path); got != c.want {
			t.Errorf("PagesMatch(%v, %v, %q) = %v, want %v", c.include, c.exclude, c.path, got, c.want)
		}
	}
}
