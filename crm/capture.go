package crm

import (
	"context"
	"time"
)

// CaptureInput is what a playbook's capture card writes to the CRM. The
// livechat package fills it from the conversation; crm knows nothing of
// playbooks.
type CaptureInput struct {
	ConversationID string
	Card           string // the capture card's id: with ConversationID, the once-only key
	Create         string // "lead" (default) or "deal"
	Title          string
	Value          *float64 // the card's value expression; DealValue when nil
	Currency       string
	OwnerID        *int64 // resolved by the caller (see ResolveOwner)
	Pipeline       string // deal only: pipeline name; default the first pipeline
	Stage          string // deal only: stage name in that pipeline; default its first stage
	Labels         []string
	Qualified      bool // false still records the lead, labelled "unqualified"
	Note           string
	Activity       *CaptureActivity
	Person         CapturePerson
	Organization   CaptureOrganization
	// DealValue and ExpectedCloseDate come from answers saved to deal.value
	// and deal.expected_close_date.
	DealValue         *float64
	ExpectedCloseDate string
	SourceName        string // default "Chatbot"
}

// CaptureActivity schedules a follow-up with the capture.
type CaptureActivity struct {
	Type    string
	Subject string
	DueDate time.Time
}

// CapturePerson is what the visitor told about themselves.
type CapturePerson struct {
	Name  string
	Email string
	Phone string
}

// CaptureOrganization is what the visitor told about their company.
type CaptureOrganization struct {
	Name    string
	Address string
}

// UnqualifiedLabel labels leads captured with qualified: false.
const UnqualifiedLabel = "unqualified"

// CaptureResult tells what a capture created or reused. Existing is true when
// this conversation and card had already captured: nothing new was created
// and the ids are those of the first capture.
type CaptureResult struct {
	Existing     bool    `json:"existing"`
	PersonID     *int64  `json:"person_id"`
	OrgID        *int64  `json:"org_id"`
	LeadID       *string `json:"lead_id"`
	DealID       *int64  `json:"deal_id"`
	NoteID       *int64  `json:"note_id"`
	ActivityID   *int64  `json:"activity_id"`
	PersonReused bool    `json:"person_reused"`
	OrgReused    bool    `json:"org_reused"`
	Lead         *Lead   `json:"lead,omitempty"`
	Deal         *Deal   `json:"deal,omitempty"`
}

// Capture writes a visitor to the CRM in one transaction, at most once per
// conversation and card.
func (m *Manager) Capture(ctx context.Context, in CaptureInput) (CaptureResult, error) {
	return CaptureResult{}, errTODO
}

// Owner specs of ResolveOwner, besides a user's e-mail.
const (
	OwnerRoundRobin = "round_robin"
	OwnerAssignee   = "assignee"
)

// ResolveOwner picks the owner of a capture: spec is a user's e-mail,
// "round_robin" (the default when empty: among active agents of group, or
// all agents) or "assignee" (assigneeID when that user is active, else round
// robin). It returns nil when there is nobody to pick.
func (m *Manager) ResolveOwner(ctx context.Context, spec string, group *int64, assigneeID *int64) (*int64, error) {
	return nil, errTODO
}
