package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Contact kinds, as stored in person_contacts.kind.
const (
	kindEmail = "email"
	kindPhone = "phone"
)

// UnmarshalJSON accepts Pipedrive's forms: a list of {value, primary,
// label}, a list of strings, or one string.
func (c *Contacts) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Contacts{{Value: s}}
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Contacts, 0, len(raw))
	for _, r := range raw {
		var ct Contact
		if r = bytes.TrimSpace(r); len(r) > 0 && r[0] == '"' {
			if err := json.Unmarshal(r, &ct.Value); err != nil {
				return err
			}
		} else if err := json.Unmarshal(r, &ct); err != nil {
			return err
		}
		out = append(out, ct)
	}
	*c = out
	return nil
}

// normalizeContacts trims the entries, drops blank ones (a form sends empty
// fields), defaults labels, makes the first entry primary when none is, and
// checks each value.
func normalizeContacts(p *Problems, kind string, cs Contacts) Contacts {
	out := make(Contacts, 0, len(cs))
	primaries := 0
	for i, c := range cs {
		c.Value = strings.TrimSpace(c.Value)
		c.Label = strings.TrimSpace(c.Label)
		if c.Value == "" {
			continue
		}
		field := fmt.Sprintf("%s[%d]", kind, i)
		switch {
		case kind == kindEmail && !validEmail(strings.ToLower(c.Value)):
			p.Add(field+".value", "is not an email address")
		case kind == kindPhone && !validPhone(c.Value):
			p.Add(field+".value", "is not a phone number")
		}
		if c.Label == "" {
			c.Label = "work"
		}
		maxLen(p, field+".label", c.Label, 50)
		if c.Primary {
			primaries++
		}
		out = append(out, c)
	}
	if primaries > 1 {
		p.Add(kind, "only one entry may be primary")
	}
	if primaries == 0 && len(out) > 0 {
		out[0].Primary = true
	}
	if len(out) > 20 {
		p.Add(kind, "has more than 20 entries")
	}
	return out
}

func contactKey(kind, value string) string {
	if kind == kindEmail {
		return strings.ToLower(value)
	}
	return phoneDigits(value)
}

// setContacts replaces a person's contacts of one kind.
func (m *Manager) setContacts(ctx context.Context, personID int64, kind string, cs Contacts) error {
	if err := m.exec(ctx, "delete-person-contacts", "clear contacts", personID, kind); err != nil {
		return err
	}
	for i, c := range cs {
		if err := m.exec(ctx, "insert-person-contact", "add contact",
			personID, kind, i, c.Value, contactKey(kind, c.Value), c.Label, c.Primary); err != nil {
			return err
		}
	}
	return nil
}

// fillContacts loads the e-mails and phones of persons in one query.
func (m *Manager) fillContacts(ctx context.Context, ps []Person) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]int64, len(ps))
	for i := range ps {
		ids[i] = ps[i].ID
		ps[i].Email, ps[i].Phone = Contacts{}, Contacts{}
	}
	// The IN list is expanded here, so the statement is completed in Go
	// (named queries are already rebound for the dialect).
	q, args, err := sqlx.In(`WHERE person_id IN (?) ORDER BY person_id, kind, position`, ids)
	if err != nil {
		return fmt.Errorf("list contacts: %w", err)
	}
	var rows []struct {
		PersonID  int64  `db:"person_id"`
		Kind      string `db:"kind"`
		Value     string `db:"value"`
		Label     string `db:"label"`
		IsPrimary bool   `db:"is_primary"`
	}
	q = m.sql.Get("select-person-contacts") + " " + m.db.Rebind(q)
	if err := m.q.SelectContext(ctx, &rows, q, args...); err != nil {
		return fmt.Errorf("list contacts: %w", err)
	}
	at := make(map[int64]*Person, len(ps))
	for i := range ps {
		at[ps[i].ID] = &ps[i]
	}
	for _, r := range rows {
		p := at[r.PersonID]
		c := Contact{Value: r.Value, Label: r.Label, Primary: r.IsPrimary}
		if r.Kind == kindEmail {
			p.Email = append(p.Email, c)
		} else {
			p.Phone = append(p.Phone, c)
		}
	}
	return nil
}
