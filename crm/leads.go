package crm

import (
	"context"
	"time"
)

// Lead sources, as Pipedrive names them.
const (
	SourceChatbot  = "Chatbot"
	SourceLiveChat = "Live chat"
	SourceAPI      = "API"
	SourceManual   = "Manually created"
)

// Archived-status filters of ListLeads.
const (
	ArchivedOnly = "archived"
	NotArchived  = "not_archived"
	ArchivedAll  = "all"
)

// Money is a lead's potential value.
type Money struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// Lead is a prospect not yet worth a deal. Its id is a UUID, as in Pipedrive.
type Lead struct {
	ID                string    `db:"id" json:"id"`
	Title             string    `db:"title" json:"title"`
	PersonID          *int64    `db:"person_id" json:"person_id"`
	OrganizationID    *int64    `db:"organization_id" json:"organization_id"`
	OwnerID           *int64    `db:"owner_id" json:"owner_id"`
	Value             *Money    `db:"-" json:"value"`
	ExpectedCloseDate *string   `db:"expected_close_date" json:"expected_close_date"`
	LabelIDs          []string  `db:"-" json:"label_ids"`
	Qualified         bool      `db:"qualified" json:"qualified"`
	SourceName        string    `db:"source_name" json:"source_name"`
	ConversationID    *string   `db:"conversation_id" json:"conversation_id"`
	IsArchived        bool      `db:"is_archived" json:"is_archived"`
	WasSeen           bool      `db:"was_seen" json:"was_seen"`
	DealID            *int64    `db:"deal_id" json:"deal_id"` // set once converted
	AddTime           time.Time `db:"add_time" json:"add_time"`
	UpdateTime        time.Time `db:"update_time" json:"update_time"`
}

// LeadInput creates a lead: Title and PersonID or OrganizationID are
// required. Qualified defaults to true, SourceName to "API".
type LeadInput struct {
	Title             string   `json:"title"`
	PersonID          *int64   `json:"person_id"`
	OrganizationID    *int64   `json:"organization_id"`
	OwnerID           *int64   `json:"owner_id"`
	Value             *Money   `json:"value"`
	ExpectedCloseDate *string  `json:"expected_close_date"`
	LabelIDs          []string `json:"label_ids"`
	Qualified         *bool    `json:"qualified"`
	SourceName        string   `json:"source_name"`
	ConversationID    *string  `json:"conversation_id"`
	WasSeen           bool     `json:"was_seen"`
}

// LeadPatch changes a lead; Nullable fields set to null are cleared, and
// LabelIDs, when given, replaces the labels.
type LeadPatch struct {
	Title             *string          `json:"title"`
	PersonID          Nullable[int64]  `json:"person_id,omitzero"`
	OrganizationID    Nullable[int64]  `json:"organization_id,omitzero"`
	OwnerID           Nullable[int64]  `json:"owner_id,omitzero"`
	Value             Nullable[Money]  `json:"value,omitzero"`
	ExpectedCloseDate Nullable[string] `json:"expected_close_date,omitzero"`
	LabelIDs          *[]string        `json:"label_ids"`
	Qualified         *bool            `json:"qualified"`
	SourceName        *string          `json:"source_name"`
	ConversationID    Nullable[string] `json:"conversation_id,omitzero"`
	IsArchived        *bool            `json:"is_archived"`
	WasSeen           *bool            `json:"was_seen"`
}

// LeadFilter narrows ListLeads. ArchivedStatus is archived, not_archived or
// all (the default, as in Pipedrive).
type LeadFilter struct {
	ArchivedStatus string
	OwnerID        *int64
	PersonID       *int64
	OrganizationID *int64
}

// CreateLead adds a lead.
func (m *Manager) CreateLead(ctx context.Context, in LeadInput) (Lead, error) { return Lead{}, errTODO }

// GetLead returns one lead with its labels.
func (m *Manager) GetLead(ctx context.Context, id string) (Lead, error) { return Lead{}, errTODO }

// ListLeads pages through leads. Sort fields: add_time (default), update_time,
// title, value, expected_close_date, id.
func (m *Manager) ListLeads(ctx context.Context, f LeadFilter, lp ListParams) ([]Lead, Page, error) {
	return nil, Page{}, errTODO
}

// UpdateLead applies a patch.
func (m *Manager) UpdateLead(ctx context.Context, id string, p LeadPatch) (Lead, error) {
	return Lead{}, errTODO
}

// DeleteLead removes a lead with its notes and activities.
func (m *Manager) DeleteLead(ctx context.Context, id string) error { return errTODO }

// ConvertLead turns a lead into a deal in the default pipeline's first
// stage, moves the lead's notes and activities to the deal and archives the
// lead. A lead converts once; again is a conflict.
func (m *Manager) ConvertLead(ctx context.Context, id string) (Deal, error) { return Deal{}, errTODO }
