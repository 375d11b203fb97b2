package crm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sortKind is the type of a sort column's value, needed to read it back from
// a cursor and bind it with the right Go type (times must be bound as
// time.Time so SQLite compares them in its stored format).
type sortKind int

const (
	sortInt sortKind = iota
	sortFloat
	sortText
	sortTime
)

// sortColumn is a whitelisted sort field: the SQL expression (never NULL,
// so that keyset comparisons work) and its kind.
type sortColumn struct {
	expr string
	kind sortKind
}

// listQuery is a list statement under construction. Every piece of SQL in it
// comes from code, never from input: filters add fixed clauses with `?`
// arguments, and the sort column is looked up in sorts.
type listQuery struct {
	base        string                // SELECT … FROM table, without WHERE
	sorts       map[string]sortColumn // allowed sort fields
	defaultSort string                // field used when ListParams.Sort is empty
	textID      bool                  // the id column is TEXT (a UUID), not an integer
	where       []string
	args        []any
}

// filter adds a WHERE clause (ANDed with the others).
func (q *listQuery) filter(clause string, args ...any) {
	q.where = append(q.where, clause)
	q.args = append(q.args, args...)
}

// cursor is the decoded form of Page.NextCursor: the sort it was made for and
// the last row's sort value and id.
type cursor struct {
	Field string `json:"f"`
	Desc  bool   `json:"d,omitempty"`
	Value any    `json:"v"`
	ID    any    `json:"i"`
}

type listOrder struct {
	field string
	col   sortColumn
	desc  bool
}

func (q *listQuery) parseSort(s string) (listOrder, error) {
	parts := strings.Fields(s)
	if len(parts) == 0 {
		return listOrder{field: q.defaultSort, col: q.sorts[q.defaultSort]}, nil
	}
	col, ok := q.sorts[parts[0]]
	if !ok || len(parts) > 2 {
		return listOrder{}, Invalid("sort", fmt.Sprintf("%q: use one of %s, then ASC or DESC", s, q.sortNames()))
	}
	o := listOrder{field: parts[0], col: col}
	if len(parts) == 2 {
		switch strings.ToUpper(parts[1]) {
		case "ASC":
		case "DESC":
			o.desc = true
		default:
			return listOrder{}, Invalid("sort", fmt.Sprintf("%q: direction must be ASC or DESC", s))
		}
	}
	return o, nil
}

func (q *listQuery) sortNames() string {
	names := make([]string, 0, len(q.sorts))
	for n := range q.sorts {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c) // values are strings and numbers: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor and converts its values to the Go types the
// query binds. Any damage is the client's: an InvalidError naming cursor.
func (q *listQuery) decodeCursor(s string) (cursor, error) {
	bad := func(why string) (cursor, error) { return cursor{}, Invalid("cursor", why) }
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("is not a cursor from this list")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var c cursor
	if err := dec.Decode(&c); err != nil {
		return bad("is not a cursor from this list")
	}
	col, ok := q.sorts[c.Field]
	if !ok {
		return bad("is not a cursor from this list")
	}
	if c.Value, ok = fromCursorValue(c.Value, col.kind); !ok {
		return bad("is damaged")
	}
	if q.textID {
		c.ID, ok = c.ID.(string)
	} else {
		c.ID, ok = fromCursorValue(c.ID, sortInt)
	}
	if !ok {
		return bad("is damaged")
	}
	return c, nil
}

func fromCursorValue(v any, k sortKind) (any, bool) {
	switch k {
	case sortInt:
		n, ok := v.(json.Number)
		if !ok {
			return nil, false
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	case sortFloat:
		n, ok := v.(json.Number)
		if !ok {
			return nil, false
		}
		f, err := n.Float64()
		return f, err == nil
	case sortText:
		s, ok := v.(string)
		return s, ok
	case sortTime:
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t.UTC(), err == nil
	}
	return nil, false
}

// toCursorValue makes a sort value JSON-friendly (times as RFC 3339).
func toCursorValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// checkLimits validates the paging numbers and returns the effective limit.
func checkLimits(lp ListParams) (int, error) {
	var p Problems
	limit := lp.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		p.Add("limit", fmt.Sprintf("must be between 1 and %d", MaxLimit))
	}
	if lp.Start < 0 {
		p.Add("start", "must not be negative")
	}
	return limit, p.Err()
}

// runList runs q with the paging of lp. Offset paging reads limit+1 rows to
// know whether more follow; with a cursor it continues after the cursor's
// row in the cursor's order. key returns a row's value of a sort field, id
// its id; they build the next cursor, returned in both modes so that a
// client may switch to cursors at any time.
func runList[T any](ctx context.Context, m *Manager, q listQuery, lp ListParams,
	key func(row *T, field string) any, id func(row *T) any) ([]T, Page, error) {
	limit, err := checkLimits(lp)
	if err != nil {
		return nil, Page{}, err
	}
	order, err := q.parseSort(lp.Sort)
	if err != nil {
		return nil, Page{}, err
	}
	offset := lp.Start
	if lp.Cursor != "" {
		c, err := q.decodeCursor(lp.Cursor)
		if err != nil {
			return nil, Page{}, err
		}
		if lp.Sort != "" && (c.Field != order.field || c.Desc != order.desc) {
			return nil, Page{}, Invalid("cursor", "was made for another sort order")
		}
		order = listOrder{field: c.Field, col: q.sorts[c.Field], desc: c.Desc}
		cmp := ">"
		if order.desc {
			cmp = "<"
		}
		e := order.col.expr
		q.filter(fmt.Sprintf("(%s %s ? OR (%s = ? AND id %s ?))", e, cmp, e, cmp), c.Value, c.Value, c.ID)
		offset = 0
	}
	dir := "ASC"
	if order.desc {
		dir = "DESC"
	}
	var sb strings.Builder
	sb.WriteString(q.base)
	if len(q.where) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(q.where, " AND "))
	}
	fmt.Fprintf(&sb, " ORDER BY %s %s, id %s LIMIT ? OFFSET ?", order.col.expr, dir, dir)
	args := append(q.args, limit+1, offset)

	rows := []T{}
	if err := m.q.SelectContext(ctx, &rows, m.db.Rebind(sb.String()), args...); err != nil {
		return nil, Page{}, fmt.Errorf("list: %w", err)
	}
	page := Page{Start: offset, Limit: limit}
	if len(rows) > limit {
		rows = rows[:limit]
		page.More = true
		last := &rows[len(rows)-1]
		page.NextCursor = encodeCursor(cursor{Field: order.field, Desc: order.desc,
			Value: toCursorValue(key(last, order.field)), ID: id(last)})
		if lp.Cursor == "" {
			next := offset + limit
			page.NextStart = &next
		}
	}
	return rows, page, nil
}
