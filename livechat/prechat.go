package livechat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/parley/parley/playbook"
)

// The pre-chat form: a site's PreChat settings ask the visitor for a few
// contact fields before (or, unless RequireBeforeMessages, alongside) the
// chat. The answers are kept on the visitor; a conversation open at the time,
// or created later, gets them as a `prechat {fields}` event and in its
// interpreter state (person, organization), so the side panel and a capture
// card use them as they use what the bot asked.

// CodePreChatRequired refuses a visitor's message on a site that accepts
// messages only once the pre-chat form is filled; the widget shows the form.
const CodePreChatRequired = "prechat_required"

// MaxPreChatLen is the longest pre-chat value, in characters.
const MaxPreChatLen = 200

// PreChat validates and stores the visitor's pre-chat answers (by field
// name: person.name, person.email, person.phone, organization.name). A bad
// value is a *RefusedError (code invalid) naming the field, and nothing is
// stored. With an open conversation the ack is its `prechat` event's (and a
// resend with the same clientID gets it again); without one, seq is 0.
func (s *Service) PreChat(ctx context.Context, v Visitor, clientID string, fields map[string]string) (Ack, error) {
	site, err := s.cachedSite(ctx, v.SiteID)
	if err != nil {
		return Ack{}, err
	}
	vals, err := checkPreChat(site.PreChat, fields)
	if err != nil {
		return Ack{}, err
	}
	if _, err := s.db.ExecContext(ctx, s.sql.Get("set-visitor-prechat"), mustJSON(vals), s.nowUTC(), v.ID); err != nil {
		return Ack{}, fmt.Errorf("set pre-chat: %w", err)
	}
	c, err := s.OpenConversation(ctx, v.ID)
	if errors.Is(err, ErrNotFound) {
		return Ack{ClientID: clientID}, nil // a conversation created later gets them (seedPreChat)
	}
	if err != nil {
		return Ack{}, err
	}
	return s.idempotent(ctx, c, clientID, func(ch *change) (Event, error) {
		return ch.preChatEvent(vals, clientID)
	})
}

// preChatEvent puts the answers into the conversation's state and stores
// the `prechat` event, seen by the visitor and agents.
func (ch *change) preChatEvent(vals map[string]string, clientID string) (Event, error) {
	st := &ch.c.Interp
	for k, v := range vals {
		obj, key, _ := strings.Cut(k, ".")
		m := &st.Person
		if obj == "organization" {
			m = &st.Organization
		}
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[key] = v
	}
	return ch.emit(newEvent{kind: KindPreChat, data: map[string]any{"fields": vals}, clientID: clientID, author: AuthorVisitor, visible: true})
}

// seedPreChat gives a new conversation the visitor's pre-chat answers,
// before its playbook starts (a capture card at the start sees them). Free
// on a site without the form: the site is cached.
func (s *Service) seedPreChat(ch *change, v Visitor) error {
	site, err := s.cachedSite(ch.ctx, v.SiteID)
	if err != nil || !site.PreChat.Enabled {
		return err
	}
	vals, filled, err := s.preChatOf(ch.ctx, ch.reader(), v.ID)
	if err != nil || !filled || len(vals) == 0 {
		return err
	}
	_, err = ch.preChatEvent(vals, "")
	return err
}

// preChatGate refuses a visitor's message while the site requires the
// form and the visitor has not filled it.
func (s *Service) preChatGate(ctx context.Context, v Visitor) error {
	site, err := s.cachedSite(ctx, v.SiteID)
	if err != nil {
		return err
	}
	if pc := site.PreChat; !pc.Enabled || !pc.RequireBeforeMessages || len(pc.Fields) == 0 {
		return nil
	}
	_, filled, err := s.preChatOf(ctx, s.db, v.ID)
	if err != nil || filled {
		return err
	}
	return &RefusedError{Code: CodePreChatRequired, Message: "fill in the form before sending messages"}
}

// PreChatOf returns the visitor's pre-chat answers and whether the form was
// filled at all.
func (s *Service) PreChatOf(ctx context.Context, visitorID int64) (map[string]string, bool, error) {
	return s.preChatOf(ctx, s.db, visitorID)
}

func (s *Service) preChatOf(ctx context.Context, q sqlx.QueryerContext, visitorID int64) (map[string]string, bool, error) {
	var r struct {
		PreChat string       `db:"pre_chat"`
		At      sql.NullTime `db:"pre_chat_at"`
	}
	if err := sqlx.GetContext(ctx, q, &r, s.sql.Get("get-visitor-prechat"), visitorID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, notFound("visitor", visitorID)
		}
		return nil, false, fmt.Errorf("get pre-chat: %w", err)
	}
	vals := map[string]string{}
	_ = json.Unmarshal([]byte(r.PreChat), &vals) // written by us
	return vals, r.At.Valid, nil
}

func invalidField(name, format string, args ...any) error {
	return &RefusedError{Code: CodeInvalid, Field: name, Message: name + ": " + fmt.Sprintf(format, args...)}
}

// checkPreChat validates the answers against the site's form: known field
// names only, required ones present, emails and phone numbers as the
// playbook's inputs accept them (and normalized the same way), at most
// MaxPreChatLen characters. Empty optional fields are left out.
func checkPreChat(pc PreChat, in map[string]string) (map[string]string, error) {
	if !pc.Enabled || len(pc.Fields) == 0 {
		return nil, refused(CodeNotAllowed, "this site has no pre-chat form")
	}
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if !slices.ContainsFunc(pc.Fields, func(f PreChatField) bool { return f.Name == k }) {
			return nil, invalidField(clip(k, 40), "is not a field of this form")
		}
	}
	out := map[string]string{}
	for _, f := range pc.Fields {
		v := strings.TrimSpace(in[f.Name])
		if v == "" {
			if f.Required {
				return nil, invalidField(f.Name, "is required")
			}
			continue
		}
		if utf8.RuneCountInString(v) > MaxPreChatLen {
			return nil, invalidField(f.Name, "is longer than %d characters", MaxPreChatLen)
		}
		switch f.Name {
		case "person.email":
			n, ok := playbook.CheckInput(playbook.InputEmail, v, "")
			if !ok {
				return nil, invalidField(f.Name, "is not a valid email address")
			}
			v = n.(string)
		case "person.phone":
			n, ok := playbook.CheckInput(playbook.InputPhone, v, "")
			if !ok {
				return nil, invalidField(f.Name, "is not a valid phone number")
			}
			v = n.(string)
		default:
			v = strings.Join(strings.Fields(v), " ")
		}
		out[f.Name] = v
	}
	return out, nil
}
