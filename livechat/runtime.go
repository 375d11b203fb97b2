package livechat

import (
	"context"
)

// HelloInput is the visitor socket's hello frame plus what the HTTP request
// tells (the User-Agent header).
type HelloInput struct {
	LastSeq   int64
	Page      PageInfo
	Language  string
	Timezone  string
	Device    string // as the widget reports it; overrides the guess from UserAgent
	UserAgent string
}

// Welcome answers hello: the visitor's open conversation (nil when none),
// its last seq, and whether any agent is online.
type Welcome struct {
	Conversation *string `json:"conversation"`
	Seq          int64   `json:"seq"`
	Online       bool    `json:"online"`
}

// AnswerInput is the answer frame.
type AnswerInput struct {
	ClientID string
	Card     string
	Field    int  // form field index; ignored for questions
	Option   *int // chosen button
	Value    string
}

// Ack tells the client that the frame with ClientID is stored as event Seq.
type Ack struct {
	ClientID string `json:"client_id"`
	Seq      int64  `json:"seq"`
}

// MaxMessageLen is the longest visitor or agent message, in characters.
const MaxMessageLen = 4000

// Hello records the visitor's context and returns the welcome and the events
// after in.LastSeq the visitor may see, in order (the replay). It also
// repairs what a crash may have left: captures asked for but not applied.
func (s *Service) Hello(ctx context.Context, v Visitor, in HelloInput) (Welcome, []Event, error) {
	panic("TODO")
}

// Start starts a playbook for the visitor: playbookSlug names it, or "" lets
// targeting pick one (trigger "open"). When the visitor has an open
// conversation it is returned instead (one open conversation per visitor),
// unless it is a finished bot conversation, which is closed first.
func (s *Service) Start(ctx context.Context, v Visitor, playbookSlug string, page PageInfo) (Conversation, error) {
	panic("TODO")
}

// Answer answers the question waiting on in.Card. A repeated ClientID gets
// the first ack and creates nothing; an answer to a card that is not
// waiting is a *RefusedError and stores nothing.
func (s *Service) Answer(ctx context.Context, v Visitor, in AnswerInput) (Ack, error) {
	panic("TODO")
}

// Message is free text from the visitor: to the bot when it waits for a
// typed answer, else to the agent (or the queue).
func (s *Service) Message(ctx context.Context, v Visitor, clientID, text string) (Ack, error) {
	panic("TODO")
}

// Page records that the visitor moved to another page and tells agents.
func (s *Service) Page(ctx context.Context, v Visitor, page PageInfo) error {
	panic("TODO")
}

// Typing tells agents the visitor is typing (with an optional preview). It
// is published, not stored.
func (s *Service) Typing(ctx context.Context, v Visitor, preview string) error {
	panic("TODO")
}

// Read records that the visitor has seen everything up to seq.
func (s *Service) Read(ctx context.Context, v Visitor, seq int64) error {
	panic("TODO")
}

// Rate stores the visitor's rating ("up" or "down") and comment; only after
// an agent took part.
func (s *Service) Rate(ctx context.Context, v Visitor, value, comment string) error {
	panic("TODO")
}

// Restart runs the conversation's playbook again from its start.
func (s *Service) Restart(ctx context.Context, v Visitor) error {
	panic("TODO")
}
