package livechat

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema"
)

// SavedReply is a canned answer an agent inserts by typing `/` and its
// shortcut in the composer. Replies are shared by the whole team.
type SavedReply struct {
	ID         int64     `db:"id" json:"id"`
	Shortcut   string    `db:"shortcut" json:"shortcut"`
	Text       string    `db:"text" json:"text"`
	AddTime    time.Time `db:"add_time" json:"add_time"`
	UpdateTime time.Time `db:"update_time" json:"update_time"`
}

// SavedReplyInput creates or changes a saved reply; nil fields are left
// alone on update and required on create.
type SavedReplyInput struct {
	Shortcut *string `json:"shortcut"`
	Text     *string `json:"text"`
}

func (in *SavedReplyInput) check(create bool) error {
	var p crm.Problems
	if in.Shortcut != nil {
		v := strings.TrimPrefix(strings.TrimSpace(*in.Shortcut), "/")
		in.Shortcut = &v
		switch {
		case v == "":
			p.Add("shortcut", "is required")
		case strings.ContainsAny(v, " \t\n"):
			p.Add("shortcut", "must be one word")
		case utf8.RuneCountInString(v) > 40:
			p.Add("shortcut", "must be at most 40 characters")
		}
	} else if create {
		p.Add("shortcut", "is required")
	}
	if in.Text != nil {
		v := strings.TrimSpace(*in.Text)
		in.Text = &v
		switch {
		case v == "":
			p.Add("text", "is required")
		case utf8.RuneCountInString(v) > MaxMessageLen:
			p.Add("text", fmt.Sprintf("must be at most %d characters", MaxMessageLen))
		}
	} else if create {
		p.Add("text", "is required")
	}
	return p.Err()
}

// CreateSavedReply adds a saved reply; a shortcut already taken is ErrConflict.
func (s *Service) CreateSavedReply(ctx context.Context, in SavedReplyInput) (SavedReply, error) {
	if err := in.check(true); err != nil {
		return SavedReply{}, err
	}
	now := s.nowUTC()
	var id int64
	if err := s.db.QueryRowxContext(ctx, s.sql.Get("insert-saved-reply"), *in.Shortcut, *in.Text, now, now).Scan(&id); err != nil {
		if schema.IsUniqueViolation(err) {
			return SavedReply{}, conflict("a saved reply /%s exists", *in.Shortcut)
		}
		return SavedReply{}, fmt.Errorf("insert saved reply: %w", err)
	}
	return s.GetSavedReply(ctx, id)
}

// GetSavedReply returns one saved reply.
func (s *Service) GetSavedReply(ctx context.Context, id int64) (SavedReply, error) {
	var r SavedReply
	if err := s.db.GetContext(ctx, &r, s.sql.Get("get-saved-reply"), id); err != nil {
		if isNoRows(err) {
			return SavedReply{}, notFound("saved reply", id)
		}
		return SavedReply{}, fmt.Errorf("get saved reply: %w", err)
	}
	r.AddTime, r.UpdateTime = r.AddTime.UTC(), r.UpdateTime.UTC()
	return r, nil
}

// ListSavedReplies returns every saved reply, by shortcut.
func (s *Service) ListSavedReplies(ctx context.Context) ([]SavedReply, error) {
	var rs []SavedReply
	if err := s.db.SelectContext(ctx, &rs, s.sql.Get("list-saved-replies")); err != nil {
		return nil, fmt.Errorf("list saved replies: %w", err)
	}
	for i := range rs {
		rs[i].AddTime, rs[i].UpdateTime = rs[i].AddTime.UTC(), rs[i].UpdateTime.UTC()
	}
	return rs, nil
}

// UpdateSavedReply changes the given fields.
func (s *Service) UpdateSavedReply(ctx context.Context, id int64, in SavedReplyInput) (SavedReply, error) {
	if err := in.check(false); err != nil {
		return SavedReply{}, err
	}
	r, err := s.GetSavedReply(ctx, id)
	if err != nil {
		return SavedReply{}, err
	}
	if in.Shortcut != nil {
		r.Shortcut = *in.Shortcut
	}
	if in.Text != nil {
		r.Text = *in.Text
	}
	res, err := s.db.ExecContext(ctx, s.sql.Get("update-saved-reply"), r.Shortcut, r.Text, s.nowUTC(), id)
	if err != nil {
		if schema.IsUniqueViolation(err) {
			return SavedReply{}, conflict("a saved reply /%s exists", r.Shortcut)
		}
		return SavedReply{}, fmt.Errorf("update saved reply: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return SavedReply{}, notFound("saved reply", id)
	}
	return s.GetSavedReply(ctx, id)
}

// DeleteSavedReply removes a saved reply.
func (s *Service) DeleteSavedReply(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, s.sql.Get("delete-saved-reply"), id)
	if err != nil {
		return fmt.Errorf("delete saved reply: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("saved reply", id)
	}
	return nil
}
