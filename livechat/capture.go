package livechat

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/parley/parley/playbook"
)

// captureResult is what the CRM created (or had created) for one capture card.
type captureResult struct {
	LeadID   *string `json:"lead_id,omitempty"`
	DealID   *int64  `json:"deal_id,omitempty"`
	PersonID *int64  `json:"person_id,omitempty"`
	OrgID    *int64  `json:"org_id,omitempty"`
}

type pendingCapture struct {
	ConversationID string `db:"conversation_id"`
	Card           string `db:"card"`
	Effect         string `db:"effect"`
}

// applyCaptures runs the captures a conversation's steps recorded and that
// are not done yet. crm.Capture is at most once per (conversation, card) by
// its own unique key, so running one again after a crash (or on two servers
// at once) returns what the first run created; finishing the row is a
// conditional update, so only one run stores the `captured` event.
func (s *Service) applyCaptures(ctx context.Context, conversationID string) error {
	var ps []pendingCapture
	if err := s.db.SelectContext(ctx, &ps, s.sql.Get("list-pending-captures"), conversationID); err != nil {
		return fmt.Errorf("pending captures: %w", err)
	}
	return s.runCaptures(ctx, ps)
}

// retryCaptures repairs captures left pending in any conversation (a
// crash, or the CRM failing); Run calls it now and then.
func (s *Service) retryCaptures(ctx context.Context) error {
	var ps []pendingCapture
	if err := s.db.SelectContext(ctx, &ps, s.sql.Get("list-all-pending-captures")); err != nil {
		return fmt.Errorf("pending captures: %w", err)
	}
	return s.runCaptures(ctx, ps)
}

func (s *Service) runCaptures(ctx context.Context, ps []pendingCapture) error {
	for _, p := range ps {
		var eff playbook.Capture
		if err := json.Unmarshal([]byte(p.Effect), &eff); err != nil {
			return fmt.Errorf("capture %s/%s: %w", p.ConversationID, p.Card, err)
		}
		c, err := s.GetConversation(ctx, p.ConversationID)
		if err != nil {
			return err
		}
		note := eff.Note
		if eff.DefaultNote {
			if note, err = s.Transcript(ctx, c.ID); err != nil {
				return err
			}
		}
		res, err := s.crmCapture(ctx, c, eff, note)
		if err != nil {
			return fmt.Errorf("capture %s/%s: %w", p.ConversationID, p.Card, err)
		}
		_, _, err = s.update(ctx, c.ID, func(ch *change) error {
			r, err := ch.tx.ExecContext(ctx, s.sql.Get("finish-capture"), c.ID, p.Card)
			if err != nil {
				return fmt.Errorf("finish capture: %w", err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return nil // another run finished it
			}
			if _, err := ch.tx.ExecContext(ctx, s.sql.Get("set-conversation-capture"), res.LeadID, res.DealID, res.PersonID, res.OrgID, c.ID); err != nil {
				return fmt.Errorf("set capture ids: %w", err)
			}
			ch.c.LeadID, ch.c.DealID = orStr(res.LeadID, ch.c.LeadID), orInt(res.DealID, ch.c.DealID)
			ch.c.PersonID, ch.c.OrgID = orInt(res.PersonID, ch.c.PersonID), orInt(res.OrgID, ch.c.OrgID)
			data := map[string]any{"card": p.Card, "create": eff.Create, "lead_id": res.LeadID, "deal_id": res.DealID,
				"person_id": res.PersonID, "org_id": res.OrgID, "title": eff.Title}
			_, err = ch.emit(newEvent{kind: KindCaptured, data: data, author: AuthorSystem})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func orStr(a, b *string) *string {
	if a != nil {
		return a
	}
	return b
}

func orInt(a, b *int64) *int64 {
	if a != nil {
		return a
	}
	return b
}

// Transcript renders the conversation as the visitor saw it, one line per
// message, for the default note of a capture.
func (s *Service) Transcript(ctx context.Context, conversationID string) (string, error) {
	evs, err := s.Events(ctx, conversationID, 0, true)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range evs {
		var d struct {
			Text  string `json:"text"`
			Label string `json:"label"`
			Value string `json:"value"`
			Agent *Agent `json:"agent"`
		}
		_ = json.Unmarshal(e.Data, &d)
		var who, what string
		switch e.Kind {
		case KindBotMessage, KindQuestion, KindInvalid, KindWaiting, KindOffline, KindEnd:
			who, what = "Bot", d.Text
		case KindAnswer:
			who, what = "Visitor", d.Value
			if d.Label != "" {
				what = d.Label
			}
		case KindVisitorMessage:
			who, what = "Visitor", d.Text
		case KindAgentMessage:
			who, what = "Agent", d.Text
			if d.Agent != nil {
				who = d.Agent.Name
			}
		case KindAgentJoined:
			if d.Agent != nil {
				who, what = "System", d.Agent.Name+" joined"
			}
		}
		if what == "" {
			continue
		}
		fmt.Fprintf(&b, "[%s] %s: %s\n", e.At.UTC().Format("15:04"), who, what)
	}
	return strings.TrimSpace(b.String()), nil
}
