package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// getOne reads the row of query (which takes the id) into a T, turning "no
// rows" into a not-found error naming what was looked up.
func getOne[T any](ctx context.Context, m *Manager, query, what string, id any) (T, error) {
	var v T
	if err := m.q.GetContext(ctx, &v, m.sql.Get(query), id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return v, notFound(what, id)
		}
		return v, fmt.Errorf("get %s %v: %w", what, id, err)
	}
	return v, nil
}

// deleteOne runs a DELETE by id and reports not-found when it hit nothing.
func (m *Manager) deleteOne(ctx context.Context, query, what string, id any) error {
	res, err := m.q.ExecContext(ctx, m.sql.Get(query), id)
	if err != nil {
		if isFK(err) {
			return conflict("%s %v is still in use", what, id)
		}
		return fmt.Errorf("delete %s %v: %w", what, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete %s %v: %w", what, id, err)
	} else if n == 0 {
		return notFound(what, id)
	}
	return nil
}

// insertID runs an INSERT … RETURNING id.
func insertID[T int64 | string](ctx context.Context, m *Manager, query, what string, args ...any) (T, error) {
	var id T
	if err := m.q.QueryRowxContext(ctx, m.sql.Get(query), args...).Scan(&id); err != nil {
		return id, fkErr(err, "insert "+what)
	}
	return id, nil
}

// exec runs a named statement that changes rows.
func (m *Manager) exec(ctx context.Context, query, what string, args ...any) error {
	if _, err := m.q.ExecContext(ctx, m.sql.Get(query), args...); err != nil {
		return fkErr(err, what)
	}
	return nil
}
