package livechat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parley/parley/crm"
)

// KindMessageEdited is an agent correcting its last message: data {seq,
// text, agent, edits}. The original event stays as stored (events are never
// rewritten, so a replay shows what was sent and then the correction);
// clients show the latest text at the original seq. edits repeats seq for
// the visitor socket, whose frames put the event's own seq at top level
// (Event.VisitorFrame) and so hide data.seq.
const KindMessageEdited = "message_edited"

// CanSee tells whether a user may read a conversation (livechat.md,
// Visibility): admins see all; agents see what nobody holds (the queue, and
// bot chats opened from the visitor list), their own, and closed ones.
func CanSee(c Conversation, userID int64, admin bool) bool {
	return admin || c.AssigneeID == nil || *c.AssigneeID == userID || c.State == StateClosed
}

// VisibleTo applies CanSee to a frame with the metadata it was published
// with, so the agent socket filters without a database call. Frames about
// no conversation (agent status) go to everyone.
func (f Frame) VisibleTo(userID int64, admin bool) bool {
	if admin || f.ConversationID == "" {
		return true
	}
	return f.AssigneeID == 0 || f.AssigneeID == userID || f.State == StateClosed
}

// Reassign moves an active conversation from the agent expected to hold it
// to another agent. The conditional update on the expected holder decides
// between racing reassigns: the loser gets ErrConflict. The visitor sees the
// first agent leave and the second join.
func (s *Service) Reassign(ctx context.Context, conversationID string, from, to, byUserID int64) (Conversation, error) {
	if from == to {
		return s.GetConversation(ctx, conversationID)
	}
	a, err := s.agent(ctx, to)
	if err != nil {
		return Conversation{}, err
	}
	old, err := s.agent(ctx, from)
	if err != nil {
		return Conversation{}, err
	}
	c, _, err := s.update(ctx, conversationID, func(ch *change) error {
		res, err := ch.tx.ExecContext(ctx, s.sql.Get("reassign-conversation"), to, conversationID, from)
		if err != nil {
			return fmt.Errorf("reassign: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return s.holderConflict(ctx, ch)
		}
		ch.c.AssigneeID = &to
		ch.agent = append(ch.agent, "conversation.assigned")
		if _, err := ch.emit(newEvent{kind: KindAgentLeft, data: map[string]any{"agent": old, "by": byUserID}, author: agentAuthor(byUserID), visible: true}); err != nil {
			return err
		}
		_, err = ch.emit(newEvent{kind: KindAgentJoined, data: map[string]any{"agent": a, "by": byUserID}, author: agentAuthor(to), visible: true})
		return err
	})
	return c, err
}

// Unassign gives an active conversation back to the queue: it becomes an
// unassigned offline chat any agent can claim with Assign. Only the
// expected holder's chat moves (conditional update), so an unassign racing
// a reassign or a close has one winner.
func (s *Service) Unassign(ctx context.Context, conversationID string, from, byUserID int64) (Conversation, error) {
	return s.unassign(ctx, conversationID, from, byUserID, nil)
}

// unassign with a cutoff only moves a chat whose visitor still waits for an
// answer since before the cutoff, checked under the row lock (the
// auto-return: an agent's answer committed first wins).
func (s *Service) unassign(ctx context.Context, conversationID string, from, byUserID int64, cutoff *time.Time) (Conversation, error) {
	author := agentAuthor(byUserID)
	if byUserID == 0 {
		author = AuthorSystem
	}
	old, err := s.agent(ctx, from)
	if err != nil {
		return Conversation{}, err
	}
	c, _, err := s.update(ctx, conversationID, func(ch *change) error {
		if cutoff != nil {
			var n int
			if err := ch.tx.GetContext(ctx, &n, s.sql.Get("conversation-unanswered"), conversationID, *cutoff); err != nil {
				return fmt.Errorf("unanswered: %w", err)
			}
			if n == 0 {
				return conflict("conversation %s was answered", conversationID)
			}
		}
		res, err := ch.tx.ExecContext(ctx, s.sql.Get("unassign-conversation"), conversationID, from)
		if err != nil {
			return fmt.Errorf("unassign: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return s.holderConflict(ctx, ch)
		}
		ch.c.State, ch.c.AssigneeID = StateOffline, nil
		_, err = ch.emit(newEvent{kind: KindAgentLeft, data: map[string]any{"agent": old, "by": byUserID}, author: author, visible: true})
		return err
	})
	return c, err
}

// holderConflict explains why a conditional update on the holder matched
// nothing.
func (s *Service) holderConflict(ctx context.Context, ch *change) error {
	switch {
	case ch.c.State == StateClosed:
		return conflict("conversation %s is closed", ch.c.ID)
	case ch.c.AssigneeID == nil:
		return conflict("conversation %s is not assigned", ch.c.ID)
	}
	name := fmt.Sprint(*ch.c.AssigneeID)
	if holder, err := s.crm.On(ch.tx).GetUser(ctx, *ch.c.AssigneeID); err == nil {
		name = holder.Name
	}
	return conflict("conversation already assigned to %s", name)
}

// EditAgentMessage corrects the agent's last message in a conversation it
// holds: seq must be that message. It stores a message_edited event (the
// visitor sees the correction too).
func (s *Service) EditAgentMessage(ctx context.Context, conversationID string, agentID, seq int64, text string) (Event, error) {
	text, err := checkText(text)
	if err != nil {
		return Event{}, crm.Invalid("text", err.(*RefusedError).Message)
	}
	a, err := s.agent(ctx, agentID)
	if err != nil {
		return Event{}, err
	}
	var out Event
	_, evs, err := s.update(ctx, conversationID, func(ch *change) error {
		if ch.c.State == StateClosed {
			return conflict("conversation %s is closed", conversationID)
		}
		if ch.c.AssigneeID == nil || *ch.c.AssigneeID != agentID {
			return fmt.Errorf("conversation %s is not assigned to you: %w", conversationID, ErrForbidden)
		}
		var last []Event
		if err := ch.tx.SelectContext(ctx, &last, s.sql.Get("last-agent-message"), conversationID, agentAuthor(agentID)); err != nil {
			return fmt.Errorf("last agent message: %w", err)
		}
		if len(last) == 0 || last[0].Seq != seq {
			return crm.Invalid("seq", "only your last message in this conversation can be edited")
		}
		_, err = ch.emit(newEvent{kind: KindMessageEdited, data: map[string]any{"seq": seq, "edits": seq, "text": text, "agent": a}, author: agentAuthor(agentID), visible: true})
		return err
	})
	if err == nil {
		out = evs[len(evs)-1] // as stored, with its id
	}
	return out, err
}

// LastPreview returns the conversation's latest message-like event, for the
// folder list's one-line preview; ErrNotFound when there is none yet.
func (s *Service) LastPreview(ctx context.Context, conversationID string) (Event, error) {
	var evs []Event
	if err := s.db.SelectContext(ctx, &evs, s.sql.Get("last-preview-event"), conversationID); err != nil {
		return Event{}, fmt.Errorf("preview: %w", err)
	}
	if len(evs) == 0 {
		return Event{}, notFound("message in conversation", conversationID)
	}
	fixEvents(evs)
	return evs[0], nil
}

// PanelInput is what an agent typed in the live chat page's side panel.
type PanelInput struct {
	Title             string   `json:"title"`
	PersonName        string   `json:"person_name"`
	Email             string   `json:"email"`
	Phone             string   `json:"phone"`
	OrgName           string   `json:"org_name"`
	OrgAddress        string   `json:"org_address"`
	Value             *float64 `json:"value"`
	Currency          string   `json:"currency"`
	ExpectedCloseDate string   `json:"expected_close_date"`
	Note              string   `json:"note"`
}

// PanelResult is what the side panel created (or had created before).
type PanelResult struct {
	Existing bool      `json:"existing"`
	PersonID *int64    `json:"person_id"`
	OrgID    *int64    `json:"org_id"`
	LeadID   *string   `json:"lead_id"`
	DealID   *int64    `json:"deal_id"`
	Lead     *crm.Lead `json:"lead,omitempty"`
	Deal     *crm.Deal `json:"deal,omitempty"`
	Event    *Event    `json:"event,omitempty"`
}

// Panel capture cards: one lead and one deal per conversation from the side
// panel. Going through crm.Capture makes a double click (or a retry after a
// timeout) return the first result instead of creating a second deal.
const (
	panelLeadCard = "panel:lead"
	panelDealCard = "panel:deal"
)

// CreateFromPanel creates a lead or a deal (create is "lead" or "deal") from
// the side panel, owned by the agent, matching or creating the person and
// organization. It works on closed conversations too and does not change
// the conversation's state. A `captured` event records it for the timeline
// ("Lead created · 14:02") and the agent socket (lead.created / deal.created).
func (s *Service) CreateFromPanel(ctx context.Context, conversationID string, byUserID int64, create string, in PanelInput) (PanelResult, error) {
	card := panelLeadCard
	switch create {
	case "lead":
	case "deal":
		card = panelDealCard
	default:
		return PanelResult{}, crm.Invalid("create", "must be lead or deal")
	}
	c, err := s.GetConversation(ctx, conversationID)
	if err != nil {
		return PanelResult{}, err
	}
	owner := byUserID
	r, err := s.crm.Capture(ctx, crm.CaptureInput{
		ConversationID: c.ID, Card: card, Create: create, Title: strings.TrimSpace(in.Title), Value: in.Value,
		Currency: in.Currency, OwnerID: &owner, Qualified: true, Note: in.Note, ExpectedCloseDate: strings.TrimSpace(in.ExpectedCloseDate),
		Person:       crm.CapturePerson{Name: in.PersonName, Email: in.Email, Phone: in.Phone},
		Organization: crm.CaptureOrganization{Name: in.OrgName, Address: in.OrgAddress},
		SourceName:   crm.SourceLiveChat,
	})
	if err != nil {
		return PanelResult{}, err
	}
	out := PanelResult{Existing: r.Existing, PersonID: r.PersonID, OrgID: r.OrgID, LeadID: r.LeadID, DealID: r.DealID, Lead: r.Lead, Deal: r.Deal}
	if r.Existing {
		return out, nil
	}
	title := in.Title
	if r.Lead != nil {
		title = r.Lead.Title
	} else if r.Deal != nil {
		title = r.Deal.Title
	}
	_, evs, err := s.update(ctx, c.ID, func(ch *change) error {
		if _, err := ch.tx.ExecContext(ctx, s.sql.Get("set-conversation-capture"), r.LeadID, r.DealID, r.PersonID, r.OrgID, c.ID); err != nil {
			return fmt.Errorf("set capture ids: %w", err)
		}
		ch.c.LeadID, ch.c.DealID = orStr(r.LeadID, ch.c.LeadID), orInt(r.DealID, ch.c.DealID)
		ch.c.PersonID, ch.c.OrgID = orInt(r.PersonID, ch.c.PersonID), orInt(r.OrgID, ch.c.OrgID)
		_, err := ch.emit(newEvent{kind: KindCaptured, author: agentAuthor(byUserID), data: map[string]any{
			"card": card, "create": create, "lead_id": r.LeadID, "deal_id": r.DealID, "person_id": r.PersonID,
			"org_id": r.OrgID, "title": title, "by": byUserID}})
		return err
	})
	if err != nil {
		// The CRM rows exist; the next click finds them (Existing) and the
		// conversation's links are what is missing. Say so.
		return out, fmt.Errorf("record capture on conversation: %w", err)
	}
	if len(evs) > 0 {
		out.Event = &evs[0]
	}
	return out, nil
}

// AgentStatusChanged tells every agent socket about a status switch
// (agent.status) and re-reads presence for the widgets (messenger mode when
// nobody is online). The api's OnStatus and the working-hours loop call it.
func (s *Service) AgentStatusChanged(ctx context.Context, u crm.User) error {
	s.publish(ctx, Frame{Agent: agentFrame(0, "agent.status", map[string]any{"user_id": u.ID, "name": u.Name, "status": u.Status})})
	return s.PresenceChanged(ctx)
}

// isNoRows is sql.ErrNoRows through wrapping.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// LastEventID is the newest stored event's id: where an agent socket that
// knows nothing yet starts (its page loads the folders over REST).
func (s *Service) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.db.GetContext(ctx, &id, s.sql.Get("last-event-id")); err != nil {
		return 0, fmt.Errorf("last event id: %w", err)
	}
	return id, nil
}
