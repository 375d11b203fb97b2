package crm

import (
	"context"
	"slices"
	"strings"
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

var activitySorts = map[string]sortColumn{
	"id":          {"id", sortInt},
	"subject":     {"subject", sortText},
	"type":        {"type", sortText},
	"due_date":    {"COALESCE(due_date, '')", sortText},
	"add_time":    {"add_time", sortTime},
	"update_time": {"update_time", sortTime},
}

func activityKey(a *Activity, field string) any {
	switch field {
	case "subject":
		return a.Subject
	case "type":
		return a.Type
	case "due_date":
		if a.DueDate == nil {
			return ""
		}
		return *a.DueDate
	case "add_time":
		return a.AddTime
	case "update_time":
		return a.UpdateTime
	}
	return a.ID
}

func (m *Manager) validateActivity(ctx context.Context, a *Activity) error {
	var p Problems
	if a.Type == "" {
		a.Type = "task"
	}
	if !slices.Contains(ActivityTypes(), a.Type) {
		p.Add("type", "must be one of "+strings.Join(ActivityTypes(), ", "))
	} else if strings.TrimSpace(a.Subject) == "" {
		a.Subject = strings.ToUpper(a.Type[:1]) + a.Type[1:]
	}
	requireName(&p, "subject", &a.Subject)
	a.DueDate, a.DueTime, a.Duration = emptyToNil(a.DueDate), emptyToNil(a.DueTime), emptyToNil(a.Duration)
	checkDate(&p, "due_date", a.DueDate)
	checkClock(&p, "due_time", a.DueTime, false)
	checkClock(&p, "duration", a.Duration, true)
	maxLen(&p, "note", a.Note, maxContentLen)
	if err := m.checkRefs(ctx, &p, refTo("owner_id", refUser, a.OwnerID), refTo("lead_id", refLead, a.LeadID),
		refTo("deal_id", refDeal, a.DealID), refTo("person_id", refPerson, a.PersonID),
		refTo("org_id", refOrg, a.OrgID)); err != nil {
		return err
	}
	return p.Err()
}

// CreateActivity adds an activity.
func (m *Manager) CreateActivity(ctx context.Context, in ActivityInput) (Activity, error) {
	a := Activity{Subject: in.Subject, Type: in.Type, DueDate: in.DueDate, DueTime: in.DueTime,
		Duration: in.Duration, Done: in.Done, Note: in.Note, OwnerID: in.OwnerID, LeadID: in.LeadID,
		DealID: in.DealID, PersonID: in.PersonID, OrgID: in.OrgID}
	var id int64
	err := m.InTx(ctx, func(m *Manager) error {
		if err := m.validateActivity(ctx, &a); err != nil {
			return err
		}
		now := m.nowUTC()
		var err error
		id, err = insertID[int64](ctx, m, "insert-activity", "activity", a.Subject, a.Type, a.DueDate,
			a.DueTime, a.Duration, a.Done, a.Note, a.OwnerID, a.LeadID, a.DealID, a.PersonID, a.OrgID, now, now)
		if err != nil {
			return err
		}
		if a, err = m.GetActivity(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "activity", ActionCreate, id, a, nil)
	})
	if err != nil {
		return Activity{}, err
	}
	return a, nil
}

// GetActivity returns one activity.
func (m *Manager) GetActivity(ctx context.Context, id int64) (Activity, error) {
	return getOne[Activity](ctx, m, "get-activity", "activity", id)
}

// ListActivities pages through activities. Sort fields: id, subject, type,
// due_date, add_time, update_time.
func (m *Manager) ListActivities(ctx context.Context, f ActivityFilter, lp ListParams) ([]Activity, Page, error) {
	q := listQuery{base: m.sql.Get("select-activities"), sorts: activitySorts, defaultSort: "id"}
	if f.Done != nil {
		q.filter("done = ?", *f.Done)
	}
	if f.LeadID != nil {
		q.filter("lead_id = ?", *f.LeadID)
	}
	for _, c := range []struct {
		col string
		v   *int64
	}{{"owner_id", f.OwnerID}, {"deal_id", f.DealID}, {"person_id", f.PersonID}, {"org_id", f.OrgID}} {
		if c.v != nil {
			q.filter(c.col+" = ?", *c.v)
		}
	}
	return runList(ctx, m, q, lp, activityKey, func(a *Activity) any { return a.ID })
}

// UpdateActivity applies a patch.
func (m *Manager) UpdateActivity(ctx context.Context, id int64, p ActivityPatch) (Activity, error) {
	var after Activity
	err := m.InTx(ctx, func(m *Manager) error {
		a, err := m.GetActivity(ctx, id)
		if err != nil {
			return err
		}
		before := a
		if p.Subject != nil {
			a.Subject = *p.Subject
		}
		if p.Type != nil {
			a.Type = *p.Type
		}
		if p.Done != nil {
			a.Done = *p.Done
		}
		if p.Note != nil {
			a.Note = *p.Note
		}
		p.DueDate.apply(&a.DueDate)
		p.DueTime.apply(&a.DueTime)
		p.Duration.apply(&a.Duration)
		p.OwnerID.apply(&a.OwnerID)
		p.LeadID.apply(&a.LeadID)
		p.DealID.apply(&a.DealID)
		p.PersonID.apply(&a.PersonID)
		p.OrgID.apply(&a.OrgID)
		if err := m.validateActivity(ctx, &a); err != nil {
			return err
		}
		if err := m.exec(ctx, "update-activity", "update activity", a.Subject, a.Type, a.DueDate, a.DueTime,
			a.Duration, a.Done, a.Note, a.OwnerID, a.LeadID, a.DealID, a.PersonID, a.OrgID, m.nowUTC(), id); err != nil {
			return err
		}
		if after, err = m.GetActivity(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "activity", ActionChange, id, after, before)
	})
	if err != nil {
		return Activity{}, err
	}
	return after, nil
}

// DeleteActivity removes an activity.
func (m *Manager) DeleteActivity(ctx context.Context, id int64) error {
	return m.InTx(ctx, func(m *Manager) error {
		a, err := m.GetActivity(ctx, id)
		if err != nil {
			return err
		}
		if err := m.deleteOne(ctx, "delete-activity", "activity", id); err != nil {
			return err
		}
		return m.changed(ctx, "activity", ActionDelete, id, a, nil)
	})
}
