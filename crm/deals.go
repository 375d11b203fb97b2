package crm

import (
	"context"
	"strings"
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

var dealSorts = map[string]sortColumn{
	"id":                  {"id", sortInt},
	"title":               {"title", sortText},
	"value":               {"value", sortFloat},
	"status":              {"status", sortText},
	"stage_id":            {"stage_id", sortInt},
	"expected_close_date": {"COALESCE(expected_close_date, '')", sortText},
	"add_time":            {"add_time", sortTime},
	"update_time":         {"update_time", sortTime},
}

func dealKey(d *Deal, field string) any {
	switch field {
	case "title":
		return d.Title
	case "value":
		return d.Value
	case "status":
		return d.Status
	case "stage_id":
		return d.StageID
	case "expected_close_date":
		if d.ExpectedCloseDate == nil {
			return ""
		}
		return *d.ExpectedCloseDate
	case "add_time":
		return d.AddTime
	case "update_time":
		return d.UpdateTime
	}
	return d.ID
}

func (m *Manager) validateDeal(ctx context.Context, d *Deal) error {
	var p Problems
	requireName(&p, "title", &d.Title)
	if d.Value < 0 {
		p.Add("value", "must not be negative")
	}
	if d.Currency == "" {
		d.Currency = DefaultCurrency
	}
	normalizeCurrency(&p, "currency", &d.Currency)
	switch d.Status {
	case DealOpen, DealWon, DealLost:
	default:
		p.Add("status", "must be open, won or lost")
	}
	d.ExpectedCloseDate = emptyToNil(d.ExpectedCloseDate)
	checkDate(&p, "expected_close_date", d.ExpectedCloseDate)
	d.ConversationID = emptyToNil(d.ConversationID)
	d.LostReason = strings.TrimSpace(d.LostReason)
	maxLen(&p, "lost_reason", d.LostReason, maxNameLen)
	if err := m.checkRefs(ctx, &p, refTo("person_id", refPerson, d.PersonID), refTo("org_id", refOrg, d.OrgID),
		refTo("owner_id", refUser, d.OwnerID)); err != nil {
		return err
	}
	return p.Err()
}

// setStatusTimes keeps won_time and lost_time in step with a status change:
// the new status's time is now, the other is cleared; reopening clears both
// and the lost reason.
func setStatusTimes(d *Deal, now time.Time) {
	switch d.Status {
	case DealWon:
		d.WonTime, d.LostTime, d.LostReason = &now, nil, ""
	case DealLost:
		d.WonTime, d.LostTime = nil, &now
	default:
		d.WonTime, d.LostTime, d.LostReason = nil, nil, ""
	}
}

// CreateDeal adds a deal.
func (m *Manager) CreateDeal(ctx context.Context, in DealInput) (Deal, error) {
	d := Deal{Title: in.Title, Currency: in.Currency, Status: in.Status, PersonID: in.PersonID, OrgID: in.OrgID,
		OwnerID: in.OwnerID, ExpectedCloseDate: in.ExpectedCloseDate, ConversationID: in.ConversationID,
		LostReason: in.LostReason}
	if in.Value != nil {
		d.Value = *in.Value
	}
	if d.Status == "" {
		d.Status = DealOpen
	}
	var id int64
	err := m.InTx(ctx, func(m *Manager) error {
		if err := m.validateDeal(ctx, &d); err != nil {
			return err
		}
		st, err := m.dealStage(ctx, in.StageID, in.PipelineID)
		if err != nil {
			return err
		}
		d.StageID, d.PipelineID = st.ID, st.PipelineID
		now := m.nowUTC()
		setStatusTimes(&d, now)
		id, err = insertID[int64](ctx, m, "insert-deal", "deal", d.Title, d.Value, d.Currency, d.Status,
			d.PipelineID, d.StageID, d.PersonID, d.OrgID, d.OwnerID, d.ExpectedCloseDate, d.ConversationID,
			d.WonTime, d.LostTime, d.LostReason, now, now)
		if err != nil {
			return err
		}
		if d, err = m.GetDeal(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "deal", ActionCreate, id, d, nil)
	})
	if err != nil {
		return Deal{}, err
	}
	return d, nil
}

// GetDeal returns one deal.
func (m *Manager) GetDeal(ctx context.Context, id int64) (Deal, error) {
	return getOne[Deal](ctx, m, "get-deal", "deal", id)
}

// ListDeals pages through deals. Sort fields: id, title, value, status,
// stage_id, expected_close_date, add_time, update_time.
func (m *Manager) ListDeals(ctx context.Context, f DealFilter, lp ListParams) ([]Deal, Page, error) {
	q := listQuery{base: m.sql.Get("select-deals"), sorts: dealSorts, defaultSort: "id"}
	switch f.Status {
	case "", "all", "all_not_deleted":
	case DealOpen, DealWon, DealLost:
		q.filter("status = ?", f.Status)
	default:
		return nil, Page{}, Invalid("status", "must be open, won, lost or all")
	}
	for _, c := range []struct {
		col string
		v   *int64
	}{{"stage_id", f.StageID}, {"pipeline_id", f.PipelineID}, {"person_id", f.PersonID},
		{"org_id", f.OrgID}, {"owner_id", f.OwnerID}} {
		if c.v != nil {
			q.filter(c.col+" = ?", *c.v)
		}
	}
	return runList(ctx, m, q, lp, dealKey, func(d *Deal) any { return d.ID })
}

// UpdateDeal applies a patch.
func (m *Manager) UpdateDeal(ctx context.Context, id int64, p DealPatch) (Deal, error) {
	var after Deal
	err := m.InTx(ctx, func(m *Manager) error {
		d, err := m.GetDeal(ctx, id)
		if err != nil {
			return err
		}
		before := d
		oldStatus := d.Status
		if p.Title != nil {
			d.Title = *p.Title
		}
		if p.Value != nil {
			d.Value = *p.Value
		}
		if p.Currency != nil {
			d.Currency = *p.Currency
		}
		if p.Status != nil {
			d.Status = *p.Status
		}
		p.PersonID.apply(&d.PersonID)
		p.OrgID.apply(&d.OrgID)
		p.OwnerID.apply(&d.OwnerID)
		p.ExpectedCloseDate.apply(&d.ExpectedCloseDate)
		p.ConversationID.apply(&d.ConversationID)
		if p.LostReason != nil {
			d.LostReason = *p.LostReason
		}
		if err := m.validateDeal(ctx, &d); err != nil {
			return err
		}
		switch {
		case p.StageID != nil:
			st, err := m.dealStage(ctx, p.StageID, nil)
			if err != nil {
				return err
			}
			d.StageID, d.PipelineID = st.ID, st.PipelineID
		case p.PipelineID != nil && *p.PipelineID != d.PipelineID:
			st, err := m.dealStage(ctx, nil, p.PipelineID)
			if err != nil {
				return err
			}
			d.StageID, d.PipelineID = st.ID, st.PipelineID
		}
		now := m.nowUTC()
		if d.Status != oldStatus {
			setStatusTimes(&d, now)
		}
		if err := m.exec(ctx, "update-deal", "update deal", d.Title, d.Value, d.Currency, d.Status,
			d.PipelineID, d.StageID, d.PersonID, d.OrgID, d.OwnerID, d.ExpectedCloseDate, d.ConversationID,
			d.WonTime, d.LostTime, d.LostReason, now, id); err != nil {
			return err
		}
		if after, err = m.GetDeal(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "deal", ActionChange, id, after, before)
	})
	if err != nil {
		return Deal{}, err
	}
	return after, nil
}

// DeleteDeal removes a deal with its notes and activities.
func (m *Manager) DeleteDeal(ctx context.Context, id int64) error {
	return m.InTx(ctx, func(m *Manager) error {
		d, err := m.GetDeal(ctx, id)
		if err != nil {
			return err
		}
		if err := m.deleteOne(ctx, "delete-deal", "deal", id); err != nil {
			return err
		}
		return m.changed(ctx, "deal", ActionDelete, id, d, nil)
	})
}
