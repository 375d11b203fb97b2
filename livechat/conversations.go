package livechat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/playbook"
)

// Conversation states (livechat.md).
const (
	StateBot     = "bot"     // the playbook is running
	StateWaiting = "waiting" // the visitor asked for a human; a deadline runs
	StateActive  = "active"  // an agent holds the chat
	StateOffline = "offline" // nobody claimed in time, or the visitor wrote while nobody was there
	StateClosed  = "closed"  // final; a returning visitor starts a new conversation
)

// Conversation is one chat of a visitor: the bot part, then maybe an agent.
type Conversation struct {
	ID              string     `json:"id"`
	State           string     `json:"state"`
	SiteID          int64      `json:"site_id"`
	VisitorID       int64      `json:"visitor_id"`
	PlaybookID      *int64     `json:"playbook_id"`
	PlaybookVersion int        `json:"playbook_version"`
	AssigneeID      *int64     `json:"assignee_id"`
	Group           string     `json:"group"`
	LastSeq         int64      `json:"last_seq"`
	VisitorReadSeq  int64      `json:"visitor_read_seq"`
	Deadline        *time.Time `json:"deadline"`
	PersonID        *int64     `json:"person_id"`
	OrgID           *int64     `json:"org_id"`
	LeadID          *string    `json:"lead_id"`
	DealID          *int64     `json:"deal_id"`
	Rating          string     `json:"rating"` // "", up, down
	RatingComment   string     `json:"rating_comment"`
	AgentJoined     bool       `json:"agent_joined"` // an agent took part at least once
	Unread          int        `json:"unread"`       // visitor messages agents have not read
	HandedOver      bool       `json:"handed_over"`  // the playbook reached a livechat card
	FinishedAt      *time.Time `json:"finished_at"`  // the playbook reached an end card
	AddTime         time.Time  `json:"add_time"`
	LastEventAt     time.Time  `json:"last_event_at"`
	ClosedAt        *time.Time `json:"closed_at"`

	// Interp is the interpreter state, persisted with every step.
	Interp playbook.State `json:"-"`
	// Version counts the saves: an unlocked step writes back only over the
	// version it read (step.go, updateFrom).
	Version int64 `json:"-"`
}

type convRow struct {
	ID              string         `db:"id"`
	State           string         `db:"state"`
	SiteID          int64          `db:"site_id"`
	VisitorID       int64          `db:"visitor_id"`
	PlaybookID      sql.NullInt64  `db:"playbook_id"`
	PlaybookVersion int            `db:"playbook_version"`
	Interp          string         `db:"interp"`
	AssigneeID      sql.NullInt64  `db:"assignee_id"`
	Group           string         `db:"group_name"`
	LastSeq         int64          `db:"last_seq"`
	VisitorReadSeq  int64          `db:"visitor_read_seq"`
	Deadline        sql.NullTime   `db:"deadline"`
	PersonID        sql.NullInt64  `db:"person_id"`
	OrgID           sql.NullInt64  `db:"org_id"`
	LeadID          sql.NullString `db:"lead_id"`
	DealID          sql.NullInt64  `db:"deal_id"`
	Rating          string         `db:"rating"`
	RatingComment   string         `db:"rating_comment"`
	AgentJoined     bool           `db:"agent_joined"`
	Unread          int            `db:"unread"`
	HandedOver      bool           `db:"handed_over"`
	FinishedAt      sql.NullTime   `db:"finished_at"`
	AddTime         time.Time      `db:"add_time"`
	LastEventAt     time.Time      `db:"last_event_at"`
	ClosedAt        sql.NullTime   `db:"closed_at"`
	Version         int64          `db:"version"`
}

func nullInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

func nullTime(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.UTC()
	return &t
}

func (r convRow) conversation() (Conversation, error) {
	c := Conversation{ID: r.ID, State: r.State, SiteID: r.SiteID, VisitorID: r.VisitorID,
		PlaybookID: nullInt(r.PlaybookID), PlaybookVersion: r.PlaybookVersion, AssigneeID: nullInt(r.AssigneeID),
		Group: r.Group, LastSeq: r.LastSeq, VisitorReadSeq: r.VisitorReadSeq, Deadline: nullTime(r.Deadline),
		PersonID: nullInt(r.PersonID), OrgID: nullInt(r.OrgID), DealID: nullInt(r.DealID),
		Rating: r.Rating, RatingComment: r.RatingComment, AgentJoined: r.AgentJoined, Unread: r.Unread,
		HandedOver: r.HandedOver, FinishedAt: nullTime(r.FinishedAt), AddTime: r.AddTime.UTC(),
		LastEventAt: r.LastEventAt.UTC(), ClosedAt: nullTime(r.ClosedAt), Version: r.Version}
	if r.LeadID.Valid {
		c.LeadID = &r.LeadID.String
	}
	if r.Interp != "" {
		if err := json.Unmarshal([]byte(r.Interp), &c.Interp); err != nil {
			return Conversation{}, err
		}
	}
	return c, nil
}

// ConversationFilter selects conversations for the agent app's folders.
type ConversationFilter struct {
	Folder  string // unassigned | mine | closed | all ("" = all)
	State   string // optional exact state
	AgentID int64  // the caller, for "mine"
	Limit   int    // default 100, max 500
	Start   int
}

// Agent is how an agent appears to the visitor.
type Agent struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Avatar string `json:"avatar"`
}

// GetConversation returns one conversation.
func (s *Service) GetConversation(ctx context.Context, id string) (Conversation, error) {
	var r convRow
	if err := s.db.GetContext(ctx, &r, s.sql.Get("get-conversation"), id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Conversation{}, notFound("conversation", id)
		}
		return Conversation{}, fmt.Errorf("get conversation: %w", err)
	}
	return r.conversation()
}

// OpenConversation returns the visitor's conversation that is not closed
// (there is at most one).
func (s *Service) OpenConversation(ctx context.Context, visitorID int64) (Conversation, error) {
	var r convRow
	if err := s.db.GetContext(ctx, &r, s.sql.Get("get-open-conversation"), visitorID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Conversation{}, notFound("open conversation of visitor", visitorID)
		}
		return Conversation{}, fmt.Errorf("open conversation: %w", err)
	}
	return r.conversation()
}

// ListConversations lists conversations for a folder, newest activity first:
// unassigned (waiting or offline, nobody holds it), mine (held by
// f.AgentID, not closed), closed, all. Who may ask for which folder is the
// caller's to check.
func (s *Service) ListConversations(ctx context.Context, f ConversationFilter) ([]Conversation, error) {
	folder := f.Folder
	switch folder {
	case "":
		folder = "all"
	case "all", "unassigned", "mine", "closed":
	default:
		return nil, crm.Invalid("folder", "must be unassigned, mine, closed or all")
	}
	if f.Limit <= 0 || f.Limit > crm.MaxLimit {
		f.Limit = crm.DefaultLimit
	}
	var rows []convRow
	err := s.db.SelectContext(ctx, &rows, s.sql.Get("list-conversations"), f.State, f.State,
		folder, folder, folder, f.AgentID, folder, f.Limit, f.Start)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	out := make([]Conversation, 0, len(rows))
	for _, r := range rows {
		c, err := r.conversation()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Service) agent(ctx context.Context, id int64) (Agent, error) {
	u, err := s.crm.GetUser(ctx, id)
	if err != nil {
		return Agent{}, err
	}
	return Agent{ID: u.ID, Name: u.Name, Avatar: u.Avatar}, nil
}

// Assign gives the conversation to agentID (byUserID is who clicked; the
// same for "Assign to me"). It moves waiting, offline or bot to active with
// one conditional update, so of two agents (or an agent and the deadline)
// exactly one wins; the loser gets ErrConflict ("already assigned to X").
// Assigning to the agent who already holds it is a no-op. The visitor sees
// agent_joined; a playbook waiting on its livechat card gets
// EventLiveChatClaimed.
func (s *Service) Assign(ctx context.Context, conversationID string, agentID, byUserID int64) (Conversation, error) {
	a, err := s.agent(ctx, agentID)
	if err != nil {
		return Conversation{}, err
	}
	c, _, err := s.update(ctx, conversationID, func(ch *change) error {
		if ch.c.AssigneeID != nil && *ch.c.AssigneeID == agentID && ch.c.State == StateActive {
			return nil
		}
		res, err := ch.tx.ExecContext(ctx, s.sql.Get("assign-conversation"), agentID, conversationID)
		if err != nil {
			return fmt.Errorf("assign: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if ch.c.State == StateClosed {
				return conflict("conversation %s is closed", conversationID)
			}
			if ch.c.AssigneeID != nil {
				name := fmt.Sprint(*ch.c.AssigneeID)
				if holder, err := s.crm.On(ch.tx).GetUser(ctx, *ch.c.AssigneeID); err == nil {
					name = holder.Name
				}
				return conflict("conversation already assigned to %s", name)
			}
			return conflict("conversation %s cannot be assigned while %s", conversationID, ch.c.State)
		}
		wasWaiting := ch.c.State == StateWaiting
		ch.c.State, ch.c.AssigneeID, ch.c.AgentJoined, ch.c.Deadline = StateActive, &agentID, true, nil
		ch.agent = append(ch.agent, "conversation.assigned")
		if _, err := ch.tx.ExecContext(ctx, s.sql.Get("cancel-timers"), conversationID, TimerLiveChatDeadline); err != nil {
			return fmt.Errorf("cancel timers: %w", err)
		}
		if _, err := ch.emit(newEvent{kind: KindAgentJoined, data: map[string]any{"agent": a, "by": byUserID}, author: agentAuthor(agentID), visible: true}); err != nil {
			return err
		}
		if wasWaiting && ch.c.Interp.Wait == playbook.WaitLiveChat && ch.c.PlaybookID != nil {
			return ch.step(playbook.Event{Kind: playbook.EventLiveChatClaimed}, playbook.Env{})
		}
		return nil
	})
	return c, err
}

func agentAuthor(id int64) string { return fmt.Sprintf("agent:%d", id) }

// Close ends a conversation for good (closed cannot reopen); closing a
// closed conversation is ErrConflict.
func (s *Service) Close(ctx context.Context, conversationID string, byUserID int64) (Conversation, error) {
	return s.close(ctx, conversationID, agentAuthor(byUserID), true)
}

func (s *Service) close(ctx context.Context, id, author string, visible bool) (Conversation, error) {
	c, _, err := s.update(ctx, id, func(ch *change) error {
		res, err := ch.tx.ExecContext(ctx, s.sql.Get("close-conversation"), ch.now, id)
		if err != nil {
			return fmt.Errorf("close: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("conversation %s is already closed", id)
		}
		t := ch.now
		ch.c.State, ch.c.ClosedAt, ch.c.Deadline = StateClosed, &t, nil
		ch.agent = append(ch.agent, "conversation.closed")
		if _, err := ch.tx.ExecContext(ctx, s.sql.Get("cancel-timers"), id, TimerLiveChatDeadline); err != nil {
			return fmt.Errorf("cancel timers: %w", err)
		}
		_, err = ch.emit(newEvent{kind: KindClosed, author: author, visible: visible})
		return err
	})
	return c, err
}

// AgentMessage stores a message from the agent holding the conversation;
// any other agent gets ErrForbidden (assign first). A repeated clientID
// returns the first ack.
func (s *Service) AgentMessage(ctx context.Context, conversationID string, agentID int64, clientID, text string) (Ack, error) {
	a, err := s.agent(ctx, agentID)
	if err != nil {
		return Ack{}, err
	}
	c, err := s.GetConversation(ctx, conversationID)
	if err != nil {
		return Ack{}, err
	}
	return s.AgentMessageIn(ctx, c, a, clientID, text)
}

// AgentMessageIn is AgentMessage for a caller that has read the
// conversation (c, maybe stale: the step is redone if c changed) and knows
// the agent (the api's signed-in user), so the message costs one read less
// each. The holder is checked on the conversation as it is written.
func (s *Service) AgentMessageIn(ctx context.Context, c Conversation, a Agent, clientID, text string) (Ack, error) {
	text, err := checkText(text)
	if err != nil {
		return Ack{}, crm.Invalid("text", err.(*RefusedError).Message)
	}
	return s.idempotent(ctx, c, clientID, func(ch *change) (Event, error) {
		if ch.c.State == StateClosed {
			return Event{}, conflict("conversation %s is closed", c.ID)
		}
		if ch.c.AssigneeID == nil || *ch.c.AssigneeID != a.ID {
			return Event{}, fmt.Errorf("conversation %s is not assigned to you: %w", c.ID, ErrForbidden)
		}
		ch.c.Unread = 0
		return ch.emit(newEvent{kind: KindAgentMessage, data: map[string]any{"text": text, "agent": a}, clientID: clientID, author: agentAuthor(a.ID), visible: true})
	})
}

// AgentTyping tells the visitor that an agent is typing:
// {"type":"typing","from":{name, avatar}}. Published, not stored.
func (s *Service) AgentTyping(ctx context.Context, conversationID string, agentID int64) error {
	c, err := s.GetConversation(ctx, conversationID)
	if err != nil {
		return err
	}
	a, err := s.agent(ctx, agentID)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(map[string]any{"type": "typing", "from": map[string]string{"name": a.Name, "avatar": a.Avatar}})
	s.publish(ctx, Frame{ConversationID: c.ID, VisitorID: c.VisitorID, State: c.State, Visitor: b})
	return nil
}

// MarkReadByAgent records that the agents have read the conversation: it
// resets the unread count and, when the visitor has written or answered
// since the last receipt, stores a read event {up_to} visible to the visitor
// (up_to is the seq read up to; the event's own seq is the next one), so the
// widget shows "Seen". Nothing new since the last receipt stores nothing, so
// an agent app that marks read on every event cannot loop. A closed chat
// gets no receipt: closed is its last word.
func (s *Service) MarkReadByAgent(ctx context.Context, conversationID string) error {
	_, _, err := s.update(ctx, conversationID, func(ch *change) error {
		ch.c.Unread = 0
		if ch.c.State == StateClosed {
			return nil
		}
		var unseen int64
		if err := ch.tx.GetContext(ctx, &unseen, s.sql.Get("visitor-unseen-by-agents"), ch.c.ID, ch.c.ID); err != nil {
			return fmt.Errorf("unseen by agents: %w", err)
		}
		if unseen == 0 {
			return nil
		}
		author := AuthorSystem // an admin reading a queued chat
		if ch.c.AssigneeID != nil {
			author = agentAuthor(*ch.c.AssigneeID)
		}
		_, err := ch.emit(newEvent{kind: KindRead, data: map[string]any{"up_to": ch.c.LastSeq}, author: author, visible: true})
		return err
	})
	return err
}
