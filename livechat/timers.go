package livechat

import "context"

// Timer kinds.
const (
	TimerLiveChatDeadline = "livechat_deadline"
)

// Run fires due timers until ctx ends: it polls every PollInterval and wakes
// early when a nearer timer is created in this process. Each timer fires
// exactly once whichever server runs it (see RunDueTimers).
func (s *Service) Run(ctx context.Context) error {
	panic("TODO")
}

// RunDueTimers fires every timer due now and returns how many this call
// fired. Each is claimed with a conditional update, so concurrent callers
// (other servers, a restart) never fire one twice.
func (s *Service) RunDueTimers(ctx context.Context) (int, error) {
	panic("TODO")
}
