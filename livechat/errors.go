package livechat

import (
	"errors"
	"fmt"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/playbook"
)

// Error kinds, shared with crm so the api package maps them once.
var (
	ErrNotFound  = crm.ErrNotFound
	ErrConflict  = crm.ErrConflict
	ErrForbidden = crm.ErrForbidden
)

// RefusedError is a visitor frame the runtime turns down without changing
// anything: the socket answers it with an error frame {code, message} and
// keeps the connection open.
type RefusedError struct {
	Code    string // not_waiting, bad_option, no_conversation, closed, too_long, not_allowed, invalid, prechat_required
	Message string
	Field   string // the field refused, when one is (a pre-chat form's person.email)
}

func (e *RefusedError) Error() string { return e.Code + ": " + e.Message }

// Refusal codes.
const (
	CodeNotWaiting     = "not_waiting"
	CodeBadOption      = "bad_option"
	CodeNoConversation = "no_conversation"
	CodeClosed         = "closed"
	CodeTooLong        = "too_long"
	CodeNotAllowed     = "not_allowed"
	CodeInvalid        = "invalid"
)

func refused(code, format string, args ...any) error {
	return &RefusedError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ProblemsError rejects a playbook document: every problem with its
// line:col. It also reads as a *crm.InvalidError (one field per problem,
// named "line:col"), so the api's generic mapping answers 422 with the list.
type ProblemsError struct {
	Problems playbook.Problems
}

func (e *ProblemsError) Error() string { return "invalid playbook:\n" + e.Problems.Error() }

// As lets errors.As(err, &*crm.InvalidError) see the problems as fields.
func (e *ProblemsError) As(target any) bool {
	t, ok := target.(**crm.InvalidError)
	if !ok {
		return false
	}
	inv := &crm.InvalidError{}
	for _, p := range e.Problems.Errors() {
		inv.Fields = append(inv.Fields, crm.FieldError{Field: fmt.Sprintf("%d:%d", p.Line, p.Col), Message: problemMessage(p)})
	}
	*t = inv
	return true
}

func problemMessage(p playbook.Problem) string {
	q := p
	q.Line, q.Col = 0, 0
	s := q.String()
	return s[len("0:0: "):]
}

func notFound(what string, id any) error { return fmt.Errorf("%s %v: %w", what, id, ErrNotFound) }

func conflict(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrConflict)...)
}

// mapStepError turns the interpreter's refusals into RefusedErrors.
func mapStepError(err error) error {
	switch {
	case errors.Is(err, playbook.ErrNotWaiting):
		return refused(CodeNotWaiting, "no question is waiting for this answer")
	case errors.Is(err, playbook.ErrBadOption):
		return refused(CodeBadOption, "no such option")
	case errors.Is(err, playbook.ErrStarted), errors.Is(err, playbook.ErrNotStarted):
		return refused(CodeNotWaiting, "%v", err)
	}
	return err
}
