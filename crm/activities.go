package crm

import (
	"context"
	"time"
)

// ActivityTypes are the kinds of activity.
func ActivityTypes() []string { return []string{"call", "meeting", "task", "email", "deadline"} }

// Activity is a follow-up: a call, meeting, task, e-mail or deadline.
// DueDate is YYYY-MM-DD, DueTime and Duration HH:MM.
type Activity struct {
	ID         int64     `db:"id" json:"id"`
	Subject    string    `db:"subject" json:"subject"`
	Type       string    `db:"type" json:"type"`
	DueDate    *string   `db:"due_date" json:"due_date"`
	DueTime    *string   `db:"due_time" json:"due_time"`
	Duration   *string   `db:"duration" json:"duration"`
	Done       bool      `db:"done" json:"done"`
	Note       string    `db:"note" json:"note"`
	OwnerID    *int64    `db:"owner_id" json:"owner_id"`
	LeadID     *string   `db:"lead_id" json:"lead_id"`
	DealID     *int64    `db:"deal_id" json:"deal_id"`
	PersonID   *int64    `db:"person_id" json:"person_id"`
	OrgID      *int64    `db:"org_id" json:"org_id"`
	AddTime    time.Time `db:"add_time" json:"add_time"`
	UpdateTime time.Time `db:"update_time" json:"update_time"`
}

// ActivityInput creates an activity. Type defaults to task, Subject to the
// type's name ("Call").
type ActivityInput struct {
	Subject  string  `json:"subject"`
	Type     string  `json:"type"`
	DueDate  *string `json:"due_date"`
	DueTime  *string `json:"due_time"`
	Duration *string `json:"duration"`
	Done     bool    `json:"done"`
	Note     string  `json:"note"`
	OwnerID  *int64  `json:"owner_id"`
	LeadID   *string `json:"lead_id"`
	DealID   *int64  `json:"deal_id"`
	PersonID *int64  `json:"person_id"`
	OrgID    *int64  `json:"org_id"`
}

// ActivityPatch changes an activity; Nullable fields set to null are cleared.
type ActivityPatch struct {
	Subject  *string          `json:"subject"`
	Type     *string          `json:"type"`
	DueDate  Nullable[string] `json:"due_date,omitzero"`
	DueTime  Nullable[string] `json:"due_time,omitzero"`
	Duration Nullable[string] `json:"duration,omitzero"`
	Done     *bool            `json:"done"`
	Note     *string          `json:"note"`
	OwnerID  Nullable[int64]  `json:"owner_id,omitzero"`
	LeadID   Nullable[string] `json:"lead_id,omitzero"`
	DealID   Nullable[int64]  `json:"deal_id,omitzero"`
	PersonID Nullable[int64]  `json:"person_id,omitzero"`
	OrgID    Nullable[int64]  `json:"org_id,omitzero"`
}

// ActivityFilter narrows ListActivities.
type ActivityFilter struct {
	Done     *bool
	OwnerID  *int64
	DealID   *int64
	LeadID   *string
	PersonID *int64
	OrgID    *int64
}

// CreateActivity adds an activity.
func (m *Manager) CreateActivity(ctx context.Context, in ActivityInput) (Activity, error) {
	return Activity{}, errTODO
}

// GetActivity returns one activity.
func (m *Manager) GetActivity(ctx context.Context, id int64) (Activity, error) {
	return Activity{}, errTODO
}

// ListActivities pages through activities. Sort fields: id, subject, type,
// due_date, add_time, update_time.
func (m *Manager) ListActivities(ctx context.Context, f ActivityFilter, lp ListParams) ([]Activity, Page, error) {
	return nil, Page{}, errTODO
}

// UpdateActivity applies a patch.
func (m *Manager) UpdateActivity(ctx context.Context, id int64, p ActivityPatch) (Activity, error) {
	return Activity{}, errTODO
}

// DeleteActivity removes an activity.
func (m *Manager) DeleteActivity(ctx context.Context, id int64) error { return errTODO }
