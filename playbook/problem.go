package playbook

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong (or, with Warning, suspicious) in a document.
// Path is relative to the card when Card is set ("next[0].if"), else to
// the document ("trigger.on").
type Problem struct {
	Line, Col int
	Card      string
	Path      string
	Message   string
	Warning   bool
}

// String formats the problem as `line:col: card <id>: path: message`.
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Col)
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Card != "" {
		fmt.Fprintf(&b, "card %s: ", p.Card)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems lists every problem found, errors and warnings, in source order.
type Problems []Problem

// Error joins all problems, one a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Errors returns the problems that are not warnings; a document with none
// can be saved.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Warnings returns the problems that are only warnings.
func (ps Problems) Warnings() Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Col < ps[j].Col
	})
}
