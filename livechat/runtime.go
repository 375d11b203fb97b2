package livechat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parley/parley/playbook"
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
	// Visitor is the visitor as hello left it (visits, language, device):
	// what the socket should pass to later calls, whose playbook env reads it.
	Visitor Visitor `json:"-"`
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

// env is what the interpreter needs to know about the world right now.
func (s *Service) env(ctx context.Context, v Visitor, page PageInfo) (playbook.Env, error) {
	all, byGroup, err := s.presence(ctx)
	if err != nil {
		return playbook.Env{}, err
	}
	site, err := s.cachedSite(ctx, v.SiteID)
	if err != nil {
		return playbook.Env{}, err
	}
	now := s.nowUTC()
	if page.URL == "" {
		page = PageInfo{URL: v.CurrentURL, Title: v.CurrentTitle}
	}
	env := playbook.Env{
		Visitor: playbook.Visitor{Visits: v.Visits, Returning: v.Visits > 1, Language: v.Language, Device: v.Device,
			Browser: v.Browser, OS: v.OS, Referrer: v.Referrer},
		Page:         playbook.Page{URL: page.URL, Path: page.Path(), Title: page.Title},
		AgentsOnline: all, GroupsOnline: byGroup, InHours: site.InHours(now), Now: now,
	}
	if !v.SessionStart.IsZero() {
		env.Visitor.TimeOnSite = int(now.Sub(v.SessionStart).Seconds())
	}
	if !v.PageSince.IsZero() {
		env.Visitor.TimeOnPage = int(now.Sub(v.PageSince).Seconds())
	}
	return env, nil
}

// Hello records the visitor's context and returns the welcome and the events
// after in.LastSeq the visitor may see, in order (the replay). A LastSeq
// beyond the conversation's (a client that knew another conversation) replays
// it all. Hello also repairs what a crash may have left: captures asked for
// but not applied.
func (s *Service) Hello(ctx context.Context, v Visitor, in HelloInput) (Welcome, []Event, error) {
	v, err := s.touch(ctx, v.ID, &in.Page, &in)
	if err != nil {
		return Welcome{}, nil, err
	}
	n, err := s.AgentsOnline(ctx, "")
	if err != nil {
		return Welcome{}, nil, err
	}
	w := Welcome{Online: n > 0, Visitor: v}
	c, err := s.OpenConversation(ctx, v.ID)
	if errors.Is(err, ErrNotFound) {
		return w, []Event{}, nil
	}
	if err != nil {
		return Welcome{}, nil, err
	}
	if err := s.applyCaptures(ctx, c.ID); err != nil {
		s.log.Error("livechat: repair captures", "conversation", c.ID, "err", err)
	}
	// An invisible agent who spoke in this chat is present in it, so a
	// reload must not show the visitor "away".
	if !w.Online {
		if w.Online, err = s.presentIn(ctx, c); err != nil {
			return Welcome{}, nil, err
		}
	}
	after := in.LastSeq
	if after > c.LastSeq || after < 0 {
		after = 0
	}
	evs, err := s.Events(ctx, c.ID, after, true)
	if err != nil {
		return Welcome{}, nil, err
	}
	id := c.ID
	// Events may have been added since c was read; the replay has them.
	w.Conversation, w.Seq = &id, c.LastSeq
	if n := len(evs); n > 0 && evs[n-1].Seq > w.Seq {
		w.Seq = evs[n-1].Seq
	}
	return w, evs, nil
}

// Start starts a playbook for the visitor: playbookSlug names a published
// playbook, or "" lets targeting pick one (trigger "open"). When the visitor
// has an open conversation it is returned instead (one open conversation per
// visitor), unless it is a bot conversation whose flow is over and no agent
// took part: that one is closed and a new one starts.
func (s *Service) Start(ctx context.Context, v Visitor, playbookSlug string, page PageInfo) (Conversation, error) {
	open, err := s.OpenConversation(ctx, v.ID)
	switch {
	case err == nil:
		if !(open.State == StateBot && !open.AgentJoined && (open.PlaybookID == nil || open.Interp.Done || open.Interp.Wait == playbook.WaitNone)) {
			return open, nil
		}
		if _, err := s.close(ctx, open.ID, AuthorSystem, false); err != nil && !errors.Is(err, ErrConflict) {
			return Conversation{}, err
		}
	case !errors.Is(err, ErrNotFound):
		return Conversation{}, err
	}
	// One env for targeting and for the first step: building it costs
	// queries (presence, the site).
	env, err := s.env(ctx, v, page)
	if err != nil {
		return Conversation{}, err
	}
	var pb Playbook
	if playbookSlug == "" {
		site, err := s.cachedSite(ctx, v.SiteID)
		if err != nil {
			return Conversation{}, err
		}
		pick, err := s.pick(ctx, site, v, page, TriggerOpen, env)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return Conversation{}, refused(CodeNotAllowed, "no playbook to start here")
			}
			return Conversation{}, err
		}
		pb = Playbook{ID: pick.PlaybookID, Slug: pick.Slug, PublishedVersion: pick.Version}
	} else if pb, err = s.publishedBySlug(ctx, playbookSlug); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Conversation{}, refused(CodeInvalid, "no playbook %q", playbookSlug)
		}
		return Conversation{}, err
	}
	if pb.PublishedVersion == 0 {
		return Conversation{}, refused(CodeInvalid, "playbook %q is not published", pb.Slug)
	}
	c, _, err := s.create(ctx, v, &pb.ID, pb.PublishedVersion, StateBot, func(ch *change) error {
		return ch.step(playbook.Event{Kind: playbook.EventStart}, env)
	})
	if errors.Is(err, ErrConflict) {
		// Another start won the race for the one open conversation.
		return s.OpenConversation(ctx, v.ID)
	}
	return c, err
}

// openFor returns the visitor's open conversation or a refusal.
func (s *Service) openFor(ctx context.Context, v Visitor) (Conversation, error) {
	c, err := s.OpenConversation(ctx, v.ID)
	if errors.Is(err, ErrNotFound) {
		return Conversation{}, refused(CodeNoConversation, "no open conversation")
	}
	return c, err
}

// byClientID returns the ack of an event already stored with clientID.
func (s *Service) byClientID(ctx context.Context, convID, clientID string) (Ack, bool, error) {
	if clientID == "" {
		return Ack{}, false, nil
	}
	e, ok, err := s.eventByClientID(ctx, s.db, convID, clientID)
	if err != nil || !ok {
		return Ack{}, false, err
	}
	return Ack{ClientID: clientID, Seq: e.Seq}, true, nil
}

// idempotent runs a client frame once per client_id: a resend (sequential
// or racing) gets the first frame's ack. UNIQUE(conversation_id, client_id)
// decides: a resend runs fn again, and storing its event under the same
// client_id fails and rolls the whole step back. A resend is often refused
// before it gets that far (the card it answered no longer waits), so any
// failure with a client_id looks for the first frame's event. The usual,
// first send costs no lookup at all.
//
// c is the conversation as the caller read it: the step runs on it without
// a lock and is redone if it changed meanwhile (updateFrom).
func (s *Service) idempotent(ctx context.Context, c Conversation, clientID string, fn func(ch *change) (Event, error)) (Ack, error) {
	var ack Ack
	convID := c.ID
	_, _, err := s.updateFrom(ctx, c, func(ch *change) error {
		e, err := fn(ch)
		if err != nil {
			return err
		}
		ack = Ack{ClientID: clientID, Seq: e.Seq}
		return nil
	})
	if err != nil && clientID != "" {
		if a, ok, err2 := s.byClientID(ctx, convID, clientID); err2 == nil && ok {
			return a, nil
		}
	}
	return ack, err
}

// Answer answers the question waiting on in.Card. A repeated ClientID gets
// the first ack and creates nothing; an answer to a card that is not
// waiting is a *RefusedError and stores nothing.
func (s *Service) Answer(ctx context.Context, v Visitor, in AnswerInput) (Ack, error) {
	if in.Card == "" {
		return Ack{}, refused(CodeInvalid, "card is required")
	}
	if utf8.RuneCountInString(in.Value) > MaxMessageLen {
		return Ack{}, refused(CodeTooLong, "the answer is longer than %d characters", MaxMessageLen)
	}
	c, err := s.openFor(ctx, v)
	if err != nil {
		return Ack{}, err
	}
	env, err := s.env(ctx, v, PageInfo{})
	if err != nil {
		return Ack{}, err
	}
	return s.idempotent(ctx, c, in.ClientID, func(ch *change) (Event, error) {
		if ch.c.State != StateBot {
			return Event{}, refused(CodeNotWaiting, "the bot is not waiting for an answer")
		}
		p, err := ch.program()
		if err != nil {
			return Event{}, err
		}
		data := map[string]any{"card": in.Card}
		if in.Option != nil {
			data["option"] = *in.Option
			data["label"] = optionLabel(p, in.Card, *in.Option, ch.c.Interp.Language)
		} else {
			data["value"] = in.Value
		}
		if cd := p.Document().Card(in.Card); cd != nil && cd.Type == playbook.CardForm {
			data["field"] = in.Field
		}
		// Step first: a refused answer must store nothing.
		st, effects, err := p.Step(ch.c.Interp, playbook.Event{Kind: playbook.EventAnswer, Card: in.Card, Field: in.Field, Option: in.Option, Value: in.Value}, ch.stepEnv(env))
		if err != nil {
			return Event{}, mapStepError(err)
		}
		e, err := ch.emit(newEvent{kind: KindAnswer, data: data, clientID: in.ClientID, author: AuthorVisitor, visible: true})
		if err != nil {
			return Event{}, err
		}
		ch.c.Interp = st
		return e, ch.apply(effects)
	})
}

func (ch *change) stepEnv(env playbook.Env) playbook.Env {
	env.Version, env.Now = ch.c.PlaybookVersion, ch.now
	return env
}

// optionLabel is the label of a button as the visitor saw it, for the
// transcript.
func optionLabel(p *playbook.Program, card string, option int, lang string) string {
	cd := p.Document().Card(card)
	if cd == nil || option < 0 || option >= len(cd.Options) {
		return ""
	}
	return pickText(cd.Options[option].Label, lang, p.Document().Language)
}

func pickText(t playbook.Text, lang, def string) string {
	for _, want := range []string{lang, def, ""} {
		for _, tr := range t {
			if tr.Lang == want {
				return tr.Text
			}
		}
	}
	if len(t) > 0 {
		return t[0].Text
	}
	return ""
}

func checkText(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", refused(CodeInvalid, "text is required")
	}
	if utf8.RuneCountInString(text) > MaxMessageLen {
		return "", refused(CodeTooLong, "the message is longer than %d characters", MaxMessageLen)
	}
	return text, nil
}

// Message is free text from the visitor: to the bot when it waits for a
// typed answer, else to the agent or the queue. Without an open
// conversation it starts one without playbook, in the offline queue
// (messenger mode), where an agent can claim it.
func (s *Service) Message(ctx context.Context, v Visitor, clientID, text string) (Ack, error) {
	text, err := checkText(text)
	if err != nil {
		return Ack{}, err
	}
	if err := s.preChatGate(ctx, v); err != nil { // prechat.go
		return Ack{}, err
	}
	c, err := s.OpenConversation(ctx, v.ID)
	if errors.Is(err, ErrNotFound) {
		c, _, err = s.create(ctx, v, nil, 0, StateOffline, func(*change) error { return nil })
		if errors.Is(err, ErrConflict) {
			c, err = s.OpenConversation(ctx, v.ID)
		}
	}
	if err != nil {
		return Ack{}, err
	}
	env, err := s.env(ctx, v, PageInfo{})
	if err != nil {
		return Ack{}, err
	}
	return s.idempotent(ctx, c, clientID, func(ch *change) (Event, error) {
		if ch.c.State == StateClosed {
			return Event{}, refused(CodeClosed, "the conversation is closed")
		}
		var st playbook.State
		var effects []playbook.Effect
		toBot := false
		if ch.c.State == StateBot && ch.hasProgram() && ch.c.Interp.Wait == playbook.WaitAnswer {
			p, err := ch.program()
			if err != nil {
				return Event{}, err
			}
			// The interpreter takes the text when a typed answer is
			// waited for; with buttons it leaves the state as it was.
			st, effects, err = p.Step(ch.c.Interp, playbook.Event{Kind: playbook.EventMessage, Value: text}, ch.stepEnv(env))
			toBot = err == nil && (len(effects) > 0 || st.Card != ch.c.Interp.Card || st.Field != ch.c.Interp.Field)
		}
		e, err := ch.emit(newEvent{kind: KindVisitorMessage, data: map[string]any{"text": text}, clientID: clientID, author: AuthorVisitor, visible: true})
		if err != nil {
			return Event{}, err
		}
		if toBot {
			ch.c.Interp = st
			return e, ch.apply(effects)
		}
		if ch.c.State == StateBot && ch.c.Interp.Wait == playbook.WaitNone {
			// Nobody is listening: the flow is over. Queue it for agents.
			ch.c.State = StateOffline
		}
		if ch.c.State != StateBot {
			ch.c.Unread++
		}
		return e, nil
	})
}

// Page records that the visitor moved to another page, tells agents and
// returns the visitor as stored. Only v.ID is used: the rest of the row is
// re-read, so a stale v loses nothing.
func (s *Service) Page(ctx context.Context, v Visitor, page PageInfo) (Visitor, error) {
	v, err := s.touch(ctx, v.ID, &page, nil)
	if err != nil {
		return Visitor{}, err
	}
	f := Frame{VisitorID: v.ID, Agent: agentFrame(0, "visitor.page", map[string]any{"visitor_id": v.ID, "site_id": v.SiteID, "page": page})}
	if c, err := s.OpenConversation(ctx, v.ID); err == nil {
		f.ConversationID, f.State = c.ID, c.State
		if c.AssigneeID != nil {
			f.AssigneeID = *c.AssigneeID
		}
		f.Agent = agentFrame(0, "visitor.page", map[string]any{"visitor_id": v.ID, "site_id": v.SiteID, "conversation_id": c.ID, "page": page})
	}
	s.publish(ctx, f)
	return v, nil
}

// Typing tells agents the visitor is typing (with an optional preview of at
// most 200 characters). It is published, not stored.
func (s *Service) Typing(ctx context.Context, v Visitor, preview string) error {
	c, err := s.openFor(ctx, v)
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(preview) > 200 {
		preview = string([]rune(preview)[:200])
	}
	f := Frame{ConversationID: c.ID, VisitorID: v.ID, State: c.State,
		Agent: agentFrame(0, "visitor.typing", map[string]any{"conversation_id": c.ID, "text": preview})}
	if c.AssigneeID != nil {
		f.AssigneeID = *c.AssigneeID
	}
	s.publish(ctx, f)
	return nil
}

// Read records that the visitor has seen everything up to seq; agents get
// a `read` event (not shown to the visitor). A seq not beyond the last one
// read changes nothing.
func (s *Service) Read(ctx context.Context, v Visitor, seq int64) error {
	c, err := s.openFor(ctx, v)
	if err != nil {
		return err
	}
	if seq <= c.VisitorReadSeq {
		return nil
	}
	_, _, err = s.update(ctx, c.ID, func(ch *change) error {
		if seq > ch.c.LastSeq {
			return refused(CodeInvalid, "seq %d is beyond the conversation", seq)
		}
		res, err := ch.tx.ExecContext(ctx, s.sql.Get("set-visitor-read"), seq, c.ID, seq)
		if err != nil {
			return fmt.Errorf("set read: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		ch.c.VisitorReadSeq = seq
		_, err = ch.emit(newEvent{kind: KindRead, data: map[string]any{"seq": seq}, author: AuthorVisitor})
		return err
	})
	return err
}

// Rate stores the visitor's rating ("up" or "down") and comment (at most
// 1000 characters) on the visitor's latest conversation, if an agent took
// part in it. That conversation is usually closed already: the widget asks
// for the rating when the agent closes the chat. A conversation is rated
// once; a second rating is refused (not_allowed) and changes nothing, so a
// visitor cannot flip an agent's score after the fact.
func (s *Service) Rate(ctx context.Context, v Visitor, value, comment string) error {
	if value != "up" && value != "down" {
		return refused(CodeInvalid, "value must be up or down")
	}
	if utf8.RuneCountInString(comment) > 1000 {
		return refused(CodeTooLong, "the comment is longer than 1000 characters")
	}
	var r convRow
	if err := s.db.GetContext(ctx, &r, s.sql.Get("get-latest-conversation"), v.ID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return refused(CodeNoConversation, "no conversation to rate")
		}
		return fmt.Errorf("latest conversation: %w", err)
	}
	_, _, err := s.update(ctx, r.ID, func(ch *change) error {
		if !ch.c.AgentJoined {
			return refused(CodeNotAllowed, "a rating needs an agent to have taken part")
		}
		if ch.c.Rating != "" {
			return refused(CodeNotAllowed, "this conversation is already rated")
		}
		res, err := ch.tx.ExecContext(ctx, s.sql.Get("set-rating"), value, strings.TrimSpace(comment), ch.c.ID)
		if err != nil {
			return fmt.Errorf("set rating: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return refused(CodeNotAllowed, "this conversation is already rated")
		}
		ch.c.Rating, ch.c.RatingComment = value, strings.TrimSpace(comment)
		ch.agent = append(ch.agent, "conversation.updated")
		return nil
	})
	return err
}

// Restart runs the conversation's playbook again from its start (same
// pinned version). It is refused while a human is requested or present.
func (s *Service) Restart(ctx context.Context, v Visitor) error {
	c, err := s.openFor(ctx, v)
	if err != nil {
		return err
	}
	env, err := s.env(ctx, v, PageInfo{})
	if err != nil {
		return err
	}
	_, _, err = s.update(ctx, c.ID, func(ch *change) error {
		if !ch.hasProgram() {
			return refused(CodeNotAllowed, "this conversation has no playbook")
		}
		if ch.c.State != StateBot && !(ch.c.State == StateOffline && ch.c.AssigneeID == nil) {
			return refused(CodeNotAllowed, "cannot restart while the chat is %s", ch.c.State)
		}
		ch.c.State, ch.c.FinishedAt = StateBot, nil
		return ch.step(playbook.Event{Kind: playbook.EventRestart}, env)
	})
	return err
}
