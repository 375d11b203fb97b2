package crm

import (
	"context"
	"strings"
	"time"
)

// Organization is a company persons belong to.
type Organization struct {
	ID         int64     `db:"id" json:"id"`
	Name       string    `db:"name" json:"name"`
	Address    string    `db:"address" json:"address"`
	OwnerID    *int64    `db:"owner_id" json:"owner_id"`
	AddTime    time.Time `db:"add_time" json:"add_time"`
	UpdateTime time.Time `db:"update_time" json:"update_time"`
}

// OrganizationInput creates an organization. Name is required.
type OrganizationInput struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	OwnerID *int64 `json:"owner_id"`
}

// OrganizationPatch changes an organization; a null OwnerID clears it.
type OrganizationPatch struct {
	Name    *string         `json:"name"`
	Address *string         `json:"address"`
	OwnerID Nullable[int64] `json:"owner_id,omitzero"`
}

// OrganizationFilter narrows ListOrganizations.
type OrganizationFilter struct {
	OwnerID *int64
}

var organizationSorts = map[string]sortColumn{
	"id":          {"id", sortInt},
	"name":        {"name", sortText},
	"add_time":    {"add_time", sortTime},
	"update_time": {"update_time", sortTime},
}

func organizationKey(o *Organization, field string) any {
	switch field {
	case "name":
		return o.Name
	case "add_time":
		return o.AddTime
	case "update_time":
		return o.UpdateTime
	}
	return o.ID
}

func (m *Manager) validateOrganization(ctx context.Context, o *Organization) error {
	var p Problems
	requireName(&p, "name", &o.Name)
	o.Address = strings.TrimSpace(o.Address)
	maxLen(&p, "address", o.Address, maxTextLen)
	if err := m.checkRefs(ctx, &p, refTo("owner_id", refUser, o.OwnerID)); err != nil {
		return err
	}
	return p.Err()
}

// CreateOrganization adds an organization.
func (m *Manager) CreateOrganization(ctx context.Context, in OrganizationInput) (Organization, error) {
	o := Organization{Name: in.Name, Address: in.Address, OwnerID: in.OwnerID}
	err := m.InTx(ctx, func(m *Manager) error {
		if err := m.validateOrganization(ctx, &o); err != nil {
			return err
		}
		now := m.nowUTC()
		id, err := insertID[int64](ctx, m, "insert-organization", "organization",
			o.Name, nameKey(o.Name), o.Address, o.OwnerID, now, now)
		if err != nil {
			return err
		}
		if o, err = m.GetOrganization(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "organization", ActionCreate, id, o, nil)
	})
	if err != nil {
		return Organization{}, err
	}
	return o, nil
}

// GetOrganization returns one organization.
func (m *Manager) GetOrganization(ctx context.Context, id int64) (Organization, error) {
	return getOne[Organization](ctx, m, "get-organization", "organization", id)
}

// ListOrganizations pages through organizations. Sort fields: id, name, add_time, update_time.
func (m *Manager) ListOrganizations(ctx context.Context, f OrganizationFilter, lp ListParams) ([]Organization, Page, error) {
	q := listQuery{base: m.sql.Get("select-organizations"), sorts: organizationSorts, defaultSort: "id"}
	if f.OwnerID != nil {
		q.filter("owner_id = ?", *f.OwnerID)
	}
	return runList(ctx, m, q, lp, organizationKey, func(o *Organization) any { return o.ID })
}

// UpdateOrganization applies a patch.
func (m *Manager) UpdateOrganization(ctx context.Context, id int64, p OrganizationPatch) (Organization, error) {
	var after Organization
	err := m.InTx(ctx, func(m *Manager) error {
		o, err := m.GetOrganization(ctx, id)
		if err != nil {
			return err
		}
		before := o
		if p.Name != nil {
			o.Name = *p.Name
		}
		if p.Address != nil {
			o.Address = *p.Address
		}
		p.OwnerID.apply(&o.OwnerID)
		if err := m.validateOrganization(ctx, &o); err != nil {
			return err
		}
		if err := m.exec(ctx, "update-organization", "update organization",
			o.Name, nameKey(o.Name), o.Address, o.OwnerID, m.nowUTC(), id); err != nil {
			return err
		}
		if after, err = m.GetOrganization(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "organization", ActionChange, id, after, before)
	})
	if err != nil {
		return Organization{}, err
	}
	return after, nil
}

// DeleteOrganization removes an organization; its persons, leads and deals
// stay, unlinked; its notes go.
func (m *Manager) DeleteOrganization(ctx context.Context, id int64) error {
	return m.InTx(ctx, func(m *Manager) error {
		o, err := m.GetOrganization(ctx, id)
		if err != nil {
			return err
		}
		if err := m.deleteOne(ctx, "delete-organization", "organization", id); err != nil {
			return err
		}
		return m.changed(ctx, "organization", ActionDelete, id, o, nil)
	})
}

// FindOrganizationByName returns the oldest organization with this name,
// compared case-insensitively and ignoring repeated spaces.
func (m *Manager) FindOrganizationByName(ctx context.Context, name string) (Organization, error) {
	return getOne[Organization](ctx, m, "find-organization-by-name", "organization", nameKey(name))
}
