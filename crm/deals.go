package crm

import (
	"context"
	"time"
)

// Deal statuses.
const (
	DealOpen = "open"
	DealWon  = "won"
	DealLost = "lost"
)

// DefaultCurrency is used when a deal or lead value comes without one.
const DefaultCurrency = "USD"

// Deal is an opportunity in a pipeline stage. WonTime and LostTime are set
// when the status changes to won or lost and cleared when it is reopened.
type Deal struct {
	ID                int64      `db:"id" json:"id"`
	Title             string     `db:"title" json:"title"`
	Value             float64    `db:"value" json:"value"`
	Currency          string     `db:"currency" json:"currency"`
	Status            string     `db:"status" json:"status"`
	PipelineID        int64      `db:"pipeline_id" json:"pipeline_id"`
	StageID           int64      `db:"stage_id" json:"stage_id"`
	PersonID          *int64     `db:"person_id" json:"person_id"`
	OrgID             *int64     `db:"org_id" json:"org_id"`
	OwnerID           *int64     `db:"owner_id" json:"owner_id"`
	ExpectedCloseDate *string    `db:"expected_close_date" json:"expected_close_date"`
	ConversationID    *string    `db:"conversation_id" json:"conversation_id"`
	WonTime           *time.Time `db:"won_time" json:"won_time"`
	LostTime          *time.Time `db:"lost_time" json:"lost_time"`
	LostReason        string     `db:"lost_reason" json:"lost_reason"`
	AddTime           time.Time  `db:"add_time" json:"add_time"`
	UpdateTime        time.Time  `db:"update_time" json:"update_time"`
}

// DealInput creates a deal. Title is required. StageID wins over PipelineID
// (the deal's pipeline is its stage's); with PipelineID alone the deal goes
// to that pipeline's first stage; with neither, to the first pipeline's
// first stage. Status defaults to open, Currency to DefaultCurrency.
type DealInput struct {
	Title             string   `json:"title"`
	Value             *float64 `json:"value"`
	Currency          string   `json:"currency"`
	Status            string   `json:"status"`
	PipelineID        *int64   `json:"pipeline_id"`
	StageID           *int64   `json:"stage_id"`
	PersonID          *int64   `json:"person_id"`
	OrgID             *int64   `json:"org_id"`
	OwnerID           *int64   `json:"owner_id"`
	ExpectedCloseDate *string  `json:"expected_close_date"`
	ConversationID    *string  `json:"conversation_id"`
	LostReason        string   `json:"lost_reason"`
}

// DealPatch changes a deal; Nullable fields set to null are cleared. A new
// StageID moves the deal (and sets its pipeline); a new PipelineID alone
// moves it to that pipeline's first stage.
type DealPatch struct {
	Title             *string          `json:"title"`
	Value             *float64         `json:"value"`
	Currency          *string          `json:"currency"`
	Status            *string          `json:"status"`
	PipelineID        *int64           `json:"pipeline_id"`
	StageID           *int64           `json:"stage_id"`
	PersonID          Nullable[int64]  `json:"person_id,omitzero"`
	OrgID             Nullable[int64]  `json:"org_id,omitzero"`
	OwnerID           Nullable[int64]  `json:"owner_id,omitzero"`
	ExpectedCloseDate Nullable[string] `json:"expected_close_date,omitzero"`
	ConversationID    Nullable[string] `json:"conversation_id,omitzero"`
	LostReason        *string          `json:"lost_reason"`
}

// DealFilter narrows ListDeals; Status "" or "all" lists every status.
type DealFilter struct {
	Status     string
	StageID    *int64
	PipelineID *int64
	PersonID   *int64
	OrgID      *int64
	OwnerID    *int64
}

// CreateDeal adds a deal.
func (m *Manager) CreateDeal(ctx context.Context, in DealInput) (Deal, error) { return Deal{}, errTODO }

// GetDeal returns one deal.
func (m *Manager) GetDeal(ctx context.Context, id int64) (Deal, error) { return Deal{}, errTODO }

// ListDeals pages through deals. Sort fields: id, title, value, status,
// stage_id, expected_close_date, add_time, update_time.
func (m *Manager) ListDeals(ctx context.Context, f DealFilter, lp ListParams) ([]Deal, Page, error) {
	return nil, Page{}, errTODO
}

// UpdateDeal applies a patch.
func (m *Manager) UpdateDeal(ctx context.Context, id int64, p DealPatch) (Deal, error) {
	return Deal{}, errTODO
}

// DeleteDeal removes a deal with its notes and activities.
func (m *Manager) DeleteDeal(ctx context.Context, id int64) error { return errTODO }
