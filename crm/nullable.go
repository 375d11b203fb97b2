package crm

import (
	"bytes"
	"encoding/json"
)

// Nullable is a PATCH field for a value that may be cleared. It tells apart
// the three things a JSON body can say about a field: nothing (Set is
// false: leave it alone), null (Set, not Valid: clear it) and a value (Set
// and Valid). Fields that cannot be cleared are plain pointers in patches.
type Nullable[T any] struct {
	Set   bool
	Valid bool
	V     T
}

// Set makes a Nullable holding v, for Go callers building patches.
func Set[T any](v T) Nullable[T] { return Nullable[T]{Set: true, Valid: true, V: v} }

// Clear makes a Nullable that clears the field.
func Clear[T any]() Nullable[T] { return Nullable[T]{Set: true} }

// UnmarshalJSON records that the field was present, and whether it was null.
// encoding/json calls it for null too, because the field is not a pointer.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.Valid = false
		var zero T
		n.V = zero
		return nil
	}
	if err := json.Unmarshal(b, &n.V); err != nil {
		return err
	}
	n.Valid = true
	return nil
}

// MarshalJSON writes the value or null; use `json:",omitzero"` to leave
// unset fields out.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(n.V)
}

// IsZero reports an absent field, for omitzero.
func (n Nullable[T]) IsZero() bool { return !n.Set }

// apply overwrites *dst when the patch says so.
func (n Nullable[T]) apply(dst **T) {
	if !n.Set {
		return
	}
	if !n.Valid {
		*dst = nil
		return
	}
	v := n.V
	*dst = &v
}
