package playbook

import (
	"errors"
	"time"
)

// Errors Step returns for an event that does not fit the conversation. The
// state is returned unchanged with them, so the runtime can answer with an
// error frame and change nothing.
var (
	ErrNotWaiting   = errors.New("playbook: no question is waiting for this answer")
	ErrBadOption    = errors.New("playbook: no such option")
	ErrStarted      = errors.New("playbook: conversation already started")
	ErrNotStarted   = errors.New("playbook: conversation not started")
	ErrUnknownEvent = errors.New("playbook: unknown event kind")
)

// State is everything the interpreter knows about one conversation. It is
// plain data, meant to be stored as JSON with the conversation; numbers in
// Answers and Fields are float64 so that a JSON round trip changes nothing.
type State struct {
	Started  bool   `json:"started,omitempty"`
	Language string `json:"language,omitempty"` // resolved once, at start

	// Where the conversation waits. Card is empty when it waits for nothing
	// (ended, handed over, or a card without next was reached).
	Card   string   `json:"card,omitempty"`
	Field  int      `json:"field,omitempty"` // form field waited for
	Wait   WaitKind `json:"wait,omitempty"`
	Resume *Resume  `json:"resume,omitempty"` // where to go back after editing a form field

	Retries int `json:"retries,omitempty"` // invalid answers to the current question

	Answers      map[string]any    `json:"answers,omitempty"` // by card id; a form holds map[save]value
	Person       map[string]string `json:"person,omitempty"`  // name, email, phone
	Organization map[string]string `json:"organization,omitempty"`
	Deal         Deal              `json:"deal,omitzero"`
	Fields       map[string]any    `json:"fields,omitempty"` // declared custom fields

	LiveChat LiveChatStatus `json:"livechat,omitempty"`
	Captured []string       `json:"captured,omitempty"` // capture cards already run, kept across restarts
	Done     bool           `json:"done,omitempty"`     // an end card (or the 100-card guard) stopped the flow
}

// WaitKind is what the conversation waits for.
type WaitKind string

// Wait kinds.
const (
	WaitNone     WaitKind = ""
	WaitAnswer   WaitKind = "answer"   // a question or form field
	WaitLiveChat WaitKind = "livechat" // LiveChatClaimed or LiveChatOffline
)

// Resume is the waiting point saved while the visitor edits a form field.
type Resume struct {
	Card  string   `json:"card,omitempty"`
	Field int      `json:"field,omitempty"`
	Wait  WaitKind `json:"wait,omitempty"`
}

// LiveChatStatus is where the hand-off to a human is.
type LiveChatStatus string

// Live chat statuses.
const (
	LiveChatNone    LiveChatStatus = ""
	LiveChatWaiting LiveChatStatus = "waiting"
	LiveChatClaimed LiveChatStatus = "claimed" // the bot's part is over
	LiveChatOffline LiveChatStatus = "offline"
)

// Deal holds the answers saved to deal.value and deal.expected_close_date.
type Deal struct {
	Value             *float64 `json:"value,omitempty"`
	ExpectedCloseDate string   `json:"expected_close_date,omitempty"` // ISO date
}

// EventKind names an event of the conversation.
type EventKind string

// Event kinds.
const (
	EventStart           EventKind = "start"
	EventAnswer          EventKind = "answer"  // Card, Field (forms), Option or Value
	EventMessage         EventKind = "message" // free text in Value
	EventLiveChatClaimed EventKind = "livechat_claimed"
	EventLiveChatOffline EventKind = "livechat_offline" // deadline passed or nobody online
	EventEditField       EventKind = "edit_field"       // Card, Field: edit a form answer
	EventRestart         EventKind = "restart"
)

// Event is one input to Step. Which fields matter depends on Kind.
type Event struct {
	Kind   EventKind `json:"kind"`
	Card   string    `json:"card,omitempty"`
	Field  int       `json:"field,omitempty"`
	Option *int      `json:"option,omitempty"` // index of the chosen button
	Value  string    `json:"value,omitempty"`  // typed answer, or the text of a message
}

// Env is the world outside the conversation at the time of the event.
// The runtime fills it for every Step.
type Env struct {
	Visitor      Visitor
	Page         Page
	AgentsOnline int            // all groups
	GroupsOnline map[string]int // agents online per group, for cards with a group
	InHours      bool
	Now          time.Time
	Version      int // the playbook version the conversation is pinned to
}

// Visitor is what the widget tells about the visitor.
type Visitor struct {
	Visits     int
	Returning  bool
	Language   string // e.g. "pt-BR"; picks the texts at start
	Device     string
	Browser    string
	OS         string
	Referrer   string
	TimeOnSite int // seconds
	TimeOnPage int // seconds
}

// Page is the page the visitor is on.
type Page struct {
	URL   string
	Path  string
	Title string
}

// Effect is something the runtime must do, in the order Step returns them.
// Kind names the matching realtime event kind.
type Effect interface {
	Kind() string
}

// Message is a bot message.
type Message struct {
	Card string `json:"card"`
	Text string `json:"text"` // interpolated source, markdown as written
	HTML string `json:"html"` // escaped and rendered, safe to show
}

// Ask asks a question: buttons (Options) or one typed Input.
type Ask struct {
	Card     string      `json:"card"`
	Field    int         `json:"field"` // form field index, -1 for a question
	Text     string      `json:"text"`
	HTML     string      `json:"html"`
	Options  []AskOption `json:"options,omitempty"`
	Input    InputKind   `json:"input,omitempty"`
	Required bool        `json:"required"`
	Value    string      `json:"value,omitempty"` // the current answer, when editing a form field
}

// AskOption is one button as shown.
type AskOption struct {
	Label string `json:"label"`
}

// Invalid tells the visitor the answer was refused; an Ask follows.
type Invalid struct {
	Card  string `json:"card"`
	Field int    `json:"field"`
	Text  string `json:"text"`
	HTML  string `json:"html"`
}

// RequestLiveChat asks for a human: show OnlineMessage, notify agents of
// Group, and send EventLiveChatOffline when Wait passes unclaimed.
type RequestLiveChat struct {
	Card          string        `json:"card"`
	Wait          time.Duration `json:"wait"`
	Group         string        `json:"group,omitempty"`
	OnlineMessage string        `json:"online_message"`
	OnlineHTML    string        `json:"online_html"`
}

// OfflineNotice is the livechat card's offline_message: nobody claimed in
// time, or nobody was online. The card's offline branch runs next.
type OfflineNotice struct {
	Card string `json:"card"`
	Text string `json:"text"`
	HTML string `json:"html"`
}

// Capture is a lead or deal to create, with everything resolved. It is
// emitted at most once per capture card per conversation; the database
// enforces the same thing separately.
type Capture struct {
	Card         string           `json:"card"`
	Create       string           `json:"create"` // lead | deal
	Title        string           `json:"title"`
	Value        *float64         `json:"value,omitempty"`
	Currency     string           `json:"currency,omitempty"`
	Owner        string           `json:"owner"` // user email | round_robin | assignee
	Group        string           `json:"group,omitempty"`
	Pipeline     string           `json:"pipeline,omitempty"` // empty: the first pipeline
	Stage        string           `json:"stage,omitempty"`    // empty: its first stage
	Labels       []string         `json:"labels,omitempty"`
	Qualified    bool             `json:"qualified"`
	Note         string           `json:"note,omitempty"`
	DefaultNote  bool             `json:"default_note,omitempty"` // no note key: use the transcript
	Activity     *CaptureActivity `json:"activity,omitempty"`
	Person       Contact          `json:"person"`
	Organization Organization     `json:"organization"`
	Deal         Deal             `json:"deal"`
	Fields       map[string]any   `json:"fields,omitempty"`
}

// CaptureActivity is the follow-up to schedule, due Due after now.
type CaptureActivity struct {
	Type    string        `json:"type"`
	Subject string        `json:"subject"`
	Due     time.Duration `json:"due"`
}

// Contact is the person saved so far.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Organization is the organization saved so far.
type Organization struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
}

// End closes the flow; Restart says whether to offer a restart button.
type End struct {
	Card    string `json:"card"`
	Text    string `json:"text,omitempty"`
	HTML    string `json:"html,omitempty"`
	Restart bool   `json:"restart"`
}

// Log is a line for the conversation's log: an expression that failed at
// run time, or the card guard. It is never shown to the visitor.
type Log struct {
	Card    string `json:"card,omitempty"`
	Message string `json:"message"`
}

func (Message) Kind() string         { return "bot_message" }
func (Ask) Kind() string             { return "question" }
func (Invalid) Kind() string         { return "invalid" }
func (RequestLiveChat) Kind() string { return "waiting" }
func (OfflineNotice) Kind() string   { return "offline" }
func (Capture) Kind() string         { return "captured" }
func (End) Kind() string             { return "end" }
func (Log) Kind() string             { return "log" }

// MaxCardsPerInput bounds the cards run between two visitor inputs.
const MaxCardsPerInput = 100

// Step runs one event against a conversation and returns the new state and
// the effects to apply, in order. It never mutates st. An event that does
// not fit (an answer to a card that is not waiting, a bad option) returns
// st unchanged, no effects and one of the Err values.
func (p *Program) Step(st State, ev Event, env Env) (State, []Effect, error) {
	return p.step(st, ev, env)
}
