package livechat

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

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
		LastEventAt: r.LastEventAt.UTC(), ClosedAt: nullTime(r.ClosedAt)}
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
	panic("TODO")
}

// OpenConversation returns the visitor's conversation that is not closed.
func (s *Service) OpenConversation(ctx context.Context, visitorID int64) (Conversation, error) {
	panic("TODO")
}

// ListConversations lists conversations for a folder, newest activity first.
// Visibility (who may see what) is the caller's: pass the agent for "mine".
func (s *Service) ListConversations(ctx context.Context, f ConversationFilter) ([]Conversation, error) {
	panic("TODO")
}

// Assign gives the conversation to agentID (byUserID is who clicked; the
// same for "Assign to me"). It moves waiting, offline or bot to active with
// one conditional update, so of two agents (or an agent and the deadline)
// exactly one wins; the loser gets ErrConflict ("already assigned to X").
// The visitor sees agent_joined; a waiting playbook gets EventLiveChatClaimed.
func (s *Service) Assign(ctx context.Context, conversationID string, agentID, byUserID int64) (Conversation, error) {
	panic("TODO")
}

// Close ends a conversation for good (closed cannot reopen).
func (s *Service) Close(ctx context.Context, conversationID string, byUserID int64) (Conversation, error) {
	panic("TODO")
}

// AgentMessage stores a message from an agent (through the REST API). A
// repeated clientID returns the first ack. An agent writing in an unassigned
// conversation does not take it; Assign first.
func (s *Service) AgentMessage(ctx context.Context, conversationID string, agentID int64, clientID, text string) (Ack, error) {
	panic("TODO")
}

// AgentTyping tells the visitor that an agent is typing. Published, not stored.
func (s *Service) AgentTyping(ctx context.Context, conversationID string, agentID int64) error {
	panic("TODO")
}

// MarkReadByAgent resets the conversation's unread count.
func (s *Service) MarkReadByAgent(ctx context.Context, conversationID string) error {
	panic("TODO")
}
