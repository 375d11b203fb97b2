package crm

import (
	"context"
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

// CreateOrganization adds an organization.
func (m *Manager) CreateOrganization(ctx context.Context, in OrganizationInput) (Organization, error) {
	return Organization{}, errTODO
}

// GetOrganization returns one organization.
func (m *Manager) GetOrganization(ctx context.Context, id int64) (Organization, error) {
	return Organization{}, errTODO
}

// ListOrganizations pages through organizations. Sort fields: id, name, add_time, update_time.
func (m *Manager) ListOrganizations(ctx context.Context, f OrganizationFilter, lp ListParams) ([]Organization, Page, error) {
	return nil, Page{}, errTODO
}

// UpdateOrganization applies a patch.
func (m *Manager) UpdateOrganization(ctx context.Context, id int64, p OrganizationPatch) (Organization, error) {
	return Organization{}, errTODO
}

// DeleteOrganization removes an organization; its persons, leads and deals
// stay, unlinked; its notes go.
func (m *Manager) DeleteOrganization(ctx context.Context, id int64) error { return errTODO }

// FindOrganizationByName returns the oldest organization with this name,
// compared case-insensitively and ignoring repeated spaces.
func (m *Manager) FindOrganizationByName(ctx context.Context, name string) (Organization, error) {
	return Organization{}, errTODO
}
