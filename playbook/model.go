package playbook

// Document is a playbook as written: the YAML or JSON model, before
// compilation. Card order is the document order and is kept on export.
type Document struct {
	ID       string
	Name     string
	Language string
	Bot      *Bot
	Trigger  *Trigger
	Fields   []FieldDecl // declared custom fields, in document order
	Start    string
	Cards    []*Card

	// pos maps a path ("start", "cards.size.next[0].if") to where its value
	// (or, for a map key, the key) was written. Documents built in Go have
	// none, and their problems report 0:0.
	pos map[string]Pos
}

// Pos is a 1-based line and column in the source; 0:0 when unknown.
type Pos struct{ Line, Col int }

// Bot is the name and avatar the widget shows for the bot.
type Bot struct {
	Name   string
	Avatar string
}

// Trigger says when the widget starts the playbook (see Targeting in the spec).
type Trigger struct {
	On       string // open | load | delay
	After    string // duration, e.g. "10s"; needed by delay
	Pages    *Pages
	When     string // boolean expression
	Priority int
}

// Pages filters the pages a trigger fires on, with * wildcards.
type Pages struct {
	Include []string
	Exclude []string
}

// FieldType is the type of a declared custom field.
type FieldType string

// Field types. Numbers are float64 in expressions; dates are ISO strings
// (2026-12-02), which compare correctly as strings; bools come from yes/no
// style answers or boolean option values.
const (
	FieldText   FieldType = "text"
	FieldNumber FieldType = "number"
	FieldDate   FieldType = "date"
	FieldBool   FieldType = "bool"
)

// FieldDecl declares a custom field: `fields: {team_size: number}`.
type FieldDecl struct {
	Name string
	Type FieldType
}

// CardType names a kind of card.
type CardType string

// The card types of the spec.
const (
	CardMessage  CardType = "message"
	CardQuestion CardType = "question"
	CardForm     CardType = "form"
	CardLiveChat CardType = "livechat"
	CardCapture  CardType = "capture"
	CardEnd      CardType = "end"
)

// Card is one card of the graph. It is a flat struct: which keys are
// allowed depends on Type, and the validator reports keys that do not
// belong to the card's type.
type Card struct {
	ID   string
	Type CardType
	Text Text
	Next *Next

	// question
	Options  []Option
	Input    InputKind
	Save     string
	Required *bool // default true
	Invalid  Text

	// form
	Fields []FormField

	// livechat
	OnlineMessage  Text
	Wait           string // duration, default 60s
	OfflineMessage Text
	Offline        string
	Group          string // livechat and capture

	// capture
	Create    string // lead | deal
	Qualified *bool  // default true
	Title     string // template
	Value     string // expression giving a number
	Currency  string
	Owner     string // user email | round_robin | assignee
	Pipeline  string
	Stage     string
	Labels    []string
	Note      string // template; empty means the transcript
	Activity  *Activity

	// end
	Restart *bool // default true
}

// Next is either a single target card or guarded branches.
type Next struct {
	Target   string
	Branches []Branch
}

// Branch is one guarded entry of a `next` list. An empty If is the
// default, which must be the last entry.
type Branch struct {
	If   string
	Goto string
}

// Option is one button of a question.
type Option struct {
	Label Text
	Value any // string, float64 or bool; nil means the label
	Next  *Next
}

// FormField is one step of a form card.
type FormField struct {
	Save     string
	Label    Text
	Input    InputKind
	Required *bool // default true
}

// Activity is a follow-up scheduled by a capture card.
type Activity struct {
	Type    string // call | meeting | task | email
	Subject string // template
	Due     string // "+1d", "+2h", "+30m"
}

// InputKind is what a typed answer must look like.
type InputKind string

// The input kinds of the spec.
const (
	InputText         InputKind = "text"
	InputEmail        InputKind = "email"
	InputPhone        InputKind = "phone"
	InputNumber       InputKind = "number"
	InputURL          InputKind = "url"
	InputDate         InputKind = "date"
	InputName         InputKind = "name"
	InputOrganization InputKind = "organization"
)

// Text is a translatable text: a plain string is one Translation with an
// empty Lang; a map lang→string keeps its order.
type Text []Translation

// Translation is a text in one language ("" when the text is a plain string).
type Translation struct {
	Lang string
	Text string
}

// Plain makes a Text from a single string.
func Plain(s string) Text { return Text{{Text: s}} }

// Card returns the card with the given id, or nil.
func (d *Document) Card(id string) *Card {
	for _, c := range d.Cards {
		if c.ID == id {
			return c
		}
	}
	return nil
}
