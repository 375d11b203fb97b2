package livechat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parley/parley/crm"
)

// Settings is how live chat behaves in this workspace, set by an admin in
// the app and read by every server (the settings table).
type Settings struct {
	// AutoReturnSeconds gives a chat back to the queue when its assignee
	// has not answered the visitor for this long; 0 is never.
	AutoReturnSeconds int `json:"auto_return_seconds"`
}

// SettingsPatch changes the settings it names.
type SettingsPatch struct {
	AutoReturnSeconds *int `json:"auto_return_seconds"`
}

const settingsKey = "livechat"

// Auto-return bounds: under a minute would take chats from agents still
// typing; over a day nobody is waiting any more.
const (
	MinAutoReturn = time.Minute
	MaxAutoReturn = 24 * time.Hour
)

// Settings reads the live chat settings; never set is the zero Settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var raw string
	var out Settings
	if err := s.db.GetContext(ctx, &raw, s.sql.Get("get-setting"), settingsKey); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		return out, fmt.Errorf("settings: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return Settings{}, fmt.Errorf("settings: %w", err)
	}
	return out, nil
}

// UpdateSettings applies p and returns the settings as stored. A bad value
// is a crm.InvalidError naming the field, and nothing is stored.
func (s *Service) UpdateSettings(ctx context.Context, p SettingsPatch) (Settings, error) {
	cur, err := s.Settings(ctx)
	if err != nil {
		return Settings{}, err
	}
	if p.AutoReturnSeconds != nil {
		if err := checkAutoReturn(*p.AutoReturnSeconds); err != nil {
			return Settings{}, err
		}
		cur.AutoReturnSeconds = *p.AutoReturnSeconds
	}
	b, _ := json.Marshal(cur)
	if _, err := s.db.ExecContext(ctx, s.sql.Get("put-setting"), settingsKey, string(b), s.nowUTC()); err != nil {
		return Settings{}, fmt.Errorf("save settings: %w", err)
	}
	return cur, nil
}

// SeedAutoReturn sets the auto-return delay only if no admin has set the
// live chat settings yet: a server flag is the workspace's starting value,
// and the app's setting wins from then on.
func (s *Service) SeedAutoReturn(ctx context.Context, after time.Duration) error {
	if err := checkAutoReturn(int(after / time.Second)); err != nil {
		return err
	}
	b, _ := json.Marshal(Settings{AutoReturnSeconds: int(after / time.Second)})
	if _, err := s.db.ExecContext(ctx, s.sql.Get("seed-setting"), settingsKey, string(b), s.nowUTC()); err != nil {
		return fmt.Errorf("seed settings: %w", err)
	}
	return nil
}

func checkAutoReturn(sec int) error {
	d := time.Duration(sec) * time.Second
	if sec != 0 && (d < MinAutoReturn || d > MaxAutoReturn) {
		return crm.Invalid("auto_return_seconds", fmt.Sprintf("0 (never) or between %d and %d seconds", int(MinAutoReturn/time.Second), int(MaxAutoReturn/time.Second)))
	}
	return nil
}
