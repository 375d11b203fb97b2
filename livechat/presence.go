package livechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// presence counts active agents whose status is online: all of them, and
// per group name. Invisible agents get no new chats, so they do not count.
//
// Every answer and message needs it (the playbook's env), so it is cached
// for PresenceTTL. A status change empties the cache on every server: the
// agent.status frame it publishes passes through each server's deliver
// (the bus brings it to the others), and PresenceChanged reads afresh. A
// change that publishes nothing (a user deactivated, a group's members
// edited) is seen within PresenceTTL.
func (s *Service) presence(ctx context.Context) (int, map[string]int, error) {
	now := time.Now()
	s.presenceMu.Lock()
	pc, gen := s.pcache, s.pgen
	s.presenceMu.Unlock()
	if pc.ok && now.Sub(pc.at) < s.presenceTTL {
		return pc.all, pc.byGroup, nil
	}
	all, byGroup, err := s.crm.OnlineCounts(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("presence: %w", err)
	}
	s.presenceMu.Lock()
	if s.pgen == gen { // no invalidation while reading: the counts are current
		s.pcache = presenceCounts{ok: true, at: now, all: all, byGroup: byGroup}
	}
	s.presenceMu.Unlock()
	return all, byGroup, nil
}

// presenceCounts is the cached presence; byGroup is shared and never
// written after it is cached.
type presenceCounts struct {
	ok      bool
	at      time.Time
	all     int
	byGroup map[string]int
}

// forgetPresence empties the presence cache.
func (s *Service) forgetPresence() {
	s.presenceMu.Lock()
	s.pcache = presenceCounts{}
	s.pgen++
	s.presenceMu.Unlock()
}

// deliver hands what the bus brings (this server's frames and the others')
// to the hub, and notices agents' status changes, which make the cached
// presence stale.
func (s *Service) deliver(f Frame) {
	if f.ConversationID == "" && f.Seq == 0 && f.Agent != nil && bytes.Contains(f.Agent, []byte(`"event":"agent.status"`)) {
		s.forgetPresence()
	}
	s.hub.Publish(f)
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
	s.forgetPresence()
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
