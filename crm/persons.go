package crm

import (
	"context"
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

// CreatePerson adds a person.
func (m *Manager) CreatePerson(ctx context.Context, in PersonInput) (Person, error) {
	return Person{}, errTODO
}

// GetPerson returns one person with e-mails and phones.
func (m *Manager) GetPerson(ctx context.Context, id int64) (Person, error) { return Person{}, errTODO }

// ListPersons pages through persons. Sort fields: id, name, add_time, update_time.
func (m *Manager) ListPersons(ctx context.Context, f PersonFilter, lp ListParams) ([]Person, Page, error) {
	return nil, Page{}, errTODO
}

// SearchPersons finds persons whose name, e-mail or phone contains term.
func (m *Manager) SearchPersons(ctx context.Context, term string, lp ListParams) ([]Person, Page, error) {
	return nil, Page{}, errTODO
}

// UpdatePerson applies a patch.
func (m *Manager) UpdatePerson(ctx context.Context, id int64, p PersonPatch) (Person, error) {
	return Person{}, errTODO
}

// DeletePerson removes a person; their leads, deals and activities stay,
// unlinked; their notes go.
func (m *Manager) DeletePerson(ctx context.Context, id int64) error { return errTODO }

// FindPersonByEmail returns the oldest person with this e-mail, compared
// case-insensitively.
func (m *Manager) FindPersonByEmail(ctx context.Context, email string) (Person, error) {
	return Person{}, errTODO
}

// FindPersonByPhone returns the oldest person with this phone number,
// compared by digits only, so "+1 (555) 010-0200" matches "15550100200".
func (m *Manager) FindPersonByPhone(ctx context.Context, phone string) (Person, error) {
	return Person{}, errTODO
}
