package livechat

import (
	"context"
	"fmt"
	"time"

	"github.com/parley/parley/crm"
)

// WorkingHoursEvery is how often RunWorkingHours looks at the clock.
const WorkingHoursEvery = 30 * time.Second

// RunWorkingHours switches agents with working hours online when their day
// starts and offline when it ends, until ctx ends. Only the transitions
// switch: an agent who goes invisible for lunch stays invisible until the
// end of the day. The last applied transition is a row per agent claimed
// with a conditional update, so with several servers each switch happens
// once. cmd/parley's serve must start it in a goroutine.
func (s *Service) RunWorkingHours(ctx context.Context) error {
	t := time.NewTicker(WorkingHoursEvery)
	defer t.Stop()
	for {
		if _, err := s.ApplyWorkingHours(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("livechat: working hours", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// ApplyWorkingHours applies due transitions now (by Opts.Now) and returns
// the users whose status it switched.
func (s *Service) ApplyWorkingHours(ctx context.Context) ([]crm.User, error) {
	users, err := s.crm.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("working hours: %w", err)
	}
	now := s.nowUTC()
	var switched []crm.User
	for _, u := range users {
		if !u.Active || !u.WorkingHours.Enabled {
			continue
		}
		in := InWorkingHours(u.WorkingHours, now)
		// First sight: record the opposite, so the current state is applied
		// once (enabling working hours mid-day puts the agent online now).
		if _, err := s.db.ExecContext(ctx, s.sql.Get("init-agent-hours"), u.ID, !in, now); err != nil {
			return switched, fmt.Errorf("working hours of %d: %w", u.ID, err)
		}
		res, err := s.db.ExecContext(ctx, s.sql.Get("flip-agent-hours"), in, now, u.ID, in)
		if err != nil {
			return switched, fmt.Errorf("working hours of %d: %w", u.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		want := crm.StatusOffline
		if in {
			want = crm.StatusOnline
		}
		if u.Status == want {
			continue
		}
		nu, err := s.crm.SetUserStatus(ctx, u.ID, want)
		if err != nil {
			return switched, err
		}
		switched = append(switched, nu)
		if err := s.AgentStatusChanged(ctx, nu); err != nil {
			s.log.Warn("livechat: presence after working hours", "user", u.ID, "err", err)
		}
	}
	return switched, nil
}

var weekdays = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// InWorkingHours tells whether t falls in one of w's ranges for that
// weekday, in w's time zone (UTC when unset or unknown).
func InWorkingHours(w crm.WorkingHours, t time.Time) bool {
	loc := time.UTC
	if w.TimeZone != "" {
		if l, err := time.LoadLocation(w.TimeZone); err == nil {
			loc = l
		}
	}
	lt := t.In(loc)
	minute := lt.Hour()*60 + lt.Minute()
	for _, r := range w.Days[weekdays[lt.Weekday()]] {
		from, to, err := crm.ParseHourRange(r)
		if err == nil && minute >= from && minute < to {
			return true
		}
	}
	return false
}
