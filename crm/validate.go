package crm

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Limits on text fields; generous, but they keep a client from storing
// megabytes in a name.
const (
	maxNameLen    = 255
	maxTextLen    = 10_000
	maxContentLen = 100_000
)

// requireName trims *s and checks it is present and not too long.
func requireName(p *Problems, field string, s *string) {
	*s = strings.TrimSpace(*s)
	switch {
	case *s == "":
		p.Add(field, "is required")
	case len(*s) > maxNameLen:
		p.Add(field, fmt.Sprintf("is longer than %d characters", maxNameLen))
	}
}

func maxLen(p *Problems, field, s string, n int) {
	if len(s) > n {
		p.Add(field, fmt.Sprintf("is longer than %d characters", n))
	}
}

// nameKey is the form names are matched in: lowercased, spaces collapsed.
// It is computed in Go so both databases compare the same bytes.
func nameKey(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// phoneDigits keeps only the digits of a phone number, the form it is matched in.
func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// validPhone accepts digits with the usual punctuation, 5 to 20 digits.
func validPhone(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) && !strings.ContainsRune("+-(). /", r) && r != ' ' {
			return false
		}
	}
	n := len(phoneDigits(s))
	return n >= 5 && n <= 20
}

// normalizeCurrency upper-cases *c and checks it is three letters.
func normalizeCurrency(p *Problems, field string, c *string) {
	*c = strings.ToUpper(strings.TrimSpace(*c))
	if len(*c) != 3 || strings.IndexFunc(*c, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		p.Add(field, "must be a 3-letter ISO code")
	}
}

// checkDate validates an optional YYYY-MM-DD date.
func checkDate(p *Problems, field string, d *string) {
	if d == nil {
		return
	}
	if _, err := time.Parse(time.DateOnly, *d); err != nil {
		p.Add(field, "must be a date YYYY-MM-DD")
	}
}

// checkClock validates an optional HH:MM (a time of day, or a duration when
// duration is set).
func checkClock(p *Problems, field string, v *string, duration bool) {
	if v == nil {
		return
	}
	h, mm, ok := strings.Cut(*v, ":")
	bad := !ok || len(h) != 2 || len(mm) != 2
	var hn, mn int
	if !bad {
		_, err1 := fmt.Sscanf(h, "%d", &hn)
		_, err2 := fmt.Sscanf(mm, "%d", &mn)
		bad = err1 != nil || err2 != nil || hn < 0 || mn < 0 || mn > 59 || (!duration && hn > 23)
	}
	if bad {
		p.Add(field, "must be HH:MM")
	}
}

// emptyToNil turns a blank optional string into nil.
func emptyToNil(s *string) *string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	t := strings.TrimSpace(*s)
	return &t
}

// refKind names a table a field may point at, with the query that checks it.
type refKind struct {
	query string // named query: SELECT COUNT(*) … WHERE id = ?
	noun  string // as in "no organization 12"
}

var (
	refUser     = refKind{"exists-user", "user"}
	refOrg      = refKind{"exists-organization", "organization"}
	refPerson   = refKind{"exists-person", "person"}
	refLead     = refKind{"exists-lead", "lead"}
	refDeal     = refKind{"exists-deal", "deal"}
	refLabel    = refKind{"exists-lead-label", "label"}
	refPipeline = refKind{"exists-pipeline", "pipeline"}
)

// ref is one field pointing at another row; id is nil when the field is unset.
type ref struct {
	field string
	kind  refKind
	id    any
}

func refTo[T int64 | string](field string, k refKind, id *T) ref {
	r := ref{field: field, kind: k}
	if id != nil {
		r.id = *id
	}
	return r
}

// checkRefs records a problem on each field whose id names nothing.
// Checking before writing names the field; the foreign keys stay as the
// guard against a concurrent delete (see fkErr).
func (m *Manager) checkRefs(ctx context.Context, p *Problems, refs ...ref) error {
	for _, r := range refs {
		if r.id == nil {
			continue
		}
		var n int
		if err := m.q.GetContext(ctx, &n, m.sql.Get(r.kind.query), r.id); err != nil {
			return fmt.Errorf("check %s: %w", r.field, err)
		}
		if n == 0 {
			p.Add(r.field, fmt.Sprintf("no %s %v", r.kind.noun, r.id))
		}
	}
	return nil
}

// fkErr turns a foreign-key violation that slipped past checkRefs (a
// concurrent delete) into an InvalidError; other errors are wrapped.
func fkErr(err error, what string) error {
	if isFK(err) {
		return Invalid("id", "refers to something that was just deleted")
	}
	return fmt.Errorf("%s: %w", what, err)
}
