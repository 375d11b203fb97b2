package livechat

import (
	"context"
	"errors"

	"github.com/parley/parley/playbook"
)

// crmCapture creates (or finds, on a retry) what a capture card asked for.
// It is the one place that knows crm.Capture's input and result.
func (s *Service) crmCapture(ctx context.Context, c Conversation, eff playbook.Capture, note string) (captureResult, error) {
	return captureResult{}, errors.New("TODO: crm.Capture")
}
