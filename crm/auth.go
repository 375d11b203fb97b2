package crm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrBadCredentials is returned for a wrong email, password or token; it
// never says which, so it cannot be used to find accounts.
var ErrBadCredentials = errors.New("invalid credentials")

// TokenPrefix starts every API token, so leaked tokens are easy to grep for.
const TokenPrefix = "pk_"

// SessionTTL is how long an agent stays signed in.
const SessionTTL = 14 * 24 * time.Hour

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret stores tokens and session ids: they are long random strings, so
// a fast hash is enough and lets us look them up by index.
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// dummyHash makes a login for an unknown email cost as much as one for a known
// email, so response times do not reveal which accounts exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("parley-dummy-password"), bcrypt.DefaultCost)

// Authenticate checks an email and password.
func (m *Manager) Authenticate(ctx context.Context, email, password string) (User, error) {
	u, err := m.GetUserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	if u.PasswordHash == "" || !u.Active {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return User{}, ErrBadCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// APIToken describes a token without its secret.
type APIToken struct {
	ID         int64      `db:"id" json:"id"`
	UserID     int64      `db:"user_id" json:"user_id"`
	Name       string     `db:"name" json:"name"`
	Prefix     string     `db:"prefix" json:"prefix"`
	AddTime    time.Time  `db:"add_time" json:"add_time"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
}

// CreateToken makes a new API token for a user and returns its secret, which
// is shown once: only its hash is stored.
func (m *Manager) CreateToken(ctx context.Context, userID int64, name string) (APIToken, string, error) {
	if len(name) > 100 {
		return APIToken{}, "", Invalid("name", "is longer than 100 characters")
	}
	if _, err := m.GetUser(ctx, userID); err != nil {
		return APIToken{}, "", err
	}
	secret := TokenPrefix + randomToken(32)
	t := APIToken{UserID: userID, Name: name, Prefix: secret[:len(TokenPrefix)+6], AddTime: m.nowUTC()}
	if err := m.q.QueryRowxContext(ctx, m.sql.Get("insert-token"), userID, name, hashSecret(secret), t.Prefix, t.AddTime).Scan(&t.ID); err != nil {
		return APIToken{}, "", fmt.Errorf("insert token: %w", err)
	}
	return t, secret, nil
}

// ListTokens lists a user's tokens (never their secrets).
func (m *Manager) ListTokens(ctx context.Context, userID int64) ([]APIToken, error) {
	ts := []APIToken{}
	if err := m.q.SelectContext(ctx, &ts, m.sql.Get("list-tokens"), userID); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// DeleteToken revokes one of a user's tokens.
func (m *Manager) DeleteToken(ctx context.Context, userID, tokenID int64) error {
	res, err := m.q.ExecContext(ctx, m.sql.Get("delete-token"), tokenID, userID)
	if err != nil {
		return fmt.Errorf("delete token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("token", tokenID)
	}
	return nil
}

// UserByToken resolves an API token to its user. The token id is returned
// too: rate limits are counted per token.
func (m *Manager) UserByToken(ctx context.Context, secret string) (User, int64, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 200 {
		return User{}, 0, ErrBadCredentials
	}
	var row struct {
		TokenID  int64        `db:"token_id"`
		LastUsed sql.NullTime `db:"token_last_used"`
		GroupIDs string       `db:"group_ids"`
		User
	}
	if err := m.q.GetContext(ctx, &row, m.sql.Get("get-token-user"), hashSecret(secret)); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, 0, ErrBadCredentials
		}
		return User{}, 0, fmt.Errorf("look up token: %w", err)
	}
	if !row.User.Active {
		return User{}, 0, ErrBadCredentials
	}
	// Recording every use would turn each read into a write; once a minute is
	// plenty, and the statement is skipped when the row says it is not due
	// (the update's condition still decides between racing requests).
	now := m.nowUTC()
	if !row.LastUsed.Valid || row.LastUsed.Time.Before(now.Add(-time.Minute)) {
		if _, err := m.q.ExecContext(ctx, m.sql.Get("touch-token"), now, row.TokenID, now.Add(-time.Minute)); err != nil {
			return User{}, 0, fmt.Errorf("touch token: %w", err)
		}
	}
	u := row.User
	var err error
	if u.Groups, err = parseIDs(row.GroupIDs); err != nil {
		return User{}, 0, fmt.Errorf("token user groups: %w", err)
	}
	return u, row.TokenID, nil
}

// Session is a signed-in browser.
type Session struct {
	ID        string // the cookie value; only its hash is stored
	CSRFToken string
	ExpiresAt time.Time
	User      User
}

// CreateSession signs a user in and returns the session with its secret id.
func (m *Manager) CreateSession(ctx context.Context, userID int64) (Session, error) {
	now := m.nowUTC()
	s := Session{ID: randomToken(32), CSRFToken: randomToken(24), ExpiresAt: now.Add(SessionTTL)}
	if _, err := m.q.ExecContext(ctx, m.sql.Get("insert-session"), hashSecret(s.ID), userID, s.CSRFToken, now, s.ExpiresAt); err != nil {
		return Session{}, fmt.Errorf("insert session: %w", err)
	}
	u, err := m.GetUser(ctx, userID)
	if err != nil {
		return Session{}, err
	}
	s.User = u
	// Expired sessions are cleared as new ones are made, so the table stays small without a janitor.
	if _, err := m.q.ExecContext(ctx, m.sql.Get("delete-expired-sessions"), now); err != nil {
		return Session{}, fmt.Errorf("clear expired sessions: %w", err)
	}
	return s, nil
}

// GetSession resolves a session cookie.
func (m *Manager) GetSession(ctx context.Context, id string) (Session, error) {
	if id == "" || len(id) > 200 {
		return Session{}, ErrBadCredentials
	}
	var row struct {
		CSRFToken string    `db:"csrf_token"`
		ExpiresAt time.Time `db:"expires_at"`
		GroupIDs  string    `db:"group_ids"`
		User
	}
	if err := m.q.GetContext(ctx, &row, m.sql.Get("get-session"), hashSecret(id), m.nowUTC()); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Session{}, ErrBadCredentials
		}
		return Session{}, fmt.Errorf("get session: %w", err)
	}
	if !row.User.Active {
		return Session{}, ErrBadCredentials
	}
	u := row.User
	var err error
	if u.Groups, err = parseIDs(row.GroupIDs); err != nil {
		return Session{}, fmt.Errorf("session user groups: %w", err)
	}
	return Session{ID: id, CSRFToken: row.CSRFToken, ExpiresAt: row.ExpiresAt, User: u}, nil
}

// DeleteSession signs a browser out.
func (m *Manager) DeleteSession(ctx context.Context, id string) error {
	if _, err := m.q.ExecContext(ctx, m.sql.Get("delete-session"), hashSecret(id)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// CheckCSRF compares a request's CSRF token with the session's in constant time.
func (s Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRFToken)) == 1
}

// GeneratePassword makes a random password for `parley user add` without --password.
func GeneratePassword() string { return randomToken(15) }

// parseIDs reads the comma-separated ids string_agg made, sorted; "" is
// none.
func parseIDs(s string) ([]int64, error) {
	ids := []int64{}
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}
