package livechat

import (
	"context"
	"encoding/json"
	"fmt"
)

// presence counts active agents whose status is online: all of them, and
// per group name. Invisible agents get no new chats, so they do not count.
func (s *Service) presence(ctx context.Context) (int, map[string]int, error) {
	all, byGroup, err := s.crm.OnlineCounts(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("presence: %w", err)
	}
	return all, byGroup, nil
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
	if n == 0 {
		// Invisible agents present in their chats keep those online (present.go).
		return s.republishPresent(ctx)
	}
	return nil
}
