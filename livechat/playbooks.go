package livechat

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/playbook"
	"github.com/parley/parley/schema"
)

// Source formats of a stored playbook; the text is kept exactly as written.
const (
	FormatYAML = "yaml"
	FormatJSON = "json"
)

// Playbook is a stored playbook: its editable draft and, once published,
// its immutable versions. ID is numeric; Slug is the document's `id`.
type Playbook struct {
	ID               int64         `json:"id"`
	Slug             string        `json:"slug"`
	Name             string        `json:"name"`
	Format           string        `json:"format"`
	Draft            string        `json:"draft"` // the document as written
	PublishedVersion int           `json:"published_version"`
	Stats            PlaybookStats `json:"stats"`
	AddTime          time.Time     `json:"add_time"`
	UpdateTime       time.Time     `json:"update_time"`
}

// PlaybookStats are counted from conversations.
type PlaybookStats struct {
	Started    int `json:"started" db:"started"`
	Completed  int `json:"completed" db:"completed"`
	Captured   int `json:"captured" db:"captured"`
	HandedOver int `json:"handed_over" db:"handed_over"`
}

// Version is one published, immutable version of a playbook.
type Version struct {
	PlaybookID int64     `json:"playbook_id" db:"playbook_id"`
	Version    int       `json:"version" db:"version"`
	Source     string    `json:"document" db:"source"`
	Format     string    `json:"format" db:"format"`
	AddTime    time.Time `json:"add_time" db:"add_time"`
}

type playbookRow struct {
	ID               int64     `db:"id"`
	Slug             string    `db:"slug"`
	Name             string    `db:"name"`
	Format           string    `db:"format"`
	Draft            string    `db:"draft"`
	PublishedVersion int       `db:"published_version"`
	AddTime          time.Time `db:"add_time"`
	UpdateTime       time.Time `db:"update_time"`
	PlaybookStats
}

func (r playbookRow) playbook() Playbook {
	return Playbook{ID: r.ID, Slug: r.Slug, Name: r.Name, Format: r.Format, Draft: r.Draft,
		PublishedVersion: r.PublishedVersion, Stats: r.PlaybookStats, AddTime: r.AddTime.UTC(), UpdateTime: r.UpdateTime.UTC()}
}

// DetectFormat tells JSON from YAML by the first non-space byte.
func DetectFormat(source []byte) string {
	if t := bytes.TrimSpace(source); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return FormatJSON
	}
	return FormatYAML
}

// Validate parses and compiles source. It returns the program and the
// warnings, or a *ProblemsError listing every error with its line:col.
func Validate(source []byte) (*playbook.Program, playbook.Problems, error) {
	prog, probs := playbook.Load(source)
	if errs := probs.Errors(); len(errs) > 0 || prog == nil {
		return nil, probs, &ProblemsError{Problems: probs}
	}
	return prog, probs.Warnings(), nil
}

func checkFormat(source []byte, format string) (string, error) {
	switch format {
	case "":
		return DetectFormat(source), nil
	case FormatYAML, FormatJSON:
		return format, nil
	}
	return "", crm.Invalid("format", "must be yaml or json")
}

// CreatePlaybook stores a new draft after validating it. The document's
// `id` becomes the slug, unique per workspace (ErrConflict otherwise).
func (s *Service) CreatePlaybook(ctx context.Context, source []byte, format string) (Playbook, error) {
	format, err := checkFormat(source, format)
	if err != nil {
		return Playbook{}, err
	}
	prog, _, err := Validate(source)
	if err != nil {
		return Playbook{}, err
	}
	doc := prog.Document()
	now := s.nowUTC()
	var id int64
	err = s.db.GetContext(ctx, &id, s.sql.Get("insert-playbook"), doc.ID, doc.Name, format, string(source), now, now)
	if schema.IsUniqueViolation(err) {
		return Playbook{}, conflict("a playbook with id %q exists", doc.ID)
	}
	if err != nil {
		return Playbook{}, fmt.Errorf("insert playbook: %w", err)
	}
	return s.GetPlaybook(ctx, id)
}

// UpdateDraft replaces the draft of a playbook; the published versions are
// untouched until the next Publish.
func (s *Service) UpdateDraft(ctx context.Context, id int64, source []byte, format string) (Playbook, error) {
	format, err := checkFormat(source, format)
	if err != nil {
		return Playbook{}, err
	}
	prog, _, err := Validate(source)
	if err != nil {
		return Playbook{}, err
	}
	doc := prog.Document()
	res, err := s.db.ExecContext(ctx, s.sql.Get("update-playbook-draft"), doc.ID, doc.Name, format, string(source), s.nowUTC(), id)
	if schema.IsUniqueViolation(err) {
		return Playbook{}, conflict("a playbook with id %q exists", doc.ID)
	}
	if err != nil {
		return Playbook{}, fmt.Errorf("update playbook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Playbook{}, notFound("playbook", id)
	}
	return s.GetPlaybook(ctx, id)
}

// Publish stores the current draft as the next immutable version (1, 2, 3…)
// and makes it the one new conversations start on.
func (s *Service) Publish(ctx context.Context, id int64) (Version, error) {
	var v Version
	err := schema.WithTx(ctx, s.db, func(tx *schema.Tx) error {
		// Bumping published_version first locks the row, so two publishes
		// of one playbook get 1 and 2, never the same number.
		var r struct {
			Version int    `db:"published_version"`
			Draft   string `db:"draft"`
			Format  string `db:"format"`
		}
		if err := tx.GetContext(ctx, &r, s.sql.Get("bump-playbook-version"), s.nowUTC(), id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("playbook", id)
			}
			return fmt.Errorf("bump version: %w", err)
		}
		v = Version{PlaybookID: id, Version: r.Version, Source: r.Draft, Format: r.Format, AddTime: s.nowUTC()}
		if _, err := tx.ExecContext(ctx, s.sql.Get("insert-playbook-version"), id, v.Version, v.Source, v.Format, v.AddTime); err != nil {
			if schema.IsUniqueViolation(err) {
				return conflict("version %d of playbook %d exists", v.Version, id)
			}
			return fmt.Errorf("insert version: %w", err)
		}
		return nil
	})
	return v, err
}

// GetPlaybook returns a playbook with its stats.
func (s *Service) GetPlaybook(ctx context.Context, id int64) (Playbook, error) {
	var r playbookRow
	if err := s.db.GetContext(ctx, &r, s.sql.Get("get-playbook"), id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Playbook{}, notFound("playbook", id)
		}
		return Playbook{}, fmt.Errorf("get playbook: %w", err)
	}
	return r.playbook(), nil
}

// PlaybookBySlug returns a playbook by its document id.
func (s *Service) PlaybookBySlug(ctx context.Context, slug string) (Playbook, error) {
	var id int64
	if err := s.db.GetContext(ctx, &id, s.sql.Get("get-playbook-id-by-slug"), slug); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Playbook{}, notFound("playbook", slug)
		}
		return Playbook{}, fmt.Errorf("playbook by slug: %w", err)
	}
	return s.GetPlaybook(ctx, id)
}

// publishedBySlug is the id, slug and published version of a playbook,
// for Start.
func (s *Service) publishedBySlug(ctx context.Context, slug string) (Playbook, error) {
	var r struct {
		ID      int64  `db:"id"`
		Slug    string `db:"slug"`
		Version int    `db:"published_version"`
	}
	if err := s.db.GetContext(ctx, &r, s.sql.Get("get-published-by-slug"), slug); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Playbook{}, notFound("playbook", slug)
		}
		return Playbook{}, fmt.Errorf("playbook by slug: %w", err)
	}
	return Playbook{ID: r.ID, Slug: r.Slug, PublishedVersion: r.Version}, nil
}

// ListPlaybooks returns every playbook with its stats, oldest first.
func (s *Service) ListPlaybooks(ctx context.Context) ([]Playbook, error) {
	var rows []playbookRow
	if err := s.db.SelectContext(ctx, &rows, s.sql.Get("list-playbooks")); err != nil {
		return nil, fmt.Errorf("list playbooks: %w", err)
	}
	out := make([]Playbook, len(rows))
	for i, r := range rows {
		out[i] = r.playbook()
	}
	return out, nil
}

// ListVersions returns the published versions of a playbook, newest first.
func (s *Service) ListVersions(ctx context.Context, id int64) ([]Version, error) {
	if _, err := s.GetPlaybook(ctx, id); err != nil {
		return nil, err
	}
	var vs []Version
	if err := s.db.SelectContext(ctx, &vs, s.sql.Get("list-playbook-versions"), id); err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	for i := range vs {
		vs[i].AddTime = vs[i].AddTime.UTC()
	}
	return vs, nil
}

// GetVersion returns one published version.
func (s *Service) GetVersion(ctx context.Context, id int64, version int) (Version, error) {
	return s.getVersion(ctx, s.db, id, version)
}

func (s *Service) getVersion(ctx context.Context, q schema.Queryer, id int64, version int) (Version, error) {
	var v Version
	if err := q.GetContext(ctx, &v, s.sql.Get("get-playbook-version"), id, version); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Version{}, notFound("playbook version", fmt.Sprintf("%d/%d", id, version))
		}
		return Version{}, fmt.Errorf("get version: %w", err)
	}
	v.AddTime = v.AddTime.UTC()
	return v, nil
}

// DeletePlaybook removes a playbook and its versions. Conversations that ran
// it keep their events; their playbook_id becomes null and they cannot
// continue the bot flow.
func (s *Service) DeletePlaybook(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, s.sql.Get("delete-playbook"), id)
	if err != nil {
		return fmt.Errorf("delete playbook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("playbook", id)
	}
	return nil
}

// Program returns the compiled program of a published version, compiling it
// once per process: versions are immutable, so the cache never invalidates.
func (s *Service) Program(ctx context.Context, id int64, version int) (*playbook.Program, error) {
	return s.program(ctx, s.db, id, version)
}

// program is Program reading on q, so that code holding a transaction does
// not wait for a second pooled connection.
func (s *Service) program(ctx context.Context, q schema.Queryer, id int64, version int) (*playbook.Program, error) {
	k := progKey{id, version}
	s.progMu.Lock()
	p := s.progs[k]
	s.progMu.Unlock()
	if p != nil {
		return p, nil
	}
	v, err := s.getVersion(ctx, q, id, version)
	if err != nil {
		return nil, err
	}
	p, _, err = Validate([]byte(v.Source))
	if err != nil {
		// It validated when saved; a newer binary may be stricter.
		return nil, fmt.Errorf("playbook %d version %d no longer compiles: %w", id, version, err)
	}
	s.progMu.Lock()
	if q := s.progs[k]; q != nil {
		p = q
	} else {
		s.progs[k] = p
	}
	s.progMu.Unlock()
	return p, nil
}
