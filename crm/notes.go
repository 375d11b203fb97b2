package crm

import (
	"context"
	"time"
)

// Note is text attached to exactly one lead, deal, person or organization.
type Note struct {
	ID         int64     `db:"id" json:"id"`
	Content    string    `db:"content" json:"content"`
	LeadID     *string   `db:"lead_id" json:"lead_id"`
	DealID     *int64    `db:"deal_id" json:"deal_id"`
	PersonID   *int64    `db:"person_id" json:"person_id"`
	OrgID      *int64    `db:"org_id" json:"org_id"`
	UserID     *int64    `db:"user_id" json:"user_id"`
	AddTime    time.Time `db:"add_time" json:"add_time"`
	UpdateTime time.Time `db:"update_time" json:"update_time"`
}

// NoteInput creates a note: Content and exactly one parent are required;
// UserID is the author.
type NoteInput struct {
	Content  string  `json:"content"`
	LeadID   *string `json:"lead_id"`
	DealID   *int64  `json:"deal_id"`
	PersonID *int64  `json:"person_id"`
	OrgID    *int64  `json:"org_id"`
	UserID   *int64  `json:"user_id"`
}

// NotePatch changes a note's content; a note keeps its parent.
type NotePatch struct {
	Content *string `json:"content"`
}

// NoteFilter narrows ListNotes.
type NoteFilter struct {
	LeadID   *string
	DealID   *int64
	PersonID *int64
	OrgID    *int64
	UserID   *int64
}

// CreateNote adds a note.
func (m *Manager) CreateNote(ctx context.Context, in NoteInput) (Note, error) { return Note{}, errTODO }

// GetNote returns one note.
func (m *Manager) GetNote(ctx context.Context, id int64) (Note, error) { return Note{}, errTODO }

// ListNotes pages through notes. Sort fields: id, add_time, update_time.
func (m *Manager) ListNotes(ctx context.Context, f NoteFilter, lp ListParams) ([]Note, Page, error) {
	return nil, Page{}, errTODO
}

// UpdateNote applies a patch.
func (m *Manager) UpdateNote(ctx context.Context, id int64, p NotePatch) (Note, error) {
	return Note{}, errTODO
}

// DeleteNote removes a note.
func (m *Manager) DeleteNote(ctx context.Context, id int64) error { return errTODO }
