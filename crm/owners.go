package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Owner specs of ResolveOwner, besides a user's e-mail.
const (
	OwnerRoundRobin = "round_robin"
	OwnerAssignee   = "assignee"
)

// ResolveOwner picks the owner of a capture: spec is a user's e-mail,
// "round_robin" (the default when empty: among active agents of group, or
// all agents) or "assignee" (assigneeID when that user is active, else round
// robin; an empty group falls back to all agents). It returns a nil id, and
// no error, when the workspace has no active user. An unknown e-mail is
// an InvalidError on "owner"; a deactivated user falls back to round robin
// so that the lead is still owned by somebody who works.
func (m *Manager) ResolveOwner(ctx context.Context, spec string, group *int64, assigneeID *int64) (*int64, error) {
	switch spec = strings.TrimSpace(spec); spec {
	case "", OwnerRoundRobin:
	case OwnerAssignee:
		if assigneeID != nil {
			u, err := m.GetUser(ctx, *assigneeID)
			if err == nil && u.Active {
				return &u.ID, nil
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
		}
	default:
		u, err := m.GetUserByEmail(ctx, spec)
		if errors.Is(err, ErrNotFound) {
			return nil, Invalid("owner", fmt.Sprintf("no user with e-mail %s", spec))
		}
		if err != nil {
			return nil, err
		}
		if u.Active {
			return &u.ID, nil
		}
	}
	owner, err := m.nextOwner(ctx, group)
	if err == nil && owner == nil && group != nil {
		// An empty group should not leave a lead without an owner.
		return m.nextOwner(ctx, nil)
	}
	return owner, err
}

// nextOwner takes the next turn of the round robin: the active agent (or,
// in a workspace without agents, admin) assigned longest ago.
func (m *Manager) nextOwner(ctx context.Context, group *int64) (*int64, error) {
	if err := m.exec(ctx, "seed-owner-rotation", "seed owner rotation", true); err != nil {
		return nil, err
	}
	for _, role := range []string{RoleAgent, RoleAdmin} {
		// A lost compare-and-swap means another server took that turn at
		// the same moment: pick again. Bounded, so a storm cannot loop forever.
		for range 20 {
			var next struct {
				UserID int64 `db:"user_id"`
				Count  int64 `db:"assigned_count"`
			}
			var err error
			if group != nil {
				err = m.q.GetContext(ctx, &next, m.sql.Get("next-group-owner"), true, role, *group)
			} else {
				err = m.q.GetContext(ctx, &next, m.sql.Get("next-owner"), true, role)
			}
			if errors.Is(err, sql.ErrNoRows) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("next owner: %w", err)
			}
			res, err := m.q.ExecContext(ctx, m.sql.Get("take-owner-turn"), m.nowUTC(), next.UserID, next.Count)
			if err != nil {
				return nil, fmt.Errorf("take owner turn: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				return &next.UserID, nil
			}
		}
	}
	return nil, nil
}
