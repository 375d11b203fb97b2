package livechat

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/parley/parley/playbook"
	"github.com/parley/parley/schema"
)

// Previews: the builder's "try it in the real widget". A signed-in user gets
// a short-lived preview token for a draft (saved or not); the widget, on a
// page the server serves, sends it with its start frame and the socket calls
// StartPreview. A preview conversation runs through the same runtime as a
// real one (change.step, the same events, the same socket), with four
// differences, all decided in this file:
//
//   - its program is the draft stored with it (conversation_previews), not a
//     published version: playbook_id stays NULL, so no playbook counts it;
//   - captures are not applied: a `log` event (agents only) says what would
//     have been created;
//   - agents never see it: no agent frames, and no folder lists it;
//   - it lives on the internal preview site, and goes with the visitor's
//     widget session (EndPreview deletes the visitor and so everything).
//
// Targeting is skipped: the draft starts at its start card, whatever its
// trigger says. A livechat card asks nobody (no agent can see the chat), so
// its wait is capped at PreviewLiveChatWait and the offline flow follows.

// PreviewTokenTTL is how long a preview token can start previews.
const PreviewTokenTTL = 30 * time.Minute

// PreviewLiveChatWait caps a livechat card's wait in a preview: no agent
// can claim a preview, so waiting the full time only delays the offline flow.
const PreviewLiveChatWait = 10 * time.Second

// previewStaleAfter is when a preview visitor left behind (a crash, a socket
// that never closed cleanly) is swept.
const previewStaleAfter = 24 * time.Hour

// PreviewToken is what the API hands the builder.
type PreviewToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// previews is the Service's preview state: the internal site's id (looked
// up once, then cached) and the compiled drafts of running previews.
type previews struct {
	mu       sync.Mutex
	siteID   int64     // 0 until known
	noSiteAt time.Time // when the lookup last found no site: retried after a while
	progs    map[string]*playbook.Program
}

// maxPreviewProgs bounds the cache of compiled drafts; past it the cache is
// emptied and drafts are compiled again from conversation_previews.
const maxPreviewProgs = 512

// previewSiteID returns the internal site's id, or 0 when none exists yet.
// A negative answer is kept for a few seconds so that conversations on a
// server that never ran a preview do not query for it on every change.
func (s *Service) previewSiteID(ctx context.Context, q schema.Queryer) int64 {
	s.pv.mu.Lock()
	id, miss := s.pv.siteID, s.pv.noSiteAt
	s.pv.mu.Unlock()
	if id != 0 || (!miss.IsZero() && time.Since(miss) < 5*time.Second) {
		return id
	}
	if err := q.GetContext(ctx, &id, s.sql.Get("get-preview-site")); err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			s.log.Warn("livechat: preview site", "err", err)
		}
		s.pv.mu.Lock()
		s.pv.noSiteAt = time.Now()
		s.pv.mu.Unlock()
		return 0
	}
	s.pv.mu.Lock()
	s.pv.siteID = id
	s.pv.mu.Unlock()
	return id
}

// IsPreviewSite tells whether siteID is the internal site previews run on.
func (s *Service) IsPreviewSite(ctx context.Context, siteID int64) bool {
	id := s.previewSiteID(ctx, s.db)
	return id != 0 && id == siteID
}

// PreviewSite returns the internal site previews run on, creating it on
// first use (a unique index keeps it to one, also between servers). It is
// not listed by ListSites; its widget texts and appearance are the defaults.
func (s *Service) PreviewSite(ctx context.Context) (Site, error) {
	if id := s.previewSiteID(ctx, s.db); id != 0 {
		site, err := s.GetSite(ctx, id)
		if !errors.Is(err, ErrNotFound) {
			return site, err
		}
		s.pv.mu.Lock()
		s.pv.siteID = 0 // deleted under us: make it again
		s.pv.mu.Unlock()
	}
	now := s.nowUTC()
	var id int64
	err := s.db.GetContext(ctx, &id, s.sql.Get("insert-preview-site"), "preview-"+randomKey(12), "Playbook previews", now, now)
	if err != nil && !schema.IsUniqueViolation(err) {
		return Site{}, fmt.Errorf("create preview site: %w", err)
	}
	s.pv.mu.Lock()
	s.pv.siteID, s.pv.noSiteAt = 0, time.Time{}
	s.pv.mu.Unlock()
	if id = s.previewSiteID(ctx, s.db); id == 0 {
		return Site{}, fmt.Errorf("create preview site: not found after insert")
	}
	return s.GetSite(ctx, id)
}

// CreatePreviewToken stores a preview token for source (the draft as it is
// now) and returns it; playbookID names the saved playbook it drafts, if any.
// An invalid draft is a *ProblemsError. The token is 32 random bytes; only
// its SHA-256 is stored, with its expiry, so a database dump cannot be used
// to run previews, and every server (they share the database) accepts it.
func (s *Service) CreatePreviewToken(ctx context.Context, userID int64, playbookID *int64, source []byte) (PreviewToken, error) {
	if _, _, err := Validate(source); err != nil {
		return PreviewToken{}, err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return PreviewToken{}, fmt.Errorf("preview token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.nowUTC()
	exp := now.Add(PreviewTokenTTL)
	var user *int64
	if userID != 0 {
		user = &userID
	}
	if _, err := s.db.ExecContext(ctx, s.sql.Get("delete-expired-preview-tokens"), now); err != nil {
		s.log.Warn("livechat: sweep preview tokens", "err", err)
	}
	if _, err := s.db.ExecContext(ctx, s.sql.Get("insert-preview-token"), hashToken(tok), user, playbookID, string(source), exp, now); err != nil {
		return PreviewToken{}, fmt.Errorf("insert preview token: %w", err)
	}
	return PreviewToken{Token: tok, ExpiresAt: exp}, nil
}

// PreviewDraft is what a valid preview token stands for.
type PreviewDraft struct {
	PlaybookID *int64
	Source     []byte
	ExpiresAt  time.Time
}

// PreviewByToken returns the draft of a preview token; an unknown or expired
// token is a *RefusedError with CodeNotAllowed.
func (s *Service) PreviewByToken(ctx context.Context, token string) (PreviewDraft, error) {
	if token == "" || len(token) > 100 {
		return PreviewDraft{}, refused(CodeNotAllowed, "unknown or expired preview token")
	}
	var r struct {
		PlaybookID sql.NullInt64 `db:"playbook_id"`
		Source     string        `db:"source"`
		ExpiresAt  time.Time     `db:"expires_at"`
	}
	err := s.db.GetContext(ctx, &r, s.sql.Get("get-preview-token"), hashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return PreviewDraft{}, refused(CodeNotAllowed, "unknown or expired preview token")
	}
	if err != nil {
		return PreviewDraft{}, fmt.Errorf("preview token: %w", err)
	}
	if !s.nowUTC().Before(r.ExpiresAt.UTC()) {
		return PreviewDraft{}, refused(CodeNotAllowed, "unknown or expired preview token")
	}
	return PreviewDraft{PlaybookID: nullInt(r.PlaybookID), Source: []byte(r.Source), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// StartPreviewToken starts a preview of the draft a preview token stands
// for; see StartPreview.
func (s *Service) StartPreviewToken(ctx context.Context, v Visitor, token string, page PageInfo) (Conversation, error) {
	d, err := s.PreviewByToken(ctx, token)
	if err != nil {
		return Conversation{}, err
	}
	return s.startPreview(ctx, v, d.PlaybookID, d.Source, page)
}

// StartPreview starts a conversation of visitor v (a visitor of the preview
// site) on the draft source, at its start card, with no targeting. An
// invalid draft is a *ProblemsError. Like Start, an open conversation whose
// flow is not over is returned instead.
func (s *Service) StartPreview(ctx context.Context, v Visitor, source []byte, page PageInfo) (Conversation, error) {
	return s.startPreview(ctx, v, nil, source, page)
}

func (s *Service) startPreview(ctx context.Context, v Visitor, playbookID *int64, source []byte, page PageInfo) (Conversation, error) {
	prog, _, err := Validate(source)
	if err != nil {
		return Conversation{}, err
	}
	if !s.IsPreviewSite(ctx, v.SiteID) {
		return Conversation{}, refused(CodeNotAllowed, "previews run on the preview site only")
	}
	if _, err := s.db.ExecContext(ctx, s.sql.Get("delete-stale-preview-visitors"), v.SiteID, s.nowUTC().Add(-previewStaleAfter)); err != nil {
		s.log.Warn("livechat: sweep preview visitors", "err", err)
	}
	open, err := s.OpenConversation(ctx, v.ID)
	switch {
	case err == nil:
		if open.State != StateClosed && !open.Interp.Done && open.Interp.Wait != playbook.WaitNone && open.FinishedAt == nil {
			return open, nil
		}
		if _, err := s.close(ctx, open.ID, AuthorSystem, false); err != nil && !errors.Is(err, ErrConflict) {
			return Conversation{}, err
		}
	case !errors.Is(err, ErrNotFound):
		return Conversation{}, err
	}
	env, err := s.env(ctx, v, page)
	if err != nil {
		return Conversation{}, err
	}
	c, _, err := s.create(ctx, v, nil, 0, StateBot, func(ch *change) error {
		if _, err := ch.tx.ExecContext(ctx, s.sql.Get("insert-conversation-preview"), ch.c.ID, playbookID, string(source), ch.now); err != nil {
			return fmt.Errorf("insert preview: %w", err)
		}
		s.cachePreviewProgram(ch.c.ID, prog)
		ch.prog = prog
		return ch.step(playbook.Event{Kind: playbook.EventStart}, env)
	})
	if errors.Is(err, ErrConflict) {
		return s.OpenConversation(ctx, v.ID)
	}
	return c, err
}

// PreviewBot is the bot of a preview conversation's draft (nil when the
// draft names none, or the conversation is no preview), for the widget's header.
func (s *Service) PreviewBot(ctx context.Context, c Conversation) *playbook.Bot {
	if c.PlaybookID != nil || !s.IsPreviewSite(ctx, c.SiteID) {
		return nil
	}
	p, ok, err := s.previewProgram(ctx, s.db, c.ID)
	if err != nil || !ok {
		return nil
	}
	return p.Document().Bot
}

// EndPreview ends a preview with the visitor's widget session: the preview
// visitor is deleted, and with it its conversations, events and timers. A
// visitor of any other site is left alone.
func (s *Service) EndPreview(ctx context.Context, v Visitor) error {
	if !s.IsPreviewSite(ctx, v.SiteID) {
		return nil
	}
	if c, err := s.OpenConversation(ctx, v.ID); err == nil {
		s.pv.mu.Lock()
		delete(s.pv.progs, c.ID)
		s.pv.mu.Unlock()
	}
	if _, err := s.db.ExecContext(ctx, s.sql.Get("delete-preview-visitor"), v.ID, v.SiteID); err != nil {
		return fmt.Errorf("end preview: %w", err)
	}
	return nil
}

func (s *Service) cachePreviewProgram(convID string, p *playbook.Program) {
	s.pv.mu.Lock()
	defer s.pv.mu.Unlock()
	if s.pv.progs == nil || len(s.pv.progs) >= maxPreviewProgs {
		s.pv.progs = map[string]*playbook.Program{}
	}
	s.pv.progs[convID] = p
}

// previewProgram returns the compiled draft of a preview conversation; ok
// is false when convID is no preview.
func (s *Service) previewProgram(ctx context.Context, q schema.Queryer, convID string) (*playbook.Program, bool, error) {
	s.pv.mu.Lock()
	p := s.pv.progs[convID]
	s.pv.mu.Unlock()
	if p != nil {
		return p, true, nil
	}
	var src string
	if err := q.GetContext(ctx, &src, s.sql.Get("get-conversation-preview"), convID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("get preview: %w", err)
	}
	p, _, err := Validate([]byte(src))
	if err != nil {
		return nil, false, fmt.Errorf("preview %s no longer compiles: %w", convID, err)
	}
	s.cachePreviewProgram(convID, p)
	return p, true, nil
}

// The seams the runtime calls (step.go, runtime.go, timers.go).

// isPreview tells whether the change is on a preview conversation.
func (ch *change) isPreview() bool {
	return ch.c.PlaybookID == nil && ch.s.previewSiteID(ch.ctx, ch.reader()) == ch.c.SiteID && ch.c.SiteID != 0
}

// hasProgram tells whether the conversation runs a program: a published
// version, or a preview's draft.
func (ch *change) hasProgram() bool { return ch.c.PlaybookID != nil || ch.isPreview() }

// previewProgramOf is change.program for a preview conversation; ok is
// false when it is none.
func (ch *change) previewProgramOf() (*playbook.Program, bool, error) {
	if !ch.isPreview() {
		return nil, false, nil
	}
	return ch.s.previewProgram(ch.ctx, ch.reader(), ch.c.ID)
}

// previewEffect applies an effect the way a preview does, when it differs
// from a real conversation: a capture creates nothing and leaves a note for
// agents-only views (the transcript); a livechat request waits at most
// PreviewLiveChatWait. done is false for everything else, and always
// outside previews.
func (ch *change) previewEffect(eff playbook.Effect) (done bool, err error) {
	switch e := eff.(type) {
	case playbook.Capture:
		if !ch.isPreview() {
			return false, nil
		}
		_, err := ch.emit(newEvent{kind: KindLog, author: AuthorSystem, data: map[string]any{
			"card": e.Card, "message": "capture skipped in preview", "preview": true, "would_create": e}})
		return true, err
	case playbook.RequestLiveChat:
		if !ch.isPreview() || e.Wait <= PreviewLiveChatWait {
			return false, nil
		}
		e.Wait = PreviewLiveChatWait
		return true, ch.requestLiveChat(e)
	}
	return false, nil
}

// previewHidden tells afterCommit that agents get no frames of c:
// it is a preview.
func (s *Service) previewHidden(ctx context.Context, c Conversation) bool {
	return c.PlaybookID == nil && c.SiteID != 0 && s.previewSiteID(ctx, s.db) == c.SiteID
}

// runningPreview tells whether convID is a preview this process runs (its
// draft is cached here): publish drops agent frames of previews made outside
// afterCommit (typing), without a query.
func (s *Service) runningPreview(convID string) bool {
	if convID == "" {
		return false
	}
	s.pv.mu.Lock()
	defer s.pv.mu.Unlock()
	return s.pv.progs[convID] != nil
}
