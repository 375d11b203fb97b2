package livechat

import (
	"context"
	"fmt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/playbook"
)

// crmCapture creates (or, on a retry, finds) what a capture card asked for.
// It is the one place that knows crm.Capture's input and result.
func (s *Service) crmCapture(ctx context.Context, c Conversation, eff playbook.Capture, note string) (captureResult, error) {
	var group *int64
	if eff.Group != "" {
		gs, err := s.crm.ListGroups(ctx)
		if err != nil {
			return captureResult{}, err
		}
		for _, g := range gs {
			if g.Name == eff.Group {
				group = &g.ID
			}
		}
	}
	owner, err := s.crm.ResolveOwner(ctx, eff.Owner, group, c.AssigneeID)
	if err != nil {
		return captureResult{}, fmt.Errorf("resolve owner: %w", err)
	}
	source := "Chatbot"
	if c.AgentJoined {
		source = "Live chat"
	}
	in := crm.CaptureInput{
		ConversationID: c.ID, Card: eff.Card, Create: eff.Create, Title: eff.Title, Value: eff.Value,
		Currency: eff.Currency, OwnerID: owner, Pipeline: eff.Pipeline, Stage: eff.Stage, Labels: eff.Labels,
		Qualified: eff.Qualified, Note: note,
		Person:       crm.CapturePerson{Name: eff.Person.Name, Email: eff.Person.Email, Phone: eff.Person.Phone},
		Organization: crm.CaptureOrganization{Name: eff.Organization.Name, Address: eff.Organization.Address},
		DealValue:    eff.Deal.Value, ExpectedCloseDate: eff.Deal.ExpectedCloseDate, SourceName: source,
	}
	if a := eff.Activity; a != nil {
		in.Activity = &crm.CaptureActivity{Type: a.Type, Subject: a.Subject, DueDate: s.nowUTC().Add(a.Due)}
	}
	r, err := s.crm.Capture(ctx, in)
	if err != nil {
		return captureResult{}, err
	}
	return captureResult{LeadID: r.LeadID, DealID: r.DealID, PersonID: r.PersonID, OrgID: r.OrgID}, nil
}
