package crm

import (
	"context"
	"time"
)

// LabelColors are the colors a lead label may have.
var LabelColors = []string{"green", "blue", "red", "yellow", "purple", "gray"}

// LeadLabel tags leads; its id is a UUID, as in Pipedrive. Names are unique,
// case-insensitively.
type LeadLabel struct {
	ID         string    `db:"id" json:"id"`
	Name       string    `db:"name" json:"name"`
	Color      string    `db:"color" json:"color"`
	AddTime    time.Time `db:"add_time" json:"add_time"`
	UpdateTime time.Time `db:"update_time" json:"update_time"`
}

// LeadLabelInput creates a label; Color defaults to gray.
type LeadLabelInput struct {
	Name  string `json:"name"`
	Color string `json:"color"`
}

// LeadLabelPatch changes a label.
type LeadLabelPatch struct {
	Name  *string `json:"name"`
	Color *string `json:"color"`
}

// CreateLeadLabel adds a label.
func (m *Manager) CreateLeadLabel(ctx context.Context, in LeadLabelInput) (LeadLabel, error) {
	return LeadLabel{}, errTODO
}

// GetLeadLabel returns one label.
func (m *Manager) GetLeadLabel(ctx context.Context, id string) (LeadLabel, error) {
	return LeadLabel{}, errTODO
}

// ListLeadLabels pages through labels. Sort fields: name, add_time (default), id.
func (m *Manager) ListLeadLabels(ctx context.Context, lp ListParams) ([]LeadLabel, Page, error) {
	return nil, Page{}, errTODO
}

// UpdateLeadLabel applies a patch.
func (m *Manager) UpdateLeadLabel(ctx context.Context, id string, p LeadLabelPatch) (LeadLabel, error) {
	return LeadLabel{}, errTODO
}

// DeleteLeadLabel removes a label from every lead and deletes it.
func (m *Manager) DeleteLeadLabel(ctx context.Context, id string) error { return errTODO }
