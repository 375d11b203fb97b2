package livechat

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RunAutoReturnSettings is the auto-return loop `parley serve` runs: every
// check (default 10 s) it reads the live chat settings (settings.go), so an
// admin's change applies on every server within one round, and when the
// delay is set gives back the chats overdue by it (ReturnUnanswered).
//
// Nothing in memory decides: each round reads the overdue chats from the
// database and unassigns each with a conditional update on its holder, so
// several servers, or an agent answering at the same moment, race safely
// (an answer that commits first makes the chat no longer overdue, checked
// under the row lock; an unassign that commits first makes the answer a 403).
func (s *Service) RunAutoReturnSettings(ctx context.Context, check time.Duration) error {
	if check <= 0 {
		check = 10 * time.Second
	}
	t := time.NewTicker(check)
	defer t.Stop()
	for {
		if _, err := s.AutoReturnRound(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("livechat: auto-return", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// AutoReturnRound is one round of RunAutoReturnSettings: how many chats it
// gave back (none while auto-return is off).
func (s *Service) AutoReturnRound(ctx context.Context) (int, error) {
	st, err := s.Settings(ctx)
	if err != nil || st.AutoReturnSeconds <= 0 {
		return 0, err
	}
	return s.ReturnUnanswered(ctx, time.Duration(st.AutoReturnSeconds)*time.Second)
}

// ReturnUnanswered unassigns every active chat whose visitor has waited
// longer than after for its assignee, and returns how many it moved.
func (s *Service) ReturnUnanswered(ctx context.Context, after time.Duration) (int, error) {
	var rows []struct {
		ID         string `db:"id"`
		AssigneeID int64  `db:"assignee_id"`
	}
	cutoff := s.nowUTC().Add(-after)
	if err := s.db.SelectContext(ctx, &rows, s.sql.Get("unanswered-conversations"), cutoff); err != nil {
		return 0, fmt.Errorf("unanswered: %w", err)
	}
	n := 0
	for _, r := range rows {
		_, err := s.unassign(ctx, r.ID, r.AssigneeID, 0, &cutoff)
		switch {
		case err == nil:
			n++
		case errors.Is(err, ErrConflict), errors.Is(err, ErrNotFound):
			// Reassigned, closed or returned by another server meanwhile.
		default:
			return n, err
		}
	}
	return n, nil
}
