package livechat

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/playbook"
)

// Site is a website that shows the widget. SiteKey is public (it is in the
// snippet); what protects a site is AllowedOrigins.
type Site struct {
	ID             int64                `json:"id"`
	SiteKey        string               `json:"site_key"`
	Name           string               `json:"name"`
	AllowedOrigins []string             `json:"allowed_origins"`
	Appearance     Appearance           `json:"appearance"`
	Texts          map[string]SiteTexts `json:"texts"` // by language; missing keys fall back to DefaultTexts
	BusinessHours  BusinessHours        `json:"business_hours"`
	OutsideHours   string               `json:"outside_hours"` // OutsideHide | OutsideMessage
	PreChat        PreChat              `json:"pre_chat"`
	Pages          PageRules            `json:"pages"`
	AddTime        time.Time            `json:"add_time"`
	UpdateTime     time.Time            `json:"update_time"`
}

// Appearance is how the launcher looks.
type Appearance struct {
	Color    string `json:"color"`     // #RRGGBB
	Position string `json:"position"`  // left | right
	OffsetPx int    `json:"offset_px"` // 0..400, default 25
}

// SiteTexts are the widget's own texts in one language.
type SiteTexts struct {
	Launcher       string `json:"launcher,omitempty"`
	Header         string `json:"header,omitempty"`
	OfflineMessage string `json:"offline_message,omitempty"`
	Placeholder    string `json:"placeholder,omitempty"`
	AgentJoined    string `json:"agent_joined,omitempty"` // "%s joined"
	Restart        string `json:"restart,omitempty"`
}

// BusinessHours are the opening hours: per weekday ("mon".."sun") a list of
// "HH:MM-HH:MM" ranges in TimeZone. No days at all means always open.
type BusinessHours struct {
	TimeZone string              `json:"timezone"`
	Days     map[string][]string `json:"days,omitempty"`
}

// PreChat is the optional form shown before the first message.
type PreChat struct {
	Enabled               bool           `json:"enabled"`
	Fields                []PreChatField `json:"fields,omitempty"`
	RequireBeforeMessages bool           `json:"require_before_messages"`
}

// PreChatField is one field of the pre-chat form.
type PreChatField struct {
	Name     string `json:"name"` // person.name, person.email, person.phone, organization.name
	Label    string `json:"label"`
	Required bool   `json:"required"`
}

// PageRules limit the pages the widget shows on; globs with `*`.
type PageRules struct {
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

// Outside-hours behaviours.
const (
	OutsideHide    = "hide"    // the launcher is hidden outside business hours
	OutsideMessage = "message" // the widget shows the offline message (messenger mode)
)

// defaultTexts are the built-in widget texts; a site's Texts override them key by key.
var defaultTexts = map[string]SiteTexts{
	"en": {Launcher: "Chat with us", Header: "We're here to help", OfflineMessage: "We're away right now. Leave a message and we'll get back to you.", Placeholder: "Type a message…", AgentJoined: "%s joined", Restart: "Start over"},
	"fr": {Launcher: "Discutons", Header: "Nous sommes là pour vous aider", OfflineMessage: "Nous sommes absents pour le moment. Laissez un message, nous vous répondrons.", Placeholder: "Écrivez un message…", AgentJoined: "%s a rejoint la conversation", Restart: "Recommencer"},
	"es": {Launcher: "Chatea con nosotros", Header: "Estamos aquí para ayudarte", OfflineMessage: "Ahora no estamos. Déjanos un mensaje y te responderemos.", Placeholder: "Escribe un mensaje…", AgentJoined: "%s se unió", Restart: "Empezar de nuevo"},
	"pt": {Launcher: "Fale conosco", Header: "Estamos aqui para ajudar", OfflineMessage: "Estamos ausentes agora. Deixe uma mensagem e responderemos.", Placeholder: "Escreva uma mensagem…", AgentJoined: "%s entrou", Restart: "Recomeçar"},
}

// AllDefaultTexts is every language's built-in texts (the settings page
// shows them where a site leaves a text empty).
func AllDefaultTexts() map[string]SiteTexts {
	out := make(map[string]SiteTexts, len(defaultTexts))
	for k, v := range defaultTexts {
		out[k] = v
	}
	return out
}

// DefaultTexts returns the built-in texts for lang (en, fr, es, pt; others get en).
func DefaultTexts(lang string) SiteTexts {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	if t, ok := defaultTexts[base]; ok {
		return t
	}
	return defaultTexts["en"]
}

// TextsFor merges the site's texts for lang over the built-in defaults.
func (s Site) TextsFor(lang string) SiteTexts {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	t := DefaultTexts(base)
	o, ok := s.Texts[base]
	if !ok {
		return t
	}
	for _, p := range []struct {
		dst *string
		src string
	}{
		{&t.Launcher, o.Launcher}, {&t.Header, o.Header}, {&t.OfflineMessage, o.OfflineMessage},
		{&t.Placeholder, o.Placeholder}, {&t.AgentJoined, o.AgentJoined}, {&t.Restart, o.Restart},
	} {
		if p.src != "" {
			*p.dst = p.src
		}
	}
	return t
}

// SiteInput creates a site or patches one: nil fields are left as they are
// (on create: defaults).
type SiteInput struct {
	Name           *string               `json:"name"`
	AllowedOrigins *[]string             `json:"allowed_origins"`
	Appearance     *Appearance           `json:"appearance"`
	Texts          *map[string]SiteTexts `json:"texts"`
	BusinessHours  *BusinessHours        `json:"business_hours"`
	OutsideHours   *string               `json:"outside_hours"`
	PreChat        *PreChat              `json:"pre_chat"`
	Pages          *PageRules            `json:"pages"`
}

var (
	colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	rangeRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$`)
	weekday = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

func (in SiteInput) apply(s *Site) {
	if in.Name != nil {
		s.Name = strings.TrimSpace(*in.Name)
	}
	if in.AllowedOrigins != nil {
		s.AllowedOrigins = make([]string, 0, len(*in.AllowedOrigins))
		for _, o := range *in.AllowedOrigins {
			s.AllowedOrigins = append(s.AllowedOrigins, strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/"))
		}
	}
	if in.Appearance != nil {
		s.Appearance = *in.Appearance
	}
	if in.Texts != nil {
		s.Texts = *in.Texts
	}
	if in.BusinessHours != nil {
		s.BusinessHours = *in.BusinessHours
	}
	if in.OutsideHours != nil {
		s.OutsideHours = *in.OutsideHours
	}
	if in.PreChat != nil {
		s.PreChat = *in.PreChat
	}
	if in.Pages != nil {
		s.Pages = *in.Pages
	}
}

func (s *Site) validate() error {
	var p crm.Problems
	if s.Name == "" {
		p.Add("name", "is required")
	} else if len(s.Name) > 200 {
		p.Add("name", "is longer than 200 characters")
	}
	for i, o := range s.AllowedOrigins {
		if !validOrigin(o) {
			p.Add(fmt.Sprintf("allowed_origins[%d]", i), "must be scheme://host[:port], e.g. https://www.example.com")
		}
	}
	if s.Appearance.Color == "" {
		s.Appearance.Color = "#2563eb"
	}
	if !colorRe.MatchString(s.Appearance.Color) {
		p.Add("appearance.color", "must be #RRGGBB")
	}
	if s.Appearance.Position == "" {
		s.Appearance.Position = "right"
	}
	if s.Appearance.Position != "left" && s.Appearance.Position != "right" {
		p.Add("appearance.position", "must be left or right")
	}
	if s.Appearance.OffsetPx < 0 || s.Appearance.OffsetPx > 400 {
		p.Add("appearance.offset_px", "must be between 0 and 400")
	}
	for lang := range s.Texts {
		if len(lang) < 2 || len(lang) > 8 {
			p.Add("texts."+lang, "must be keyed by a language code such as en or pt")
		}
	}
	if s.BusinessHours.TimeZone == "" {
		s.BusinessHours.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(s.BusinessHours.TimeZone); err != nil {
		p.Add("business_hours.timezone", "is not a known time zone (e.g. Europe/Paris)")
	}
	for day, ranges := range s.BusinessHours.Days {
		if dayIndex(day) < 0 {
			p.Add("business_hours.days."+day, "must be one of mon, tue, wed, thu, fri, sat, sun")
			continue
		}
		for i, r := range ranges {
			if from, to, ok := parseRange(r); !ok || from >= to {
				p.Add(fmt.Sprintf("business_hours.days.%s[%d]", day, i), "must be HH:MM-HH:MM with the start before the end")
			}
		}
	}
	if s.OutsideHours == "" {
		s.OutsideHours = OutsideMessage
	}
	if s.OutsideHours != OutsideHide && s.OutsideHours != OutsideMessage {
		p.Add("outside_hours", "must be hide or message")
	}
	if len(s.PreChat.Fields) > 8 {
		p.Add("pre_chat.fields", "has more than 8 fields")
	}
	for i, f := range s.PreChat.Fields {
		switch f.Name {
		case "person.name", "person.email", "person.phone", "organization.name":
		default:
			p.Add(fmt.Sprintf("pre_chat.fields[%d].name", i), "must be person.name, person.email, person.phone or organization.name")
		}
		if strings.TrimSpace(f.Label) == "" {
			p.Add(fmt.Sprintf("pre_chat.fields[%d].label", i), "is required")
		}
	}
	for i, g := range append(append([]string{}, s.Pages.Include...), s.Pages.Exclude...) {
		if g == "" || len(g) > 500 {
			p.Add(fmt.Sprintf("pages[%d]", i), "must be a non-empty path glob such as /pricing*")
		}
	}
	return p.Err()
}

// validOrigin accepts exactly scheme://host[:port] with http or https.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return false
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return false
		}
	}
	return true
}

func dayIndex(d string) int {
	for i, w := range weekday {
		if w == d {
			return i
		}
	}
	return -1
}

// parseRange reads "HH:MM-HH:MM" as minutes since midnight (24:00 allowed as an end).
func parseRange(r string) (from, to int, ok bool) {
	m := rangeRe.FindStringSubmatch(r)
	if m == nil {
		return 0, 0, false
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	from, to = n(m[1])*60+n(m[2]), n(m[3])*60+n(m[4])
	return from, to, to <= 24*60
}

// InHours tells whether now is within the site's business hours. A site
// without any days configured is always open.
func (s Site) InHours(now time.Time) bool {
	if len(s.BusinessHours.Days) == 0 {
		return true
	}
	loc, err := time.LoadLocation(s.BusinessHours.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	t := now.In(loc)
	mins := t.Hour()*60 + t.Minute()
	for _, r := range s.BusinessHours.Days[weekday[t.Weekday()]] {
		if from, to, ok := parseRange(r); ok && mins >= from && mins < to {
			return true
		}
	}
	return false
}

// ShowsOn tells whether the widget shows on path: it must match an Include
// glob (when there are any) and no Exclude glob.
func (s Site) ShowsOn(path string) bool {
	return playbook.PagesMatch(s.Pages.Include, s.Pages.Exclude, path)
}

// OriginAllowed tells whether a page with the given Origin header may use
// the site: an exact, case-insensitive match of scheme, host and port with
// one of AllowedOrigins (a default port is the same as none). An empty list
// allows nothing, so a new site is closed until an admin names its origins;
// the demo site lists the server's own origin.
func OriginAllowed(site Site, origin string) bool {
	o := normalizeOrigin(origin)
	if o == "" {
		return false
	}
	for _, a := range site.AllowedOrigins {
		if normalizeOrigin(a) == o {
			return true
		}
	}
	return false
}

func normalizeOrigin(o string) string {
	u, err := url.Parse(strings.ToLower(strings.TrimSpace(o)))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	host, port := u.Hostname(), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return u.Scheme + "://" + host + ":" + port
	}
	return u.Scheme + "://" + host
}

// randomKey returns n random bytes, URL-safe base64 encoded.
func randomKey(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type siteRow struct {
	ID             int64     `db:"id"`
	SiteKey        string    `db:"site_key"`
	Name           string    `db:"name"`
	AllowedOrigins string    `db:"allowed_origins"`
	Appearance     string    `db:"appearance"`
	Texts          string    `db:"texts"`
	BusinessHours  string    `db:"business_hours"`
	OutsideHours   string    `db:"outside_hours"`
	PreChat        string    `db:"pre_chat"`
	Pages          string    `db:"pages"`
	AddTime        time.Time `db:"add_time"`
	UpdateTime     time.Time `db:"update_time"`
}

func (r siteRow) site() (Site, error) {
	s := Site{ID: r.ID, SiteKey: r.SiteKey, Name: r.Name, OutsideHours: r.OutsideHours, AddTime: r.AddTime.UTC(), UpdateTime: r.UpdateTime.UTC()}
	for _, f := range []struct {
		src string
		dst any
	}{{r.AllowedOrigins, &s.AllowedOrigins}, {r.Appearance, &s.Appearance}, {r.Texts, &s.Texts},
		{r.BusinessHours, &s.BusinessHours}, {r.PreChat, &s.PreChat}, {r.Pages, &s.Pages}} {
		if f.src == "" {
			continue
		}
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return Site{}, fmt.Errorf("site %d: decode: %w", r.ID, err)
		}
	}
	if s.AllowedOrigins == nil {
		s.AllowedOrigins = []string{}
	}
	return s, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain data is marshalled here
	}
	return string(b)
}

func (s *Service) siteArgs(st Site) []any {
	if st.Texts == nil {
		st.Texts = map[string]SiteTexts{}
	}
	return []any{st.Name, mustJSON(st.AllowedOrigins), mustJSON(st.Appearance), mustJSON(st.Texts),
		mustJSON(st.BusinessHours), st.OutsideHours, mustJSON(st.PreChat), mustJSON(st.Pages)}
}

// CreateSite validates in and stores a new site with a random site key.
func (s *Service) CreateSite(ctx context.Context, in SiteInput) (Site, error) {
	st := Site{AllowedOrigins: []string{}, Appearance: Appearance{OffsetPx: 25}}
	in.apply(&st)
	if err := st.validate(); err != nil {
		return Site{}, err
	}
	now := s.nowUTC()
	args := append([]any{randomKey(18)}, s.siteArgs(st)...)
	args = append(args, now, now)
	var id int64
	if err := s.db.GetContext(ctx, &id, s.sql.Get("insert-site"), args...); err != nil {
		return Site{}, fmt.Errorf("insert site: %w", err)
	}
	return s.GetSite(ctx, id)
}

// GetSite returns a site by id.
func (s *Service) GetSite(ctx context.Context, id int64) (Site, error) {
	return s.getSite(ctx, "get-site", id)
}

// SiteTTL is how long a site read for the playbook env is reused. Changes
// made through this Service are seen at once (UpdateSite and DeleteSite
// invalidate); the TTL bounds how stale a change made on another server can
// be (business hours for in_hours).
const SiteTTL = 5 * time.Second

type cachedSite struct {
	site    Site
	expires time.Time // wall clock: the TTL is about other servers, not the test clock
}

// cachedSite returns the site for the hot paths (the env of every answer and
// message), from the cache while fresh. The returned Site shares its maps
// and slices with the cache: read it, never change it.
func (s *Service) cachedSite(ctx context.Context, id int64) (Site, error) {
	s.siteMu.Lock()
	c, ok := s.sites[id]
	gen := s.siteGen
	s.siteMu.Unlock()
	if ok && time.Now().Before(c.expires) {
		return c.site, nil
	}
	st, err := s.GetSite(ctx, id)
	if err != nil {
		return Site{}, err
	}
	s.siteMu.Lock()
	// A site read before an invalidation must not be cached after it.
	if s.siteGen == gen {
		s.sites[id] = cachedSite{site: st, expires: time.Now().Add(SiteTTL)}
	}
	s.siteMu.Unlock()
	return st, nil
}

func (s *Service) forgetSite(id int64) {
	s.siteMu.Lock()
	delete(s.sites, id)
	s.siteGen++
	s.siteMu.Unlock()
}

// SiteByKey returns the site with the given public key (from the widget snippet).
func (s *Service) SiteByKey(ctx context.Context, key string) (Site, error) {
	return s.getSite(ctx, "get-site-by-key", key)
}

func (s *Service) getSite(ctx context.Context, query string, arg any) (Site, error) {
	var r siteRow
	if err := s.db.GetContext(ctx, &r, s.sql.Get(query), arg); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Site{}, notFound("site", arg)
		}
		return Site{}, fmt.Errorf("get site: %w", err)
	}
	return r.site()
}

// ListSites returns every site, oldest first.
func (s *Service) ListSites(ctx context.Context) ([]Site, error) {
	var rows []siteRow
	if err := s.db.SelectContext(ctx, &rows, s.sql.Get("list-sites")); err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	out := make([]Site, 0, len(rows))
	for _, r := range rows {
		st, err := r.site()
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// UpdateSite applies the non-nil fields of in to the site.
func (s *Service) UpdateSite(ctx context.Context, id int64, in SiteInput) (Site, error) {
	st, err := s.GetSite(ctx, id)
	if err != nil {
		return Site{}, err
	}
	in.apply(&st)
	if err := st.validate(); err != nil {
		return Site{}, err
	}
	args := append(s.siteArgs(st), s.nowUTC(), id)
	res, err := s.db.ExecContext(ctx, s.sql.Get("update-site"), args...)
	s.forgetSite(id)
	if err != nil {
		return Site{}, fmt.Errorf("update site: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Site{}, notFound("site", id)
	}
	return s.GetSite(ctx, id)
}

// DeleteSite removes a site with its visitors and conversations.
func (s *Service) DeleteSite(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, s.sql.Get("delete-site"), id)
	s.forgetSite(id)
	if err != nil {
		return fmt.Errorf("delete site: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("site", id)
	}
	return nil
}
