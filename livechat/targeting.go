package livechat

import (
	"context"
	"time"
)

// Trigger values a widget reports.
const (
	TriggerOpen  = "open"
	TriggerLoad  = "load"
	TriggerDelay = "delay"
)

// Pick is the playbook targeting chose.
type Pick struct {
	PlaybookID int64         `json:"playbook_id"`
	Slug       string        `json:"playbook"`
	Version    int           `json:"version"`
	On         string        `json:"on"`
	After      time.Duration `json:"after"` // for load and delay
}

// TriggerInfo is a published playbook's trigger, for the widget config.
type TriggerInfo struct {
	Playbook string   `json:"playbook"` // slug
	On       string   `json:"on"`
	AfterMS  int64    `json:"after_ms,omitempty"`
	Include  []string `json:"include,omitempty"`
	Exclude  []string `json:"exclude,omitempty"`
	Priority int      `json:"priority"`
}

// PickPlaybook returns the highest-priority published playbook whose trigger
// fires on `on`, whose pages match the visitor's page and whose `when`
// holds (ties: the most recently published). A playbook the visitor
// finished today is skipped. ErrNotFound when none matches.
func (s *Service) PickPlaybook(ctx context.Context, site Site, v Visitor, page PageInfo, on string) (Pick, error) {
	panic("TODO")
}

// Triggers lists the triggers of every published playbook.
func (s *Service) Triggers(ctx context.Context) ([]TriggerInfo, error) {
	panic("TODO")
}
