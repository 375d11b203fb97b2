package crm

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds. The api package maps them to HTTP statuses; domain code never
// knows about HTTP.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("forbidden")
)

// FieldError names one invalid input field and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// InvalidError is returned when input fails validation; it lists every field
// at fault so a client can fix them all at once.
type InvalidError struct {
	Fields []FieldError
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		// "person_id or organization_id is required" names its field already.
		if strings.HasPrefix(f.Message, f.Field+" ") {
			parts[i] = f.Message
		} else {
			parts[i] = f.Field + ": " + f.Message
		}
	}
	return strings.Join(parts, "; ")
}

// Invalid builds an InvalidError for one field.
func Invalid(field, message string) error {
	return &InvalidError{Fields: []FieldError{{Field: field, Message: message}}}
}

// Problems collects field errors during validation.
type Problems []FieldError

// Add records a problem with field.
func (p *Problems) Add(field, message string) { *p = append(*p, FieldError{field, message}) }

// Err returns nil when nothing was recorded, else an *InvalidError.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &InvalidError{Fields: p}
}

// notFound wraps ErrNotFound with what was looked up.
func notFound(what string, id any) error {
	return fmt.Errorf("%s %v: %w", what, id, ErrNotFound)
}

// conflict wraps ErrConflict with a reason a person can act on.
func conflict(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrConflict)...)
}
