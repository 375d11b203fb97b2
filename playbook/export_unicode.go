package playbook

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yaml.v3 treats every character outside the Basic Multilingual Plane as
// unprintable, so "Hi 👋" would come out as "Hi \U0001F44B": valid, but not
// what a marketer wrote. Before encoding, such characters are swapped for
// private-use characters (which the encoder prints as they are) that the
// document does not contain, and swapped back in the output.

// protectAstral rewrites the scalars under n in place and returns the
// replacer that restores the output, or nil when there is nothing to do.
func protectAstral(n *yaml.Node) *strings.Replacer {
	used := map[rune]bool{}
	var astral []rune
	seen := map[rune]bool{}
	walk(n, func(s string) {
		for _, r := range s {
			used[r] = true
			if r > 0xFFFF && !seen[r] {
				seen[r] = true
				astral = append(astral, r)
			}
		}
	})
	if len(astral) == 0 {
		return nil
	}
	swap := map[rune]rune{}
	var back []string
	next := rune(0xE000)
	for _, r := range astral {
		for used[next] && next < 0xF8FF {
			next++
		}
		if next >= 0xF8FF {
			return nil // absurd document: keep yaml.v3's escapes
		}
		swap[r] = next
		back = append(back, string(next), string(r))
		next++
	}
	var rewrite func(n *yaml.Node)
	rewrite = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Value != "" {
			var b strings.Builder
			changed := false
			for _, r := range n.Value {
				if p, ok := swap[r]; ok {
					r, changed = p, true
				}
				b.WriteRune(r)
			}
			if changed {
				n.Value = b.String()
			}
		}
		for _, c := range n.Content {
			rewrite(c)
		}
	}
	rewrite(n)
	return strings.NewReplacer(back...)
}

func walk(n *yaml.Node, fn func(string)) {
	if n.Kind == yaml.ScalarNode && utf8.ValidString(n.Value) {
		fn(n.Value)
	}
	for _, c := range n.Content {
		walk(c, fn)
	}
}
