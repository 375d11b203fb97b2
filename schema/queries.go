package schema

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// Queries holds a package's named SQL statements, read from files in which
// each statement starts with a line `-- name: some-name`. Statements are
// written once with `?` placeholders and rebound for the dialect at load.
type Queries struct {
	byName map[string]string
}

// LoadQueries reads every file matching pattern in fsys and rebinds the
// statements for db's dialect. Use Check at start-up so that a broken query
// stops the boot rather than a request.
func LoadQueries(fsys fs.FS, pattern string, db *DB) (*Queries, error) {
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	q := &Queries{byName: map[string]string{}}
	for _, f := range files {
		body, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var name string
		var buf strings.Builder
		flush := func() error {
			if name == "" {
				return nil
			}
			if _, dup := q.byName[name]; dup {
				return fmt.Errorf("%s: query %q defined twice", f, name)
			}
			q.byName[name] = db.Rebind(strings.TrimSpace(buf.String()))
			buf.Reset()
			return nil
		}
		sc := bufio.NewScanner(strings.NewReader(string(body)))
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
				if err := flush(); err != nil {
					return nil, err
				}
				name = strings.TrimSpace(n)
				continue
			}
			if name != "" {
				buf.WriteString(line)
				buf.WriteByte('\n')
			}
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// Get returns the statement called name; it panics on an unknown name, which
// is a programming error caught by the first test that runs the query.
func (q *Queries) Get(name string) string {
	s, ok := q.byName[name]
	if !ok {
		panic("schema: unknown query " + name)
	}
	return s
}

// Check prepares every statement against db, so a query that does not parse
// or names a missing column fails at start-up; the prepared statements stay
// in db's cache.
func (q *Queries) Check(ctx context.Context, db *DB) error {
	names := make([]string, 0, len(q.byName))
	for n := range q.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if db.stmt(ctx, q.byName[n]) != nil {
			continue // prepared, and kept for the requests to come
		}
		st, err := db.PreparexContext(ctx, q.byName[n])
		if err != nil {
			return fmt.Errorf("query %s: %w", n, err)
		}
		st.Close()
	}
	return nil
}

// Include adds o's statements to q: a package keeps the statements that
// only one dialect can run (sql/postgres/*.sql, say) apart from the shared
// ones. A name defined in both is an error.
func (q *Queries) Include(o *Queries) error {
	for n, s := range o.byName {
		if _, dup := q.byName[n]; dup {
			return fmt.Errorf("query %q defined twice", n)
		}
		q.byName[n] = s
	}
	return nil
}
