package livechat

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley/parley/schema"
)

// Event kinds, as realtime.md lists them, plus `log` (agents only: a system
// line such as an expression that failed at run time).
const (
	KindBotMessage     = "bot_message"     // text, html
	KindQuestion       = "question"        // card, text, html, options [{label}] | input, required, field?
	KindInvalid        = "invalid"         // card, field, text, html
	KindVisitorMessage = "visitor_message" // text
	KindAnswer         = "answer"          // card, field?, option?, value, label
	KindAgentJoined    = "agent_joined"    // agent {id, name, avatar}
	KindAgentMessage   = "agent_message"   // text, agent {id, name, avatar}
	KindAgentLeft      = "agent_left"      // agent {id, name, avatar}
	KindWaiting        = "waiting"         // card, wait (seconds), text, html
	KindOffline        = "offline"         // card, text, html
	KindCaptured       = "captured"        // card, create, lead_id | deal_id, person_id, org_id (agents only)
	KindRead           = "read"            // seq (the visitor's, agents only) | up_to (the agents', visitor-visible): the seq read up to
	KindClosed         = "closed"          //
	KindEnd            = "end"             // card, text, html, restart
	KindLog            = "log"             // card, message (agents only)
	KindPreChat        = "prechat"         // fields {person.name, person.email, ...}: the pre-chat form's answers
)

// Authors of events.
const (
	AuthorBot     = "bot"
	AuthorVisitor = "visitor"
	AuthorSystem  = "system"
	// An agent's events have the author "agent:<user id>".
)

// Event is one stored event of a conversation. Data holds the kind's fields
// as a JSON object.
type Event struct {
	ID               int64           `db:"id" json:"id"`
	ConversationID   string          `db:"conversation_id" json:"conversation_id"`
	Seq              int64           `db:"seq" json:"seq"`
	Kind             string          `db:"kind" json:"kind"`
	Data             json.RawMessage `db:"-" json:"data"`
	DataText         string          `db:"data" json:"-"` // how Data is scanned: drivers give TEXT as string
	ClientID         *string         `db:"client_id" json:"client_id,omitempty"`
	Author           string          `db:"author" json:"author"`
	VisibleToVisitor bool            `db:"visible_to_visitor" json:"visible_to_visitor"`
	At               time.Time       `db:"at" json:"at"`
}

// VisitorFrame is the event as the visitor socket sends it:
// {"type":"event","seq":N,"kind":K,"at":T, ...data fields}. The envelope's
// seq is the event's own, so a read position stored as data.seq would be
// hidden by it: a read event's position goes out as up_to.
func (e Event) VisitorFrame() []byte {
	m := map[string]any{}
	_ = json.Unmarshal(e.Data, &m) // Data is always an object we wrote
	if _, ok := m["up_to"]; !ok && e.Kind == KindRead && m["seq"] != nil {
		m["up_to"] = m["seq"]
	}
	m["type"] = "event"
	m["seq"] = e.Seq
	m["kind"] = e.Kind
	m["at"] = e.At.UTC()
	b, _ := json.Marshal(m)
	return b
}

// agentEventName maps an event kind to the agent socket's event name.
func agentEventName(kind string, data json.RawMessage) string {
	if kind == KindCaptured {
		var d struct {
			Create string `json:"create"`
		}
		_ = json.Unmarshal(data, &d)
		if d.Create == "deal" {
			return "deal.created"
		}
		return "lead.created"
	}
	return "message.created"
}

// AgentFrame is the event as the agent socket sends it:
// {"type":"event","id":N,"event":"message.created","data":{conversation_id, seq, kind, at, author, data}}.
func (e Event) AgentFrame() []byte {
	return agentFrame(e.ID, agentEventName(e.Kind, e.Data), e)
}

func agentFrame(id int64, name string, data any) []byte {
	b, _ := json.Marshal(struct {
		Type  string `json:"type"`
		ID    int64  `json:"id"`
		Event string `json:"event"`
		Data  any    `json:"data"`
	}{"event", id, name, data})
	return b
}

// newEvent is an event about to be stored.
type newEvent struct {
	kind     string
	data     any
	clientID string
	author   string
	visible  bool
}

// newStoredEvent is ev as it will be stored with seq: its data encoded
// once, for the database and for every frame made of it.
func newStoredEvent(convID string, seq int64, ev newEvent, at time.Time) (Event, error) {
	data := []byte("{}")
	if ev.data != nil {
		var err error
		if data, err = json.Marshal(ev.data); err != nil {
			return Event{}, fmt.Errorf("encode %s: %w", ev.kind, err)
		}
	}
	var cid *string
	if ev.clientID != "" {
		cid = &ev.clientID
	}
	return Event{ConversationID: convID, Seq: seq, Kind: ev.kind, Data: data, DataText: string(data), ClientID: cid, Author: ev.author, VisibleToVisitor: ev.visible, At: at}, nil
}

// insertEvent stores e on q (a transaction: seq is numbered under its
// lock) and sets its id.
func (s *Service) insertEvent(ctx context.Context, q schema.Queryer, e *Event) error {
	if err := q.QueryRowxContext(ctx, s.sql.Get("insert-event"), e.ConversationID, e.Seq, e.Kind, e.DataText, e.ClientID, e.Author, e.VisibleToVisitor, e.At).Scan(&e.ID); err != nil {
		return fmt.Errorf("insert %s event: %w", e.Kind, err)
	}
	return nil
}

// Events returns the events of a conversation with seq > afterSeq, in order;
// with visitorOnly, only those the visitor may see (the replay after hello).
func (s *Service) Events(ctx context.Context, conversationID string, afterSeq int64, visitorOnly bool) ([]Event, error) {
	var evs []Event
	q := "list-events"
	if visitorOnly {
		q = "list-visitor-events"
	}
	if err := s.db.SelectContext(ctx, &evs, s.sql.Get(q), conversationID, afterSeq); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	fixEvents(evs)
	return evs, nil
}

// EventsSince returns up to limit stored events of every conversation with
// id > lastEvent, in id order: the agent socket's replay after hello. The
// caller filters by visibility.
func (s *Service) EventsSince(ctx context.Context, lastEvent int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var evs []Event
	if err := s.db.SelectContext(ctx, &evs, s.sql.Get("list-events-since"), lastEvent, limit); err != nil {
		return nil, fmt.Errorf("list events since %d: %w", lastEvent, err)
	}
	fixEvents(evs)
	return evs, nil
}

// eventByClientID finds the event a client_id already created.
func (s *Service) eventByClientID(ctx context.Context, q schema.Queryer, convID, clientID string) (Event, bool, error) {
	var evs []Event
	if err := q.SelectContext(ctx, &evs, s.sql.Get("get-event-by-client-id"), convID, clientID); err != nil {
		return Event{}, false, fmt.Errorf("event by client id: %w", err)
	}
	if len(evs) == 0 {
		return Event{}, false, nil
	}
	fixEvents(evs)
	return evs[0], true, nil
}

// fixEvents completes events read from the database.
func fixEvents(evs []Event) {
	for i := range evs {
		evs[i].At = evs[i].At.UTC()
		evs[i].Data = json.RawMessage(evs[i].DataText)
	}
}
