package crm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
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

// leadRow is a lead as stored: the value in two nullable columns.
type leadRow struct {
	Lead
	ValueAmount   *float64 `db:"value_amount"`
	ValueCurrency *string  `db:"value_currency"`
}

func (r *leadRow) lead() Lead {
	l := r.Lead
	if r.ValueAmount != nil {
		l.Value = &Money{Amount: *r.ValueAmount}
		if r.ValueCurrency != nil {
			l.Value.Currency = *r.ValueCurrency
		}
	}
	return l
}

var leadSorts = map[string]sortColumn{
	"id":                  {"id", sortText},
	"title":               {"title", sortText},
	"value":               {"COALESCE(value_amount, 0)", sortFloat},
	"expected_close_date": {"COALESCE(expected_close_date, '')", sortText},
	"add_time":            {"add_time", sortTime},
	"update_time":         {"update_time", sortTime},
}

func leadKey(r *leadRow, field string) any {
	switch field {
	case "id":
		return r.ID
	case "title":
		return r.Title
	case "value":
		if r.ValueAmount == nil {
			return 0.0
		}
		return *r.ValueAmount
	case "expected_close_date":
		if r.ExpectedCloseDate == nil {
			return ""
		}
		return *r.ExpectedCloseDate
	case "update_time":
		return r.UpdateTime
	}
	return r.AddTime
}

func validSource(s string) bool {
	switch s {
	case SourceChatbot, SourceLiveChat, SourceAPI, SourceManual:
		return true
	}
	return false
}

// validateLead checks and normalizes a lead about to be written. The rule
// that a lead has a person or an organization is checked when they are set:
// a lead whose person was deleted can still be archived or retitled.
func (m *Manager) validateLead(ctx context.Context, l *Lead, checkParent bool) error {
	var p Problems
	requireName(&p, "title", &l.Title)
	if checkParent && l.PersonID == nil && l.OrganizationID == nil {
		p.Add("person_id", "person_id or organization_id is required")
	}
	if l.Value != nil {
		if l.Value.Currency == "" {
			l.Value.Currency = DefaultCurrency
		}
		normalizeCurrency(&p, "value.currency", &l.Value.Currency)
		if l.Value.Amount < 0 {
			p.Add("value.amount", "must not be negative")
		}
	}
	l.ExpectedCloseDate = emptyToNil(l.ExpectedCloseDate)
	checkDate(&p, "expected_close_date", l.ExpectedCloseDate)
	if !validSource(l.SourceName) {
		p.Add("source_name", fmt.Sprintf("must be one of %s, %s, %s, %s", SourceChatbot, SourceLiveChat, SourceAPI, SourceManual))
	}
	l.ConversationID = emptyToNil(l.ConversationID)
	refs := []ref{refTo("person_id", refPerson, l.PersonID), refTo("organization_id", refOrg, l.OrganizationID),
		refTo("owner_id", refUser, l.OwnerID)}
	// Problems name positions in the input, so check before removing duplicates.
	for i, id := range l.LabelIDs {
		refs = append(refs, refTo(fmt.Sprintf("label_ids[%d]", i), refLabel, &id))
	}
	l.LabelIDs = slices.Compact(slices.Sorted(slices.Values(l.LabelIDs)))
	if err := m.checkRefs(ctx, &p, refs...); err != nil {
		return err
	}
	return p.Err()
}

func leadValueColumns(l *Lead) (amount *float64, currency *string) {
	if l.Value == nil {
		return nil, nil
	}
	return &l.Value.Amount, &l.Value.Currency
}

// CreateLead adds a lead.
func (m *Manager) CreateLead(ctx context.Context, in LeadInput) (Lead, error) {
	l := Lead{ID: newUUID(), Title: in.Title, PersonID: in.PersonID, OrganizationID: in.OrganizationID,
		OwnerID: in.OwnerID, ExpectedCloseDate: in.ExpectedCloseDate, LabelIDs: in.LabelIDs,
		Qualified: in.Qualified == nil || *in.Qualified, SourceName: in.SourceName,
		ConversationID: in.ConversationID, WasSeen: in.WasSeen}
	if in.Value != nil {
		v := *in.Value
		l.Value = &v
	}
	if l.SourceName == "" {
		l.SourceName = SourceAPI
	}
	err := m.InTx(ctx, func(m *Manager) error {
		if err := m.validateLead(ctx, &l, true); err != nil {
			return err
		}
		now := m.nowUTC()
		amount, currency := leadValueColumns(&l)
		if err := m.exec(ctx, "insert-lead", "insert lead", l.ID, l.Title, l.PersonID, l.OrganizationID,
			l.OwnerID, amount, currency, l.ExpectedCloseDate, l.Qualified, l.SourceName, l.ConversationID,
			false, l.WasSeen, now, now); err != nil {
			return err
		}
		if err := m.setLeadLabels(ctx, l.ID, l.LabelIDs); err != nil {
			return err
		}
		var err error
		if l, err = m.GetLead(ctx, l.ID); err != nil {
			return err
		}
		return m.changed(ctx, "lead", ActionCreate, l.ID, l, nil)
	})
	if err != nil {
		return Lead{}, err
	}
	return l, nil
}

func (m *Manager) setLeadLabels(ctx context.Context, leadID string, labelIDs []string) error {
	if err := m.exec(ctx, "delete-lead-label-links", "clear lead labels", leadID); err != nil {
		return err
	}
	for _, id := range labelIDs {
		if err := m.exec(ctx, "insert-lead-label-link", "label lead", leadID, id); err != nil {
			return err
		}
	}
	return nil
}

// GetLead returns one lead with its labels.
func (m *Manager) GetLead(ctx context.Context, id string) (Lead, error) {
	r, err := getOne[leadRow](ctx, m, "get-lead", "lead", id)
	if err != nil {
		return Lead{}, err
	}
	ls, err := m.leadsWithLabels(ctx, []leadRow{r})
	if err != nil {
		return Lead{}, err
	}
	return ls[0], nil
}

// leadsWithLabels turns rows into leads with their label ids, in one query.
func (m *Manager) leadsWithLabels(ctx context.Context, rows []leadRow) ([]Lead, error) {
	ls := make([]Lead, len(rows))
	if len(rows) == 0 {
		return ls, nil
	}
	ids := make([]string, len(rows))
	at := make(map[string]*Lead, len(rows))
	for i := range rows {
		ls[i] = rows[i].lead()
		ls[i].LabelIDs = []string{}
		ids[i] = ls[i].ID
		at[ids[i]] = &ls[i]
	}
	// The IN list is expanded here, so this part of the statement is
	// completed in Go (named queries are already rebound).
	tail, args, err := sqlx.In(`WHERE lead_id IN (?) ORDER BY lead_id, label_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("lead labels: %w", err)
	}
	var links []struct {
		LeadID  string `db:"lead_id"`
		LabelID string `db:"label_id"`
	}
	q := m.sql.Get("select-lead-label-links") + " " + m.db.Rebind(tail)
	if err := m.q.SelectContext(ctx, &links, q, args...); err != nil {
		return nil, fmt.Errorf("lead labels: %w", err)
	}
	for _, k := range links {
		at[k.LeadID].LabelIDs = append(at[k.LeadID].LabelIDs, k.LabelID)
	}
	return ls, nil
}

// ListLeads pages through leads. Sort fields: add_time (default), update_time,
// title, value, expected_close_date, id.
func (m *Manager) ListLeads(ctx context.Context, f LeadFilter, lp ListParams) ([]Lead, Page, error) {
	q := listQuery{base: m.sql.Get("select-leads"), sorts: leadSorts, defaultSort: "add_time", textID: true}
	switch f.ArchivedStatus {
	case "", ArchivedAll:
	case ArchivedOnly:
		q.filter("is_archived = ?", true)
	case NotArchived:
		q.filter("is_archived = ?", false)
	default:
		return nil, Page{}, Invalid("archived_status", "must be archived, not_archived or all")
	}
	if f.OwnerID != nil {
		q.filter("owner_id = ?", *f.OwnerID)
	}
	if f.PersonID != nil {
		q.filter("person_id = ?", *f.PersonID)
	}
	if f.OrganizationID != nil {
		q.filter("organization_id = ?", *f.OrganizationID)
	}
	rows, page, err := runList(ctx, m, q, lp, leadKey, func(r *leadRow) any { return r.ID })
	if err != nil {
		return nil, Page{}, err
	}
	ls, err := m.leadsWithLabels(ctx, rows)
	return ls, page, err
}

// UpdateLead applies a patch.
func (m *Manager) UpdateLead(ctx context.Context, id string, p LeadPatch) (Lead, error) {
	var after Lead
	err := m.InTx(ctx, func(m *Manager) error {
		l, err := m.GetLead(ctx, id)
		if err != nil {
			return err
		}
		before := l
		if p.Title != nil {
			l.Title = *p.Title
		}
		p.PersonID.apply(&l.PersonID)
		p.OrganizationID.apply(&l.OrganizationID)
		p.OwnerID.apply(&l.OwnerID)
		p.Value.apply(&l.Value)
		p.ExpectedCloseDate.apply(&l.ExpectedCloseDate)
		p.ConversationID.apply(&l.ConversationID)
		if p.LabelIDs != nil {
			l.LabelIDs = *p.LabelIDs
		}
		if p.Qualified != nil {
			l.Qualified = *p.Qualified
		}
		if p.SourceName != nil {
			l.SourceName = *p.SourceName
		}
		if p.IsArchived != nil {
			l.IsArchived = *p.IsArchived
		}
		if p.WasSeen != nil {
			l.WasSeen = *p.WasSeen
		}
		if err := m.validateLead(ctx, &l, p.PersonID.Set || p.OrganizationID.Set); err != nil {
			return err
		}
		amount, currency := leadValueColumns(&l)
		if err := m.exec(ctx, "update-lead", "update lead", l.Title, l.PersonID, l.OrganizationID, l.OwnerID,
			amount, currency, l.ExpectedCloseDate, l.Qualified, l.SourceName, l.ConversationID,
			l.IsArchived, l.WasSeen, m.nowUTC(), id); err != nil {
			return err
		}
		if p.LabelIDs != nil {
			if err := m.setLeadLabels(ctx, id, l.LabelIDs); err != nil {
				return err
			}
		}
		if after, err = m.GetLead(ctx, id); err != nil {
			return err
		}
		return m.changed(ctx, "lead", ActionChange, id, after, before)
	})
	if err != nil {
		return Lead{}, err
	}
	return after, nil
}

// DeleteLead removes a lead with its notes and activities.
func (m *Manager) DeleteLead(ctx context.Context, id string) error {
	return m.InTx(ctx, func(m *Manager) error {
		l, err := m.GetLead(ctx, id)
		if err != nil {
			return err
		}
		if err := m.deleteOne(ctx, "delete-lead", "lead", id); err != nil {
			return err
		}
		return m.changed(ctx, "lead", ActionDelete, id, l, nil)
	})
}

// ConvertLead turns a lead into a deal in the default pipeline's first
// stage, moves the lead's notes and activities to the deal and archives the
// lead. A lead converts once; again is a conflict.
func (m *Manager) ConvertLead(ctx context.Context, id string) (Deal, error) {
	var dealID int64
	err := m.InTx(ctx, func(m *Manager) error {
		l, err := m.GetLead(ctx, id)
		if err != nil {
			return err
		}
		if l.DealID != nil {
			return conflict("lead %s was already converted to deal %d", id, *l.DealID)
		}
		in := DealInput{Title: l.Title, PersonID: l.PersonID, OrgID: l.OrganizationID, OwnerID: l.OwnerID,
			ExpectedCloseDate: l.ExpectedCloseDate, ConversationID: l.ConversationID}
		if l.Value != nil {
			in.Value, in.Currency = &l.Value.Amount, l.Value.Currency
		}
		d, err := m.CreateDeal(ctx, in)
		if err != nil {
			return err
		}
		dealID = d.ID
		now := m.nowUTC()
		res, err := m.q.ExecContext(ctx, m.sql.Get("mark-lead-converted"), d.ID, true, now, id)
		if err != nil {
			return fmt.Errorf("archive converted lead: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("lead %s was already converted", id)
		}
		if err := m.exec(ctx, "move-lead-notes", "move lead notes", d.ID, now, id); err != nil {
			return err
		}
		return m.exec(ctx, "move-lead-activities", "move lead activities", d.ID, now, id)
	})
	if err != nil {
		return Deal{}, err
	}
	return m.GetDeal(ctx, dealID)
}
