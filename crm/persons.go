package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Contact is one e-mail address or phone number of a person, in Pipedrive's
// shape.
type Contact struct {
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
	Label   string `json:"label"`
}

// Contacts is a person's e-mails or phones. Like Pipedrive, input may also be
// a single string or a list of strings.
type Contacts []Contact

// Person is a contact in the CRM, typically a chat visitor who left details.
type Person struct {
	ID         int64     `db:"id" json:"id"`
	Name       string    `db:"name" json:"name"`
	Email      Contacts  `db:"-" json:"email"`
	Phone      Contacts  `db:"-" json:"phone"`
	OrgID      *int64    `db:"org_id" json:"org_id"`
	OwnerID    *int64    `db:"owner_id" json:"owner_id"`
	AddTime    time.Time `db:"add_time" json:"add_time"`
	UpdateTime time.Time `db:"update_time" json:"update_time"`
}

// PersonInput creates a person. Name is required.
type PersonInput struct {
	Name    string   `json:"name"`
	Email   Contacts `json:"email"`
	Phone   Contacts `json:"phone"`
	OrgID   *int64   `json:"org_id"`
	OwnerID *int64   `json:"owner_id"`
}

// PersonPatch changes a person: nil or unset fields are left alone, a null
// OrgID or OwnerID clears it, a given Email or Phone list replaces the old one.
type PersonPatch struct {
	Name    *string         `json:"name"`
	Email   *Contacts       `json:"email"`
	Phone   *Contacts       `json:"phone"`
	OrgID   Nullable[int64] `json:"org_id,omitzero"`
	OwnerID Nullable[int64] `json:"owner_id,omitzero"`
}

// PersonFilter narrows ListPersons; zero fields do not filter.
type PersonFilter struct {
	OrgID   *int64
	OwnerID *int64
}

var personSorts = map[string]sortColumn{
	"id":          {"id", sortInt},
	"name":        {"name", sortText},
	"add_time":    {"add_time", sortTime},
	"update_time": {"update_time", sortTime},
}

func personKey(p *Person, field string) any {
	switch field {
	case "name":
		return p.Name
	case "add_time":
		return p.AddTime
	case "update_time":
		return p.UpdateTime
	}
	return p.ID
}

func personID(p *Person) any { return p.ID }

func (m *Manager) validatePerson(ctx context.Context, ps *Person) error {
	var p Problems
	requireName(&p, "name", &ps.Name)
	ps.Email = normalizeContacts(&p, kindEmail, ps.Email)
	ps.Phone = normalizeContacts(&p, kindPhone, ps.Phone)
	if err := m.checkRefs(ctx, &p, refTo("org_id", refOrg, ps.OrgID), refTo("owner_id", refUser, ps.OwnerID)); err != nil {
		return err
	}
	return p.Err()
}

// CreatePerson adds a person.
func (m *Manager) CreatePerson(ctx context.Context, in PersonInput) (Person, error) {
	ps := Person{Name: in.Name, Email: in.Email, Phone: in.Phone, OrgID: in.OrgID, OwnerID: in.OwnerID}
	var id int64
	err := m.InTx(ctx, func(m *Manager) error {
		if err := m.validatePerson(ctx, &ps); err != nil {
			return err
		}
		now := m.nowUTC()
		var err error
		if id, err = insertID[int64](ctx, m, "insert-person", "person",
			ps.Name, nameKey(ps.Name), ps.OrgID, ps.OwnerID, now, now); err != nil {
			return err
		}
		if err := m.setContacts(ctx, id, kindEmail, ps.Email); err != nil {
			return err
		}
		if err := m.setContacts(ctx, id, kindPhone, ps.Phone); err != nil {
			return err
		}
		if ps, err = m.GetPerson(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "person", ActionCreate, id, ps, nil)
	})
	if err != nil {
		return Person{}, err
	}
	return ps, nil
}

// GetPerson returns one person with e-mails and phones.
func (m *Manager) GetPerson(ctx context.Context, id int64) (Person, error) {
	ps, err := getOne[Person](ctx, m, "get-person", "person", id)
	if err != nil {
		return Person{}, err
	}
	return m.withContacts(ctx, ps)
}

func (m *Manager) withContacts(ctx context.Context, ps Person) (Person, error) {
	one := []Person{ps}
	if err := m.fillContacts(ctx, one); err != nil {
		return Person{}, err
	}
	return one[0], nil
}

// ListPersons pages through persons. Sort fields: id, name, add_time, update_time.
func (m *Manager) ListPersons(ctx context.Context, f PersonFilter, lp ListParams) ([]Person, Page, error) {
	q := listQuery{base: m.sql.Get("select-persons"), sorts: personSorts, defaultSort: "id"}
	if f.OrgID != nil {
		q.filter("org_id = ?", *f.OrgID)
	}
	if f.OwnerID != nil {
		q.filter("owner_id = ?", *f.OwnerID)
	}
	return m.listPersons(ctx, q, lp)
}

func (m *Manager) listPersons(ctx context.Context, q listQuery, lp ListParams) ([]Person, Page, error) {
	ps, page, err := runList(ctx, m, q, lp, personKey, personID)
	if err != nil {
		return nil, Page{}, err
	}
	if err := m.fillContacts(ctx, ps); err != nil {
		return nil, Page{}, err
	}
	return ps, page, nil
}

// likeEscape makes s match literally inside a LIKE pattern (ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SearchPersons finds persons whose name, e-mail or phone contains term
// (at least 2 characters; phones are compared by digits).
func (m *Manager) SearchPersons(ctx context.Context, term string, lp ListParams) ([]Person, Page, error) {
	term = strings.TrimSpace(term)
	if len([]rune(term)) < 2 {
		return nil, Page{}, Invalid("term", "must be at least 2 characters")
	}
	q := listQuery{base: m.sql.Get("select-persons"), sorts: personSorts, defaultSort: "id"}
	contact := "%" + likeEscape(strings.ToLower(term)) + "%"
	clause := `(name_key LIKE ? ESCAPE '\' OR id IN (SELECT person_id FROM person_contacts WHERE kind = 'email' AND normalized LIKE ? ESCAPE '\')`
	args := []any{"%" + likeEscape(nameKey(term)) + "%", contact}
	if d := phoneDigits(term); len(d) >= 3 {
		clause += ` OR id IN (SELECT person_id FROM person_contacts WHERE kind = 'phone' AND normalized LIKE ?)`
		args = append(args, "%"+d+"%")
	}
	q.filter(clause+")", args...)
	return m.listPersons(ctx, q, lp)
}

// UpdatePerson applies a patch.
func (m *Manager) UpdatePerson(ctx context.Context, id int64, p PersonPatch) (Person, error) {
	var after Person
	err := m.InTx(ctx, func(m *Manager) error {
		ps, err := m.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		before := ps
		if p.Name != nil {
			ps.Name = *p.Name
		}
		if p.Email != nil {
			ps.Email = *p.Email
		}
		if p.Phone != nil {
			ps.Phone = *p.Phone
		}
		p.OrgID.apply(&ps.OrgID)
		p.OwnerID.apply(&ps.OwnerID)
		if err := m.validatePerson(ctx, &ps); err != nil {
			return err
		}
		if err := m.exec(ctx, "update-person", "update person",
			ps.Name, nameKey(ps.Name), ps.OrgID, ps.OwnerID, m.nowUTC(), id); err != nil {
			return err
		}
		if p.Email != nil {
			if err := m.setContacts(ctx, id, kindEmail, ps.Email); err != nil {
				return err
			}
		}
		if p.Phone != nil {
			if err := m.setContacts(ctx, id, kindPhone, ps.Phone); err != nil {
				return err
			}
		}
		if after, err = m.GetPerson(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "person", ActionChange, id, after, before)
	})
	if err != nil {
		return Person{}, err
	}
	return after, nil
}

// DeletePerson removes a person; their leads, deals and activities stay,
// unlinked; their notes go.
func (m *Manager) DeletePerson(ctx context.Context, id int64) error {
	return m.InTx(ctx, func(m *Manager) error {
		ps, err := m.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		if err := m.deleteOne(ctx, "delete-person", "person", id); err != nil {
			return err
		}
		return m.changed(ctx, "person", ActionDelete, id, ps, nil)
	})
}

// FindPersonByEmail returns the oldest person with this e-mail, compared
// case-insensitively.
func (m *Manager) FindPersonByEmail(ctx context.Context, email string) (Person, error) {
	return m.findPerson(ctx, kindEmail, strings.TrimSpace(email))
}

// FindPersonByPhone returns the oldest person with this phone number,
// compared by digits only, so "+1 (555) 010-0200" matches "15550100200".
func (m *Manager) FindPersonByPhone(ctx context.Context, phone string) (Person, error) {
	return m.findPerson(ctx, kindPhone, phone)
}

func (m *Manager) findPerson(ctx context.Context, kind, value string) (Person, error) {
	key := contactKey(kind, value)
	if key == "" {
		return Person{}, notFound("person with "+kind, value)
	}
	var ps Person
	if err := m.q.GetContext(ctx, &ps, m.sql.Get("find-person-by-contact"), kind, key); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Person{}, notFound("person with "+kind, value)
		}
		return Person{}, fmt.Errorf("find person by %s: %w", kind, err)
	}
	return m.withContacts(ctx, ps)
}
