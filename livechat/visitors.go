package livechat

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/parley/parley/schema"
)

// Visitor is a browser on a site, known by its secret token. Its context is
// what the agent's side panel shows and what playbook expressions see as
// `visitor` and `page`.
type Visitor struct {
	ID           int64       `json:"id"`
	SiteID       int64       `json:"site_id"`
	CurrentURL   string      `json:"current_url"`
	CurrentTitle string      `json:"current_title"`
	Pages        []PageVisit `json:"pages"` // last MaxPages, oldest first
	Referrer     string      `json:"referrer"`
	Language     string      `json:"language"`
	Timezone     string      `json:"timezone"`
	Device       string      `json:"device"` // desktop | mobile | tablet
	Browser      string      `json:"browser"`
	OS           string      `json:"os"`
	Visits       int         `json:"visits"`
	SessionStart time.Time   `json:"session_start"`
	PageSince    time.Time   `json:"page_since"`
	FirstSeen    time.Time   `json:"first_seen"`
	LastSeen     time.Time   `json:"last_seen"`
}

// PageVisit is one page the visitor saw.
type PageVisit struct {
	URL   string    `json:"url"`
	Title string    `json:"title,omitempty"`
	At    time.Time `json:"at"`
}

// PageInfo is what the widget reports about the current page.
type PageInfo struct {
	URL      string `json:"url"`
	Title    string `json:"title"`
	Referrer string `json:"referrer"`
}

// Path returns the URL's path ("/" when empty or unparsable).
func (p PageInfo) Path() string { return urlPath(p.URL) }

func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}

// MaxPages is how many visited pages are kept per visitor.
const MaxPages = 20

// SessionGap is how long a visitor may be away before their next hello counts
// as a new visit.
const SessionGap = 30 * time.Minute

type visitorRow struct {
	ID           int64        `db:"id"`
	SiteID       int64        `db:"site_id"`
	CurrentURL   string       `db:"current_url"`
	CurrentTitle string       `db:"current_title"`
	Pages        string       `db:"pages"`
	Referrer     string       `db:"referrer"`
	Language     string       `db:"language"`
	Timezone     string       `db:"timezone"`
	Device       string       `db:"device"`
	Browser      string       `db:"browser"`
	OS           string       `db:"os"`
	Visits       int          `db:"visits"`
	SessionStart sql.NullTime `db:"session_start"`
	PageSince    sql.NullTime `db:"page_since"`
	FirstSeen    time.Time    `db:"first_seen"`
	LastSeen     time.Time    `db:"last_seen"`
}

func (r visitorRow) visitor() Visitor {
	v := Visitor{ID: r.ID, SiteID: r.SiteID, CurrentURL: r.CurrentURL, CurrentTitle: r.CurrentTitle,
		Referrer: r.Referrer, Language: r.Language, Timezone: r.Timezone, Device: r.Device, Browser: r.Browser,
		OS: r.OS, Visits: r.Visits, FirstSeen: r.FirstSeen.UTC(), LastSeen: r.LastSeen.UTC()}
	if r.SessionStart.Valid {
		v.SessionStart = r.SessionStart.Time.UTC()
	}
	if r.PageSince.Valid {
		v.PageSince = r.PageSince.Time.UTC()
	}
	_ = json.Unmarshal([]byte(r.Pages), &v.Pages) // written by us; a bad value just loses the history
	if v.Pages == nil {
		v.Pages = []PageVisit{}
	}
	return v
}

// hashToken is how visitor tokens are stored: a leaked database does not
// let anyone read a visitor's conversations.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateVisitor registers a new browser on the site and returns it with its
// token. The token is shown only here; the database keeps its SHA-256.
func (s *Service) CreateVisitor(ctx context.Context, siteID int64) (Visitor, string, error) {
	token := "pv_" + randomKey(24)
	now := s.nowUTC()
	var id int64
	if err := s.db.GetContext(ctx, &id, s.sql.Get("insert-visitor"), siteID, hashToken(token), now, now); err != nil {
		return Visitor{}, "", fmt.Errorf("insert visitor: %w", err)
	}
	v, err := s.GetVisitor(ctx, id)
	return v, token, err
}

// VisitorByToken authenticates a visitor of a site by token. A token of
// another site is not found.
func (s *Service) VisitorByToken(ctx context.Context, siteID int64, token string) (Visitor, error) {
	var r visitorRow
	if err := s.db.GetContext(ctx, &r, s.sql.Get("get-visitor-by-token"), hashToken(token), siteID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Visitor{}, fmt.Errorf("visitor token: %w", ErrNotFound)
		}
		return Visitor{}, fmt.Errorf("visitor by token: %w", err)
	}
	return r.visitor(), nil
}

// GetVisitor returns a visitor by id.
func (s *Service) GetVisitor(ctx context.Context, id int64) (Visitor, error) {
	var r visitorRow
	if err := s.db.GetContext(ctx, &r, s.sql.Get("get-visitor"), id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Visitor{}, notFound("visitor", id)
		}
		return Visitor{}, fmt.Errorf("get visitor: %w", err)
	}
	return r.visitor(), nil
}

// ListVisitors returns a site's visitors (all sites with siteID 0) seen since
// the given time, most recent first: `GET /visitors?online=true` passes now
// minus a couple of minutes.
func (s *Service) ListVisitors(ctx context.Context, siteID int64, seenSince time.Time, limit int) ([]Visitor, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var rows []visitorRow
	if err := s.db.SelectContext(ctx, &rows, s.sql.Get("list-visitors"), siteID, siteID, seenSince.UTC(), limit); err != nil {
		return nil, fmt.Errorf("list visitors: %w", err)
	}
	out := make([]Visitor, len(rows))
	for i, r := range rows {
		out[i] = r.visitor()
	}
	return out, nil
}

// touch updates the visitor's context from a hello or page frame and
// returns the visitor as stored. It re-reads the row under its lock rather
// than trusting a Visitor the caller holds: the socket's copy is the one read
// at connect, and writing it back whole would undo what a hello (language,
// device, visits) or another tab (pages seen) recorded since. A hello after
// SessionGap of silence starts a new visit.
func (s *Service) touch(ctx context.Context, id int64, page *PageInfo, hello *HelloInput) (Visitor, error) {
	var v Visitor
	err := schema.WithTx(ctx, s.db, func(tx *schema.Tx) error {
		var r visitorRow
		if err := tx.GetContext(ctx, &r, s.sql.Get("lock-visitor"), id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("visitor", id)
			}
			return fmt.Errorf("lock visitor: %w", err)
		}
		v = r.visitor()
		s.applyContext(&v, page, hello)
		_, err := tx.ExecContext(ctx, s.sql.Get("update-visitor"), v.CurrentURL, v.CurrentTitle, mustJSON(v.Pages),
			v.Referrer, v.Language, v.Timezone, v.Device, v.Browser, v.OS, v.Visits, v.SessionStart, v.PageSince, v.LastSeen, v.ID)
		if err != nil {
			return fmt.Errorf("update visitor: %w", err)
		}
		return nil
	})
	if err != nil {
		return Visitor{}, err
	}
	return v, nil
}

// applyContext folds what a hello or page frame tells into v.
func (s *Service) applyContext(v *Visitor, page *PageInfo, hello *HelloInput) {
	now := s.nowUTC()
	if hello != nil {
		if v.Visits == 0 || now.Sub(v.LastSeen) > SessionGap {
			v.Visits++
			v.SessionStart = now
		}
		if hello.Language != "" {
			v.Language = clip(hello.Language, 35)
		}
		if hello.Timezone != "" {
			v.Timezone = clip(hello.Timezone, 64)
		}
		if hello.UserAgent != "" {
			v.Browser, v.OS, v.Device = ParseUserAgent(hello.UserAgent)
		}
		if hello.Device != "" {
			v.Device = clip(hello.Device, 32)
		}
	}
	if page != nil && page.URL != "" {
		if page.URL != v.CurrentURL {
			v.PageSince = now
			v.Pages = append(v.Pages, PageVisit{URL: clip(page.URL, 2000), Title: clip(page.Title, 300), At: now})
			if len(v.Pages) > MaxPages {
				v.Pages = v.Pages[len(v.Pages)-MaxPages:]
			}
		}
		v.CurrentURL, v.CurrentTitle = clip(page.URL, 2000), clip(page.Title, 300)
		if page.Referrer != "" && v.Referrer == "" {
			v.Referrer = clip(page.Referrer, 2000)
		}
	}
	if v.SessionStart.IsZero() {
		v.SessionStart = now
	}
	if v.PageSince.IsZero() {
		v.PageSince = now
	}
	v.LastSeen = now
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// ParseUserAgent guesses browser, OS and device class from a User-Agent
// header. It is rough on purpose: the agent's side panel only needs
// "Chrome on macOS, desktop".
func ParseUserAgent(ua string) (browser, os, device string) {
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "edg/"):
		browser = "Edge"
	case strings.Contains(l, "opr/") || strings.Contains(l, "opera"):
		browser = "Opera"
	case strings.Contains(l, "firefox/") || strings.Contains(l, "fxios"):
		browser = "Firefox"
	case strings.Contains(l, "chrome/") || strings.Contains(l, "crios"):
		browser = "Chrome"
	case strings.Contains(l, "safari/"):
		browser = "Safari"
	default:
		browser = "Other"
	}
	switch {
	case strings.Contains(l, "iphone") || strings.Contains(l, "ipad") || strings.Contains(l, "ipod"):
		os = "iOS"
	case strings.Contains(l, "android"):
		os = "Android"
	case strings.Contains(l, "windows"):
		os = "Windows"
	case strings.Contains(l, "mac os") || strings.Contains(l, "macintosh"):
		os = "macOS"
	case strings.Contains(l, "cros"):
		os = "ChromeOS"
	case strings.Contains(l, "linux"):
		os = "Linux"
	default:
		os = "Other"
	}
	switch {
	case strings.Contains(l, "ipad") || strings.Contains(l, "tablet") || (strings.Contains(l, "android") && !strings.Contains(l, "mobile")):
		device = "tablet"
	case strings.Contains(l, "mobi") || strings.Contains(l, "iphone"):
		device = "mobile"
	default:
		device = "desktop"
	}
	return browser, os, device
}
