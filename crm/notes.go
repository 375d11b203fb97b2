package crm

import (
	"context"
	"strings"
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

var noteSorts = map[string]sortColumn{
	"id":          {"id", sortInt},
	"add_time":    {"add_time", sortTime},
	"update_time": {"update_time", sortTime},
}

func noteKey(n *Note, field string) any {
	switch field {
	case "add_time":
		return n.AddTime
	case "update_time":
		return n.UpdateTime
	}
	return n.ID
}

func checkContent(p *Problems, s *string) {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		p.Add("content", "is required")
	}
	maxLen(p, "content", *s, maxContentLen)
}

// CreateNote adds a note.
func (m *Manager) CreateNote(ctx context.Context, in NoteInput) (Note, error) {
	var p Problems
	checkContent(&p, &in.Content)
	parents := 0
	for _, set := range []bool{in.LeadID != nil, in.DealID != nil, in.PersonID != nil, in.OrgID != nil} {
		if set {
			parents++
		}
	}
	if parents != 1 {
		p.Add("lead_id", "exactly one of lead_id, deal_id, person_id and org_id is required")
	}
	var id int64
	var n Note
	err := m.InTx(ctx, func(m *Manager) error {
		if err := m.checkRefs(ctx, &p, refTo("lead_id", refLead, in.LeadID), refTo("deal_id", refDeal, in.DealID),
			refTo("person_id", refPerson, in.PersonID), refTo("org_id", refOrg, in.OrgID),
			refTo("user_id", refUser, in.UserID)); err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		now := m.nowUTC()
		var err error
		id, err = insertID[int64](ctx, m, "insert-note", "note", in.Content, in.LeadID, in.DealID, in.PersonID,
			in.OrgID, in.UserID, now, now)
		if err != nil {
			return err
		}
		if n, err = m.GetNote(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "note", ActionCreate, id, n, nil)
	})
	if err != nil {
		return Note{}, err
	}
	return n, nil
}

// GetNote returns one note.
func (m *Manager) GetNote(ctx context.Context, id int64) (Note, error) {
	return getOne[Note](ctx, m, "get-note", "note", id)
}

// ListNotes pages through notes. Sort fields: id, add_time, update_time.
func (m *Manager) ListNotes(ctx context.Context, f NoteFilter, lp ListParams) ([]Note, Page, error) {
	q := listQuery{base: m.sql.Get("select-notes"), sorts: noteSorts, defaultSort: "id"}
	if f.LeadID != nil {
		q.filter("lead_id = ?", *f.LeadID)
	}
	for _, c := range []struct {
		col string
		v   *int64
	}{{"deal_id", f.DealID}, {"person_id", f.PersonID}, {"org_id", f.OrgID}, {"user_id", f.UserID}} {
		if c.v != nil {
			q.filter(c.col+" = ?", *c.v)
		}
	}
	return runList(ctx, m, q, lp, noteKey, func(n *Note) any { return n.ID })
}

// UpdateNote applies a patch.
func (m *Manager) UpdateNote(ctx context.Context, id int64, p NotePatch) (Note, error) {
	var after Note
	err := m.InTx(ctx, func(m *Manager) error {
		n, err := m.GetNote(ctx, id)
		if err != nil {
			return err
		}
		before := n
		if p.Content != nil {
			n.Content = *p.Content
		}
		var pr Problems
		checkContent(&pr, &n.Content)
		if err := pr.Err(); err != nil {
			return err
		}
		if err := m.exec(ctx, "update-note", "update note", n.Content, m.nowUTC(), id); err != nil {
			return err
		}
		if after, err = m.GetNote(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "note", ActionChange, id, after, before)
	})
	if err != nil {
		return Note{}, err
	}
	return after, nil
}

// DeleteNote removes a note.
func (m *Manager) DeleteNote(ctx context.Context, id int64) error {
	return m.InTx(ctx, func(m *Manager) error {
		n, err := m.GetNote(ctx, id)
		if err != nil {
			return err
		}
		if err := m.deleteOne(ctx, "delete-note", "note", id); err != nil {
			return err
		}
		return m.changed(ctx, "note", ActionDelete, id, n, nil)
	})
}
