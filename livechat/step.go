package livechat

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/parley/parley/playbook"
	"github.com/parley/parley/schema"
)

// change is one transaction on one conversation: it holds the row lock,
// collects the events it stores and, once committed, publishes them.
type change struct {
	s      *Service
	ctx    context.Context
	tx     *schema.Tx
	c      Conversation
	before Conversation
	now    time.Time
	events []Event
	prog   *playbook.Program // loaded lazily for the pinned version
	timer  bool              // a timer was created: wake Run
	// The live chat deadline, written by save with the conversation:
	// cancel the pending one, and/or create one due at deadline.
	cancelDeadline bool
	deadline       *time.Time
	fresh          bool     // not stored yet: save inserts it (create)
	capt           bool     // a capture was recorded: apply it after the commit
	agent          []string // extra agent events: conversation.created, .assigned, .closed, .updated
}

// newUUID makes a random (version 4) UUID for conversation ids: not
// guessable and not a count of the workspace's chats.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// update runs fn on conversation id inside one transaction holding its row
// lock, saves the conversation, commits, then publishes the stored events
// and applies the captures the step asked for.
func (s *Service) update(ctx context.Context, id string, fn func(ch *change) error) (Conversation, []Event, error) {
	unlock := s.lock(id)
	var ch *change
	err := schema.WithTx(ctx, s.db, func(tx *schema.Tx) error {
		var r convRow
		if err := tx.GetContext(ctx, &r, s.sql.Get("lock-conversation"), id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("conversation", id)
			}
			return fmt.Errorf("lock conversation: %w", err)
		}
		c, err := r.conversation()
		if err != nil {
			return fmt.Errorf("conversation %s: %w", id, err)
		}
		ch = &change{s: s, ctx: ctx, tx: tx, c: c, before: c, now: s.nowUTC()}
		if err := fn(ch); err != nil {
			return err
		}
		return ch.save()
	})
	if err != nil {
		unlock()
		return Conversation{}, nil, err
	}
	s.afterCommit(ctx, ch, unlock)
	return ch.c, ch.events, nil
}

// optimisticTries is how often updateFrom redoes a step whose conversation
// another server saved in between, before it waits for the row lock.
const optimisticTries = 3

// updateFrom is update without a transaction held across the step, for the
// frames that come by the thousand (visitor and agent messages, answers):
// fn runs on c as the caller read it, and the result is written in one
// statement (PostgreSQL) only if the conversation's version is still c's.
// On PostgreSQL that is two round trips for a message (the caller's read
// and the write) instead of six. When the version moved on (another server,
// or a read from before this process's lock), the step is redone on a
// fresh read. A step that needs a transaction (a timer, a capture: any
// write through ch.tx) gets schema.ErrNoTx and is redone by update, under
// the row lock. fn may run more than once, so it must only act through ch.
func (s *Service) updateFrom(ctx context.Context, c Conversation, fn func(ch *change) error) (Conversation, []Event, error) {
	unlock := s.lock(c.ID)
	for try := 0; ; try++ {
		if try > 0 {
			var err error
			if c, err = s.GetConversation(ctx, c.ID); err != nil {
				unlock()
				return Conversation{}, nil, err
			}
		}
		ch := &change{s: s, ctx: ctx, c: c, before: c, now: s.nowUTC()}
		err := fn(ch)
		if err == nil {
			err = ch.save()
		}
		switch {
		case err == nil:
			s.afterCommit(ctx, ch, unlock)
			return ch.c, ch.events, nil
		case errors.Is(err, errStale) && try+1 < optimisticTries:
			continue
		case errors.Is(err, errStale), errors.Is(err, schema.ErrNoTx):
			unlock()
			return s.update(ctx, c.ID, fn)
		default:
			unlock()
			return Conversation{}, nil, err
		}
	}
}

// errStale: the conversation was saved by someone else since the step read it.
var errStale = errors.New("livechat: conversation changed meanwhile")

// create makes a new conversation and runs fn on it, written with the
// step in one statement (PostgreSQL) or one short transaction (SQLite). A
// step that needs a transaction is redone by createLocked. ErrConflict when
// the visitor already has an open one (the partial unique index decides,
// also between racing servers).
func (s *Service) create(ctx context.Context, v Visitor, pb *int64, version int, state string, fn func(ch *change) error) (Conversation, []Event, error) {
	id := newUUID()
	unlock := s.lock(id)
	now := s.nowUTC()
	c := Conversation{ID: id, State: state, SiteID: v.SiteID, VisitorID: v.ID, PlaybookID: pb, PlaybookVersion: version, AddTime: now, LastEventAt: now}
	ch := &change{s: s, ctx: ctx, c: c, before: c, now: now, fresh: true}
	ch.before.State = "" // created, not updated: no conversation.updated on top
	ch.agent = append(ch.agent, "conversation.created")
	err := s.seedPreChat(ch, v) // prechat.go
	if err == nil {
		err = fn(ch)
	}
	if err == nil {
		err = ch.save()
	}
	switch {
	case err == nil:
		s.afterCommit(ctx, ch, unlock)
		return ch.c, ch.events, nil
	case errors.Is(err, schema.ErrNoTx):
		unlock()
		return s.createLocked(ctx, v, pb, version, state, fn)
	case schema.IsUniqueViolation(err):
		unlock()
		return Conversation{}, nil, conflict("visitor %d has an open conversation", v.ID)
	default:
		unlock()
		return Conversation{}, nil, err
	}
}

// createLocked is create in a transaction, for a first step that needs one.
func (s *Service) createLocked(ctx context.Context, v Visitor, pb *int64, version int, state string, fn func(ch *change) error) (Conversation, []Event, error) {
	id := newUUID()
	unlock := s.lock(id)
	var ch *change
	err := schema.WithTx(ctx, s.db, func(tx *schema.Tx) error {
		now := s.nowUTC()
		if _, err := tx.ExecContext(ctx, s.sql.Get("insert-conversation"), id, v.SiteID, v.ID, pb, version, state, now, now); err != nil {
			if schema.IsUniqueViolation(err) {
				return conflict("visitor %d has an open conversation", v.ID)
			}
			return fmt.Errorf("insert conversation: %w", err)
		}
		c := Conversation{ID: id, State: state, SiteID: v.SiteID, VisitorID: v.ID, PlaybookID: pb, PlaybookVersion: version, AddTime: now, LastEventAt: now}
		ch = &change{s: s, ctx: ctx, tx: tx, c: c, before: c, now: now}
		ch.before.State = ""
		ch.agent = append(ch.agent, "conversation.created")
		if err := s.seedPreChat(ch, v); err != nil {
			return err
		}
		if err := fn(ch); err != nil {
			return err
		}
		return ch.save()
	})
	if err != nil {
		unlock()
		return Conversation{}, nil, err
	}
	s.afterCommit(ctx, ch, unlock)
	return ch.c, ch.events, nil
}

// reader is where the step reads: its transaction, or the database when it
// runs without one (updateFrom).
func (ch *change) reader() schema.Queryer {
	if ch.tx != nil {
		return ch.tx
	}
	return ch.s.db
}

// save writes the conversation over the version the step read, with the
// events and the deadline the step made: one statement on PostgreSQL, in
// ch.tx or on its own; on SQLite a short transaction of its own when the
// step has none. A fresh conversation is inserted. errStale when the
// version moved on; nothing is written then.
func (ch *change) save() error {
	interp, err := json.Marshal(ch.c.Interp)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	c := ch.c
	args := []any{c.State, string(interp), c.AssigneeID, c.Group, c.Deadline, c.HandedOver, c.FinishedAt,
		c.AgentJoined, c.Unread, c.ClosedAt, c.LastSeq, c.LastEventAt}
	switch {
	case ch.s.db.Dialect == schema.Postgres:
		err = ch.savePostgres(args)
	case ch.tx != nil:
		err = ch.saveSQLite(ch.tx, args)
	default:
		err = schema.WithTx(ch.ctx, ch.s.db, func(tx *schema.Tx) error { return ch.saveSQLite(tx, args) })
	}
	if err != nil {
		return err
	}
	ch.c.Version = ch.before.Version + 1
	return nil
}

func (ch *change) savePostgres(args []any) error {
	c, query := ch.c, "save-conversation-events"
	if ch.fresh {
		query = "create-conversation-events"
		args = append(args, c.ID, c.SiteID, c.VisitorID, c.PlaybookID, c.PlaybookVersion, c.AddTime)
	} else {
		args = append(args, c.ID, ch.before.Version)
	}
	n := len(ch.events)
	seqs, kinds, data, cids, authors, visible := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]bool, n)
	for i, e := range ch.events {
		seqs[i], kinds[i], data[i], authors[i], visible[i] = e.Seq, e.Kind, e.DataText, e.Author, e.VisibleToVisitor
		if e.ClientID != nil {
			cids[i] = *e.ClientID
		}
	}
	args = append(args, ch.now, pq.Array(seqs), pq.Array(kinds), pq.Array(data), pq.Array(cids), pq.Array(authors), pq.Array(visible))
	if !ch.fresh {
		args = append(args, ch.cancelDeadline, TimerLiveChatDeadline)
	}
	args = append(args, TimerLiveChatDeadline, ch.deadline, ch.now, ch.deadline)
	rows, err := ch.reader().QueryxContext(ch.ctx, ch.s.sql.Get(query), args...)
	if err != nil {
		return fmt.Errorf("save conversation: %w", err)
	}
	defer rows.Close()
	saved := false
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return fmt.Errorf("save conversation: %w", err)
		}
		if id == 0 {
			saved = true
			continue
		}
		for i := range ch.events {
			if ch.events[i].Seq == seq {
				ch.events[i].ID = id
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("save conversation: %w", err)
	}
	if !saved {
		return errStale
	}
	return nil
}

func (ch *change) saveSQLite(tx *schema.Tx, args []any) error {
	c := ch.c
	if ch.fresh {
		if _, err := tx.ExecContext(ch.ctx, ch.s.sql.Get("insert-conversation"), c.ID, c.SiteID, c.VisitorID, c.PlaybookID, c.PlaybookVersion, c.State, c.AddTime, c.AddTime); err != nil {
			return fmt.Errorf("insert conversation: %w", err)
		}
	}
	res, err := tx.ExecContext(ch.ctx, ch.s.sql.Get("save-conversation"), append(args, c.ID, ch.before.Version)...)
	if err != nil {
		return fmt.Errorf("save conversation: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("save conversation: %w", err)
	} else if n == 0 {
		return errStale
	}
	for i := range ch.events {
		if err := ch.s.insertEvent(ch.ctx, tx, &ch.events[i]); err != nil {
			return err
		}
	}
	if ch.cancelDeadline {
		if _, err := tx.ExecContext(ch.ctx, ch.s.sql.Get("cancel-timers"), c.ID, TimerLiveChatDeadline); err != nil {
			return fmt.Errorf("cancel timers: %w", err)
		}
	}
	if ch.deadline != nil {
		if _, err := tx.ExecContext(ch.ctx, ch.s.sql.Get("insert-timer"), TimerLiveChatDeadline, c.ID, *ch.deadline, ch.now); err != nil {
			return fmt.Errorf("insert timer: %w", err)
		}
	}
	return nil
}

// emit numbers one event of the conversation; save stores it.
func (ch *change) emit(ev newEvent) (Event, error) {
	e, err := newStoredEvent(ch.c.ID, ch.c.LastSeq+1, ev, ch.now)
	if err != nil {
		return Event{}, err
	}
	ch.c.LastSeq, ch.c.LastEventAt = e.Seq, ch.now
	ch.events = append(ch.events, e)
	return e, nil
}

// program returns the compiled version the conversation is pinned to.
func (ch *change) program() (*playbook.Program, error) {
	if ch.prog != nil {
		return ch.prog, nil
	}
	if ch.c.PlaybookID == nil {
		if p, ok, err := ch.previewProgramOf(); ok || err != nil { // a preview runs its draft (preview.go)
			ch.prog = p
			return p, err
		}
		return nil, refused(CodeNotWaiting, "this conversation has no playbook")
	}
	p, err := ch.s.program(ch.ctx, ch.reader(), *ch.c.PlaybookID, ch.c.PlaybookVersion)
	if err != nil {
		return nil, err
	}
	ch.prog = p
	return p, nil
}

// step feeds one event to the interpreter and stores its effects. A refused
// event changes nothing and returns a *RefusedError.
func (ch *change) step(ev playbook.Event, env playbook.Env) error {
	p, err := ch.program()
	if err != nil {
		return err
	}
	env.Version = ch.c.PlaybookVersion
	env.Now = ch.now
	st, effects, err := p.Step(ch.c.Interp, ev, env)
	if err != nil {
		return mapStepError(err)
	}
	ch.c.Interp = st
	return ch.apply(effects)
}

// apply stores the interpreter's effects as events and moves the
// conversation's state accordingly. Captures are only recorded here (in
// the same transaction, so none is lost); they run after the commit.
func (ch *change) apply(effects []playbook.Effect) error {
	bot := func(kind string, data any) error {
		_, err := ch.emit(newEvent{kind: kind, data: data, author: AuthorBot, visible: true})
		return err
	}
	for _, eff := range effects {
		if done, err := ch.previewEffect(eff); done || err != nil { // captures and waits differ in previews (preview.go)
			if err != nil {
				return err
			}
			continue
		}
		var err error
		switch e := eff.(type) {
		case playbook.Message:
			err = bot(KindBotMessage, map[string]any{"card": e.Card, "text": e.Text, "html": e.HTML})
		case playbook.Ask:
			d := map[string]any{"card": e.Card, "text": e.Text, "html": e.HTML, "required": e.Required}
			if len(e.Options) > 0 {
				d["options"] = e.Options
			} else {
				d["input"] = e.Input
			}
			if e.Field >= 0 {
				d["field"] = e.Field
			}
			if e.Value != "" {
				d["value"] = e.Value
			}
			err = bot(KindQuestion, d)
		case playbook.Invalid:
			d := map[string]any{"card": e.Card, "text": e.Text, "html": e.HTML}
			if e.Field >= 0 {
				d["field"] = e.Field
			}
			err = bot(KindInvalid, d)
		case playbook.RequestLiveChat:
			err = ch.requestLiveChat(e)
		case playbook.OfflineNotice:
			ch.c.HandedOver = true
			if ch.c.State == StateWaiting || ch.c.State == StateBot {
				ch.c.State = StateOffline
			}
			ch.c.Deadline = nil
			ch.cancelDeadline, ch.deadline = true, nil // save cancels the pending one
			err = bot(KindOffline, map[string]any{"card": e.Card, "text": e.Text, "html": e.HTML})
		case playbook.Capture:
			var b []byte
			if b, err = json.Marshal(e); err == nil {
				_, err = ch.tx.ExecContext(ch.ctx, ch.s.sql.Get("insert-capture"), ch.c.ID, e.Card, string(b), ch.now)
				ch.capt = true
			}
		case playbook.End:
			t := ch.now
			ch.c.FinishedAt = &t
			err = bot(KindEnd, map[string]any{"card": e.Card, "text": e.Text, "html": e.HTML, "restart": e.Restart})
		case playbook.Log:
			_, err = ch.emit(newEvent{kind: KindLog, data: map[string]any{"card": e.Card, "message": e.Message}, author: AuthorSystem})
		default:
			err = fmt.Errorf("unknown effect %T", eff)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// requestLiveChat puts the conversation in the queue with a deadline row:
// the deadline survives a restart and fires once whichever server claims it.
func (ch *change) requestLiveChat(e playbook.RequestLiveChat) error {
	due := ch.now.Add(e.Wait)
	ch.c.State, ch.c.Group, ch.c.Deadline, ch.c.HandedOver = StateWaiting, e.Group, &due, true
	ch.deadline, ch.timer = &due, true // save stores the timer row
	_, err := ch.emit(newEvent{kind: KindWaiting, author: AuthorBot, visible: true, data: map[string]any{
		"card": e.Card, "wait": int(e.Wait / time.Second), "group": e.Group, "text": e.OnlineMessage, "html": e.OnlineHTML}})
	return err
}

// afterCommit publishes what the transaction stored (still under the
// conversation's lock, so frames go out in seq order), releases the lock,
// wakes the timer loop and applies the captures the step recorded.
// Failures here are logged: the events are stored, clients resume by seq,
// and captures are retried on hello and by Run.
func (s *Service) afterCommit(ctx context.Context, ch *change, unlock func()) {
	c := ch.c
	hidden := s.previewHidden(ctx, c) // agents never see previews (preview.go)
	for _, e := range ch.events {
		f := Frame{ConversationID: c.ID, VisitorID: c.VisitorID, State: c.State, EventID: e.ID, Seq: e.Seq, Agent: e.AgentFrame()}
		if hidden {
			f.Agent = nil
		}
		if c.AssigneeID != nil {
			f.AssigneeID = *c.AssigneeID
		}
		if e.VisibleToVisitor {
			f.Visitor = e.VisitorFrame()
		}
		s.publish(ctx, f)
	}
	notes := ch.agent
	if hidden {
		notes = nil
	} else if ch.before.State != "" && (c.State != ch.before.State || !sameID(c.AssigneeID, ch.before.AssigneeID) || c.Unread != ch.before.Unread) {
		notes = append(notes, "conversation.updated")
	}
	var lastID int64
	if n := len(ch.events); n > 0 {
		lastID = ch.events[n-1].ID
	}
	for _, n := range notes {
		f := Frame{ConversationID: c.ID, VisitorID: c.VisitorID, State: c.State, EventID: lastID, Agent: agentFrame(lastID, n, c)}
		if c.AssigneeID != nil {
			f.AssigneeID = *c.AssigneeID
		}
		s.publish(ctx, f)
	}
	unlock()
	if ch.timer {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	if !ch.capt {
		return
	}
	if err := s.applyCaptures(ctx, c.ID); err != nil {
		s.log.Error("livechat: apply captures", "conversation", c.ID, "err", err)
	}
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func (s *Service) publish(ctx context.Context, f Frame) {
	if f.Agent != nil && s.runningPreview(f.ConversationID) { // typing in a preview: not for agents (preview.go)
		if f.Agent = nil; f.Visitor == nil {
			return
		}
	}
	if err := s.bus.Publish(ctx, f); err != nil {
		s.log.Warn("livechat: publish", "conversation", f.ConversationID, "err", err)
	}
}
