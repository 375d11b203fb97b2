package crm

import (
	"context"
	"fmt"
	"slices"
	"strings"
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

var leadLabelSorts = map[string]sortColumn{
	"id":          {"id", sortText},
	"name":        {"name", sortText},
	"add_time":    {"add_time", sortTime},
	"update_time": {"update_time", sortTime},
}

func leadLabelKey(l *LeadLabel, field string) any {
	switch field {
	case "id":
		return l.ID
	case "name":
		return l.Name
	case "update_time":
		return l.UpdateTime
	}
	return l.AddTime
}

func validateLeadLabel(l *LeadLabel) error {
	var p Problems
	requireName(&p, "name", &l.Name)
	if l.Color == "" {
		l.Color = "gray"
	}
	if !slices.Contains(LabelColors, l.Color) {
		p.Add("color", "must be one of "+strings.Join(LabelColors, ", "))
	}
	return p.Err()
}

func labelTaken(name string) error {
	return Invalid("name", fmt.Sprintf("a label named %q already exists", name))
}

// CreateLeadLabel adds a label.
func (m *Manager) CreateLeadLabel(ctx context.Context, in LeadLabelInput) (LeadLabel, error) {
	l := LeadLabel{ID: newUUID(), Name: in.Name, Color: in.Color}
	if err := validateLeadLabel(&l); err != nil {
		return LeadLabel{}, err
	}
	now := m.nowUTC()
	if _, err := m.q.ExecContext(ctx, m.sql.Get("insert-lead-label"), l.ID, l.Name, nameKey(l.Name), l.Color, now, now); err != nil {
		if isUnique(err) {
			return LeadLabel{}, labelTaken(l.Name)
		}
		return LeadLabel{}, fmt.Errorf("insert lead label: %w", err)
	}
	return m.GetLeadLabel(ctx, l.ID)
}

// GetLeadLabel returns one label.
func (m *Manager) GetLeadLabel(ctx context.Context, id string) (LeadLabel, error) {
	return getOne[LeadLabel](ctx, m, "get-lead-label", "lead label", id)
}

// ListLeadLabels pages through labels. Sort fields: name, add_time (default), id.
func (m *Manager) ListLeadLabels(ctx context.Context, lp ListParams) ([]LeadLabel, Page, error) {
	q := listQuery{base: m.sql.Get("select-lead-labels"), sorts: leadLabelSorts, defaultSort: "add_time", textID: true}
	return runList(ctx, m, q, lp, leadLabelKey, func(l *LeadLabel) any { return l.ID })
}

// UpdateLeadLabel applies a patch.
func (m *Manager) UpdateLeadLabel(ctx context.Context, id string, p LeadLabelPatch) (LeadLabel, error) {
	err := m.InTx(ctx, func(m *Manager) error {
		l, err := m.GetLeadLabel(ctx, id)
		if err != nil {
			return err
		}
		if p.Name != nil {
			l.Name = *p.Name
		}
		if p.Color != nil {
			l.Color = *p.Color
		}
		if err := validateLeadLabel(&l); err != nil {
			return err
		}
		_, err = m.q.ExecContext(ctx, m.sql.Get("update-lead-label"), l.Name, nameKey(l.Name), l.Color, m.nowUTC(), id)
		if isUnique(err) {
			return labelTaken(l.Name)
		} else if err != nil {
			return fmt.Errorf("update lead label: %w", err)
		}
		return nil
	})
	if err != nil {
		return LeadLabel{}, err
	}
	return m.GetLeadLabel(ctx, id)
}

// DeleteLeadLabel removes a label from every lead and deletes it.
func (m *Manager) DeleteLeadLabel(ctx context.Context, id string) error {
	return m.deleteOne(ctx, "delete-lead-label", "lead label", id)
}

// labelByName returns the label with this name, creating it (gray) when
// missing. Safe under concurrent captures: the insert does nothing when
// another transaction created the name first, and the read that follows
// sees that label.
func (m *Manager) labelByName(ctx context.Context, name string) (LeadLabel, error) {
	l := LeadLabel{Name: name}
	if err := validateLeadLabel(&l); err != nil {
		return LeadLabel{}, err
	}
	key := nameKey(l.Name)
	now := m.nowUTC()
	if _, err := m.q.ExecContext(ctx, m.sql.Get("insert-lead-label-if-missing"), newUUID(), l.Name, key, l.Color, now, now); err != nil {
		return LeadLabel{}, fmt.Errorf("create label %q: %w", name, err)
	}
	return getOne[LeadLabel](ctx, m, "find-lead-label-by-name", "lead label", key)
}
