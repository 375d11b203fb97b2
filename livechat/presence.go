package livechat

import "context"

// AgentsOnline counts active agents whose status is online (invisible does
// not count), in the named group when group is not "".
func (s *Service) AgentsOnline(ctx context.Context, group string) (int, error) {
	panic("TODO")
}

// PresenceChanged re-reads agents' presence and, when "anyone online"
// flipped, publishes a presence frame to every visitor. The api calls it
// after a status change.
func (s *Service) PresenceChanged(ctx context.Context) error {
	panic("TODO")
}
