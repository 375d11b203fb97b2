package playbook

import "strings"

// TriggerMatches tells whether the playbook's trigger `pages` rules and
// `when` condition hold for env (env.Page.Path and the visitor context);
// `on` and `after` are the caller's to check. A playbook without a trigger
// matches everywhere. A `when` that fails at run time counts as false, like
// a branch condition.
func (p *Program) TriggerMatches(env Env) bool {
	t := p.doc.Trigger
	if t == nil {
		return true
	}
	if t.Pages != nil && !PagesMatch(t.Pages.Include, t.Pages.Exclude, env.Page.Path) {
		return false
	}
	if p.when == nil {
		return true
	}
	r := &runner{p: p, st: &State{}, env: &env}
	v, err := run(p.when, r.buildVars())
	ok, _ := v.(bool)
	return err == nil && ok
}

// PagesMatch applies include/exclude globs to a URL path: the path must
// match an include pattern (when there are any) and no exclude pattern. The
// widget's site page rules use the same matching as playbook triggers.
func PagesMatch(include, exclude []string, path string) bool {
	if path == "" {
		path = "/"
	}
	for _, g := range exclude {
		if globMatch(g, path) {
			return false
		}
	}
	if len(include) == 0 {
		return true
	}
	for _, g := range include {
		if globMatch(g, path) {
			return true
		}
	}
	return false
}

// globMatch matches s against pattern, where * matches any run of
// characters, slashes included.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	// The suffix must not overlap what the prefix and middle parts used.
	last := parts[len(parts)-1]
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
