package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
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
// conversation and card: it creates or reuses the person (matched by e-mail,
// else phone; missing details are filled in) and the organization (matched
// by name), links them, creates the lead or deal, the note and the activity.
// A second call for the same conversation and card, even concurrent, creates
// nothing and returns the first result with Existing set.
func (m *Manager) Capture(ctx context.Context, in CaptureInput) (CaptureResult, error) {
	if err := in.normalize(); err != nil {
		return CaptureResult{}, err
	}
	var res CaptureResult
	err := m.InTx(ctx, func(m *Manager) error {
		claim, err := m.q.ExecContext(ctx, m.sql.Get("claim-capture"), in.ConversationID, in.Card, m.nowUTC())
		if err != nil {
			return fmt.Errorf("claim capture: %w", err)
		}
		if n, err := claim.RowsAffected(); err != nil {
			return fmt.Errorf("claim capture: %w", err)
		} else if n == 0 {
			res, err = m.previousCapture(ctx, in)
			return err
		}
		if res, err = m.capture(ctx, in); err != nil {
			return err
		}
		return m.exec(ctx, "record-capture", "record capture", res.PersonID, res.OrgID, res.LeadID, res.DealID,
			res.NoteID, res.ActivityID, in.ConversationID, in.Card)
	})
	if err != nil {
		return CaptureResult{}, err
	}
	return res, m.fillCaptured(ctx, &res)
}

func (in *CaptureInput) normalize() error {
	var p Problems
	in.ConversationID, in.Card = strings.TrimSpace(in.ConversationID), strings.TrimSpace(in.Card)
	if in.ConversationID == "" {
		p.Add("conversation_id", "is required")
	}
	if in.Card == "" {
		p.Add("card", "is required")
	}
	switch in.Create {
	case "":
		in.Create = "lead"
	case "lead", "deal":
	default:
		p.Add("create", "must be lead or deal")
	}
	if in.SourceName == "" {
		in.SourceName = SourceChatbot
	}
	in.Person.Name = strings.TrimSpace(in.Person.Name)
	in.Person.Email = strings.TrimSpace(in.Person.Email)
	in.Person.Phone = strings.TrimSpace(in.Person.Phone)
	in.Organization.Name = strings.TrimSpace(in.Organization.Name)
	in.Organization.Address = strings.TrimSpace(in.Organization.Address)
	if in.Value == nil {
		in.Value = in.DealValue
	}
	if strings.TrimSpace(in.Title) == "" {
		name := in.Person.Name
		if name == "" {
			name = visitorName
		}
		in.Title = name + " " + in.Create
	}
	return p.Err()
}

// visitorName names a person who left no name.
const visitorName = "Visitor"

// previousCapture reads what the first capture of this card created.
func (m *Manager) previousCapture(ctx context.Context, in CaptureInput) (CaptureResult, error) {
	var row struct {
		PersonID   *int64  `db:"person_id"`
		OrgID      *int64  `db:"org_id"`
		LeadID     *string `db:"lead_id"`
		DealID     *int64  `db:"deal_id"`
		NoteID     *int64  `db:"note_id"`
		ActivityID *int64  `db:"activity_id"`
	}
	if err := m.q.GetContext(ctx, &row, m.sql.Get("get-capture"), in.ConversationID, in.Card); err != nil {
		return CaptureResult{}, fmt.Errorf("read capture %s/%s: %w", in.ConversationID, in.Card, err)
	}
	return CaptureResult{Existing: true, PersonID: row.PersonID, OrgID: row.OrgID, LeadID: row.LeadID,
		DealID: row.DealID, NoteID: row.NoteID, ActivityID: row.ActivityID}, nil
}

// fillCaptured loads the lead or deal for the caller; one deleted since a
// previous capture is simply left out.
func (m *Manager) fillCaptured(ctx context.Context, res *CaptureResult) error {
	if res.LeadID != nil {
		l, err := m.GetLead(ctx, *res.LeadID)
		if err == nil {
			res.Lead = &l
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if res.DealID != nil {
		d, err := m.GetDeal(ctx, *res.DealID)
		if err == nil {
			res.Deal = &d
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// capture does the writes, inside Capture's transaction.
func (m *Manager) capture(ctx context.Context, in CaptureInput) (CaptureResult, error) {
	var res CaptureResult
	org, orgReused, err := m.captureOrganization(ctx, in.Organization, in.OwnerID)
	if err != nil {
		return res, err
	}
	if org != nil {
		res.OrgID, res.OrgReused = &org.ID, orgReused
	}
	person, personReused, err := m.capturePerson(ctx, in.Person, res.OrgID, in.OwnerID, org == nil)
	if err != nil {
		return res, err
	}
	if person != nil {
		res.PersonID, res.PersonReused = &person.ID, personReused
	}
	conv := &in.ConversationID
	var note NoteInput
	activity := ActivityInput{OwnerID: in.OwnerID, PersonID: res.PersonID, OrgID: res.OrgID}
	if in.Create == "deal" {
		st, err := m.captureStage(ctx, in.Pipeline, in.Stage)
		if err != nil {
			return res, err
		}
		d, err := m.CreateDeal(ctx, DealInput{Title: in.Title, Value: in.Value, Currency: in.Currency,
			StageID: &st.ID, PersonID: res.PersonID, OrgID: res.OrgID, OwnerID: in.OwnerID,
			ExpectedCloseDate: emptyToNil(&in.ExpectedCloseDate), ConversationID: conv})
		if err != nil {
			return res, err
		}
		res.DealID = &d.ID
		note.DealID, activity.DealID = &d.ID, &d.ID
	} else {
		labels, err := m.captureLabels(ctx, in.Labels, in.Qualified)
		if err != nil {
			return res, err
		}
		li := LeadInput{Title: in.Title, PersonID: res.PersonID, OrganizationID: res.OrgID, OwnerID: in.OwnerID,
			ExpectedCloseDate: emptyToNil(&in.ExpectedCloseDate), LabelIDs: labels, Qualified: &in.Qualified,
			SourceName: in.SourceName, ConversationID: conv}
		if in.Value != nil {
			li.Value = &Money{Amount: *in.Value, Currency: in.Currency}
		}
		l, err := m.CreateLead(ctx, li)
		if err != nil {
			return res, err
		}
		res.LeadID = &l.ID
		note.LeadID, activity.LeadID = &l.ID, &l.ID
	}
	if strings.TrimSpace(in.Note) != "" {
		note.Content = in.Note
		n, err := m.CreateNote(ctx, note)
		if err != nil {
			return res, err
		}
		res.NoteID = &n.ID
	}
	if a := in.Activity; a != nil {
		activity.Type, activity.Subject = a.Type, a.Subject
		if !a.DueDate.IsZero() {
			due := a.DueDate.UTC()
			activity.DueDate = pointer(due.Format(time.DateOnly))
			if due.Hour() != 0 || due.Minute() != 0 {
				activity.DueTime = pointer(due.Format("15:04"))
			}
		}
		act, err := m.CreateActivity(ctx, activity)
		if err != nil {
			return res, err
		}
		res.ActivityID = &act.ID
	}
	return res, nil
}

func pointer[T any](v T) *T { return &v }

// captureOrganization reuses the organization of that name (filling in a
// missing address) or creates it; no name, no organization.
func (m *Manager) captureOrganization(ctx context.Context, in CaptureOrganization, owner *int64) (*Organization, bool, error) {
	if in.Name == "" {
		return nil, false, nil
	}
	org, err := m.FindOrganizationByName(ctx, in.Name)
	switch {
	case err == nil:
		if org.Address == "" && in.Address != "" {
			if org, err = m.UpdateOrganization(ctx, org.ID, OrganizationPatch{Address: &in.Address}); err != nil {
				return nil, false, err
			}
		}
		return &org, true, nil
	case !errors.Is(err, ErrNotFound):
		return nil, false, err
	}
	org, err = m.CreateOrganization(ctx, OrganizationInput{Name: in.Name, Address: in.Address, OwnerID: owner})
	if err != nil {
		return nil, false, prefixFields("organization.", err)
	}
	return &org, false, nil
}

// capturePerson reuses the person with that e-mail, else that phone,
// filling in what they lack (a real name, an e-mail, a phone, the
// organization), or creates one. A visitor who gave nothing becomes a
// "Visitor" person only when there is no organization to hold the lead.
func (m *Manager) capturePerson(ctx context.Context, in CapturePerson, orgID, owner *int64, needed bool) (*Person, bool, error) {
	if in.Name == "" && in.Email == "" && in.Phone == "" && !needed {
		return nil, false, nil
	}
	var found Person
	err := error(notFound("person", "(no contact)"))
	if in.Email != "" {
		found, err = m.FindPersonByEmail(ctx, in.Email)
	}
	if errors.Is(err, ErrNotFound) && in.Phone != "" {
		found, err = m.FindPersonByPhone(ctx, in.Phone)
	}
	if err == nil {
		var patch PersonPatch
		changed := false
		if in.Name != "" && (found.Name == visitorName || found.Name == "") {
			patch.Name, changed = &in.Name, true
		}
		if in.Email != "" && len(found.Email) == 0 {
			patch.Email, changed = &Contacts{{Value: in.Email}}, true
		}
		if in.Phone != "" && len(found.Phone) == 0 {
			patch.Phone, changed = &Contacts{{Value: in.Phone}}, true
		}
		if orgID != nil && found.OrgID == nil {
			patch.OrgID, changed = Set(*orgID), true
		}
		if changed {
			if found, err = m.UpdatePerson(ctx, found.ID, patch); err != nil {
				return nil, false, prefixFields("person.", err)
			}
		}
		return &found, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	pi := PersonInput{Name: in.Name, OrgID: orgID, OwnerID: owner}
	if pi.Name == "" {
		pi.Name = visitorName
	}
	if in.Email != "" {
		pi.Email = Contacts{{Value: in.Email}}
	}
	if in.Phone != "" {
		pi.Phone = Contacts{{Value: in.Phone}}
	}
	p, err := m.CreatePerson(ctx, pi)
	if err != nil {
		return nil, false, prefixFields("person.", err)
	}
	return &p, false, nil
}

// captureStage finds the deal's stage by names: the pipeline (default the
// first) and its stage (default its first).
func (m *Manager) captureStage(ctx context.Context, pipeline, stage string) (Stage, error) {
	var pl Pipeline
	var err error
	if pipeline = strings.TrimSpace(pipeline); pipeline != "" {
		pl, err = getOne[Pipeline](ctx, m, "find-pipeline-by-name", "pipeline", pipeline)
		if errors.Is(err, ErrNotFound) {
			return Stage{}, Invalid("pipeline", fmt.Sprintf("no pipeline named %q", pipeline))
		}
	} else if pl, err = m.firstPipeline(ctx); errors.Is(err, ErrNotFound) {
		pl, err = m.EnsureDefaultPipeline(ctx)
	}
	if err != nil {
		return Stage{}, err
	}
	if stage = strings.TrimSpace(stage); stage == "" {
		return m.firstStage(ctx, pl)
	}
	var st Stage
	if err := m.q.GetContext(ctx, &st, m.sql.Get("find-stage-by-name"), pl.ID, stage); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Stage{}, Invalid("stage", fmt.Sprintf("no stage named %q in pipeline %q", stage, pl.Name))
		}
		return Stage{}, fmt.Errorf("find stage: %w", err)
	}
	return st, nil
}

// captureLabels turns label names into ids, creating missing labels, and
// adds the unqualified label to unqualified leads.
func (m *Manager) captureLabels(ctx context.Context, names []string, qualified bool) ([]string, error) {
	if !qualified {
		names = append(slices.Clone(names), UnqualifiedLabel)
	}
	var ids []string
	for i, name := range names {
		if strings.TrimSpace(name) == "" {
			continue
		}
		l, err := m.labelByName(ctx, name)
		if err != nil {
			return nil, prefixFields(fmt.Sprintf("labels[%d].", i), err)
		}
		ids = append(ids, l.ID)
	}
	return ids, nil
}

// prefixFields renames the fields of an InvalidError (person.email[0].value)
// so the caller knows which part of the capture was at fault.
func prefixFields(prefix string, err error) error {
	var inv *InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	out := &InvalidError{Fields: make([]FieldError, len(inv.Fields))}
	for i, f := range inv.Fields {
		out.Fields[i] = FieldError{Field: prefix + f.Field, Message: f.Message}
	}
	return out
}
