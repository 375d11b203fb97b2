package livechat

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/parley/parley/crm"
)

// presence counts active agents whose status is online: all of them, and
// per group name. Invisible agents get no new chats, so they do not count.
func (s *Service) presence(ctx context.Context) (int, map[string]int, error) {
	users, err := s.crm.ListUsers(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("presence: %w", err)
	}
	groups, err := s.crm.ListGroups(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("presence: %w", err)
	}
	online := map[int64]bool{}
	for _, u := range users {
		if u.Active && u.Status == crm.StatusOnline {
			online[u.ID] = true
		}
	}
	byGroup := map[string]int{}
	for _, g := range groups {
		for _, id := range g.UserIDs {
			if online[id] {
				byGroup[g.Name]++
			}
		}
	}
	return len(online), byGroup, nil
}

// AgentsOnline counts active agents whose status is online (invisible does
// not count), in the named group when group is not "".
func (s *Service) AgentsOnline(ctx context.Context, group string) (int, error) {
	all, byGroup, err := s.presence(ctx)
	if err != nil {
		return 0, err
	}
	if group != "" {
		return byGroup[group], nil
	}
	return all, nil
}

// PresenceChanged re-reads agents' presence and, when "anyone online"
// flipped, publishes a presence frame {"type":"presence","online":bool} to
// every visitor. The api calls it after a status change.
func (s *Service) PresenceChanged(ctx context.Context) error {
	n, err := s.AgentsOnline(ctx, "")
	if err != nil {
		return err
	}
	s.presenceMu.Lock()
	changed := s.online < 0 || (s.online > 0) != (n > 0)
	s.online = n
	s.presenceMu.Unlock()
	if !changed {
		return nil
	}
	b, _ := json.Marshal(map[string]any{"type": "presence", "online": n > 0})
	s.publish(ctx, Frame{Broadcast: true, Visitor: b})
	return nil
}
