package livechat

import (
	"context"
	"fmt"
	"time"

	"github.com/parley/parley/playbook"
)

// Timer kinds.
const (
	TimerLiveChatDeadline = "livechat_deadline"
)

// captureRetryEvery is how often Run retries captures left pending.
const captureRetryEvery = 10 * time.Second

// Run fires due timers until ctx ends: it polls every PollInterval (the
// fallback that also picks up timers other servers created) and wakes early
// when this process creates a timer. Each timer fires exactly once
// whichever server runs it (see RunDueTimers). It also retries pending
// captures now and then.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	lastRetry := time.Time{}
	for {
		if _, err := s.RunDueTimers(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("livechat: timers", "err", err)
		}
		if time.Since(lastRetry) > captureRetryEvery {
			lastRetry = time.Now()
			if err := s.retryCaptures(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("livechat: retry captures", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-s.wake:
		}
	}
}

type dueTimer struct {
	ID             int64     `db:"id"`
	Kind           string    `db:"kind"`
	ConversationID string    `db:"conversation_id"`
	DueAt          time.Time `db:"due_at"`
}

// RunDueTimers fires every timer due now (by Opts.Now) and returns how many
// this call fired. Each is claimed with a conditional update in the same
// transaction as its effect, so concurrent callers (other servers, a
// restarted one) never fire one twice, and a crash before the commit leaves
// it due.
func (s *Service) RunDueTimers(ctx context.Context) (int, error) {
	var due []dueTimer
	if err := s.db.SelectContext(ctx, &due, s.sql.Get("due-timers"), s.nowUTC()); err != nil {
		return 0, fmt.Errorf("due timers: %w", err)
	}
	fired := 0
	for _, t := range due {
		ok, err := s.fire(ctx, t)
		if err != nil {
			return fired, fmt.Errorf("timer %d: %w", t.ID, err)
		}
		if ok {
			fired++
		}
	}
	return fired, nil
}

// fire claims one timer and, for a live chat deadline, moves a conversation
// still waiting to offline and runs the card's offline branch.
func (s *Service) fire(ctx context.Context, t dueTimer) (bool, error) {
	c, err := s.GetConversation(ctx, t.ConversationID)
	if err != nil {
		return false, err
	}
	v, err := s.GetVisitor(ctx, c.VisitorID)
	if err != nil {
		return false, err
	}
	env, err := s.env(ctx, v, PageInfo{})
	if err != nil {
		return false, err
	}
	claimed := false
	_, _, err = s.update(ctx, t.ConversationID, func(ch *change) error {
		// The conversation row is locked first (as Assign does), then the
		// timer: one lock order, no deadlock between the two.
		res, err := ch.tx.ExecContext(ctx, s.sql.Get("claim-timer"), ch.now, t.ID)
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		claimed = true
		if t.Kind != TimerLiveChatDeadline {
			return nil
		}
		res, err = ch.tx.ExecContext(ctx, s.sql.Get("deadline-conversation"), ch.c.ID)
		if err != nil {
			return fmt.Errorf("deadline: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // assigned or closed first: the deadline lost the race
		}
		ch.c.State, ch.c.Deadline = StateOffline, nil
		if ch.c.Interp.Wait != playbook.WaitLiveChat || !ch.hasProgram() {
			return nil
		}
		return ch.step(playbook.Event{Kind: playbook.EventLiveChatOffline}, env)
	})
	return claimed, err
}
