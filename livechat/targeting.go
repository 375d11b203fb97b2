package livechat

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/parley/parley/playbook"
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

type published struct {
	ID      int64     `db:"id"`
	Slug    string    `db:"slug"`
	Version int       `db:"published_version"`
	AddTime time.Time `db:"add_time"`
	prog    *playbook.Program
}

// publishedPrograms returns every published playbook's current version,
// newest published first.
func (s *Service) publishedPrograms(ctx context.Context) ([]published, error) {
	var ps []published
	if err := s.db.SelectContext(ctx, &ps, s.sql.Get("list-published")); err != nil {
		return nil, fmt.Errorf("published playbooks: %w", err)
	}
	for i := range ps {
		p, err := s.Program(ctx, ps[i].ID, ps[i].Version)
		if err != nil {
			return nil, err
		}
		ps[i].prog = p
	}
	return ps, nil
}

func trigger(p *playbook.Program) playbook.Trigger {
	if t := p.Document().Trigger; t != nil {
		return *t
	}
	return playbook.Trigger{On: TriggerOpen}
}

func after(t playbook.Trigger) time.Duration {
	d, _ := time.ParseDuration(t.After) // validated when saved
	return d
}

// PickPlaybook returns the highest-priority published playbook whose trigger
// fires on `on`, whose pages match the visitor's page and whose `when`
// holds (ties: the most recently published). A playbook the visitor
// finished today (UTC) is skipped; Restart still runs it. ErrNotFound when
// none matches.
func (s *Service) PickPlaybook(ctx context.Context, site Site, v Visitor, page PageInfo, on string) (Pick, error) {
	if !site.ShowsOn(page.Path()) {
		return Pick{}, fmt.Errorf("the widget does not show on %s: %w", page.Path(), ErrNotFound)
	}
	env, err := s.env(ctx, v, page)
	if err != nil {
		return Pick{}, err
	}
	return s.pick(ctx, site, v, page, on, env)
}

// pick is PickPlaybook with the env already built, for Start, which needs
// the same env to run the playbook it picks.
func (s *Service) pick(ctx context.Context, site Site, v Visitor, page PageInfo, on string, env playbook.Env) (Pick, error) {
	if !site.ShowsOn(page.Path()) {
		return Pick{}, fmt.Errorf("the widget does not show on %s: %w", page.Path(), ErrNotFound)
	}
	ps, err := s.publishedPrograms(ctx)
	if err != nil {
		return Pick{}, err
	}
	now := s.nowUTC()
	var done []int64
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if err := s.db.SelectContext(ctx, &done, s.sql.Get("finished-since"), v.ID, day); err != nil {
		return Pick{}, fmt.Errorf("finished playbooks: %w", err)
	}
	finished := map[int64]bool{}
	for _, id := range done {
		finished[id] = true
	}
	// Newest first, then a stable sort by priority keeps "ties: newest".
	sort.SliceStable(ps, func(i, j int) bool { return trigger(ps[i].prog).Priority > trigger(ps[j].prog).Priority })
	for _, p := range ps {
		t := trigger(p.prog)
		if t.On != on || finished[p.ID] {
			continue
		}
		env.Version = p.Version
		if !p.prog.TriggerMatches(env) {
			continue
		}
		return Pick{PlaybookID: p.ID, Slug: p.Slug, Version: p.Version, On: t.On, After: after(t)}, nil
	}
	return Pick{}, fmt.Errorf("no playbook for trigger %s on %s: %w", on, page.Path(), ErrNotFound)
}

// Triggers lists the triggers of every published playbook, highest
// priority first, for the widget config.
func (s *Service) Triggers(ctx context.Context) ([]TriggerInfo, error) {
	ps, err := s.publishedPrograms(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TriggerInfo, 0, len(ps))
	for _, p := range ps {
		t := trigger(p.prog)
		ti := TriggerInfo{Playbook: p.Slug, On: t.On, AfterMS: after(t).Milliseconds(), Priority: t.Priority}
		if t.Pages != nil {
			ti.Include, ti.Exclude = t.Pages.Include, t.Pages.Exclude
		}
		out = append(out, ti)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority > out[j].Priority })
	return out, nil
}
