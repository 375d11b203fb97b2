package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/schema"
)

//go:embed sql/*.sql
var queryFS embed.FS

// IdempotencyTTL is how long a key's first result is replayed.
const IdempotencyTTL = 24 * time.Hour

// idempotency makes a POST with an Idempotency-Key happen once: the key is
// claimed with an insert on a unique key, so concurrent requests with the same
// key are decided by the database, and the others replay the first result.
type idempotency struct {
	db  *schema.DB
	sql *schema.Queries
	now func() time.Time
}

func newIdempotency(ctx context.Context, db *schema.DB, now func() time.Time) (*idempotency, error) {
	qs, err := schema.LoadQueries(queryFS, "sql/*.sql", db)
	if err != nil {
		return nil, fmt.Errorf("api: load queries: %w", err)
	}
	if err := qs.Check(ctx, db); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	return &idempotency{db: db, sql: qs, now: now}, nil
}

type idemRow struct {
	Method      string    `db:"method"`
	Path        string    `db:"path"`
	RequestHash string    `db:"request_hash"`
	State       string    `db:"state"`
	Status      int       `db:"status"`
	Body        string    `db:"body"`
	AddTime     time.Time `db:"add_time"`
}

// recorder keeps a copy of what the handler writes.
type recorder struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.buf.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}

func (s *Server) idempotent(c *gin.Context) {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		c.Next()
		return
	}
	if len(key) > 255 {
		s.fail(c, errField(http.StatusBadRequest, "Idempotency-Key", "must be at most 255 characters"))
		return
	}
	body, err := readBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	userID := me(c).ID
	ctx := c.Request.Context()
	q := s.idem

	if !s.claimKey(c, userID, key, hash) {
		return // replayed, refused or failed: the response is written
	}

	rec := &recorder{ResponseWriter: c.Writer}
	c.Writer = rec
	finished := false
	defer func() {
		// A failed or panicking request did nothing worth replaying: free the key
		// so that the client's retry runs for real.
		if !finished {
			q.db.ExecContext(context.WithoutCancel(ctx), q.sql.Get("delete-idempotency-key"), userID, key)
		}
	}()
	c.Next()
	status := rec.Status()
	if status >= 500 || status == http.StatusTooManyRequests {
		return
	}
	if _, err := q.db.ExecContext(context.WithoutCancel(ctx), q.sql.Get("finish-idempotency-key"), status, rec.buf.String(), userID, key); err != nil {
		s.log.Error("store idempotent result", "err", err, "request_id", requestID(c))
		return
	}
	finished = true
}

// claimKey makes this request the one that runs for key, or answers it with
// the result of the request that did. It returns true when the caller must
// run the handler.
func (s *Server) claimKey(c *gin.Context, userID int64, key, hash string) bool {
	ctx := c.Request.Context()
	q := s.idem
	deadline := time.Now().Add(15 * time.Second)
	for {
		now := q.now().UTC()
		_, err := q.db.ExecContext(ctx, q.sql.Get("insert-idempotency-key"), userID, key, c.Request.Method, c.Request.URL.Path, hash, now)
		if err == nil {
			return true
		}
		if !schema.IsUniqueViolation(err) {
			s.fail(c, fmt.Errorf("claim idempotency key: %w", err))
			return false
		}
		// A key older than the TTL is free again.
		if _, err := q.db.ExecContext(ctx, q.sql.Get("delete-expired-idempotency-key"), userID, key, now.Add(-IdempotencyTTL)); err != nil {
			s.fail(c, fmt.Errorf("expire idempotency key: %w", err))
			return false
		}
		var row idemRow
		err = q.db.GetContext(ctx, &row, q.sql.Get("get-idempotency-key"), userID, key)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue // expired, or the first request failed and freed it: claim it
		case err != nil:
			s.fail(c, fmt.Errorf("read idempotency key: %w", err))
			return false
		case row.Method != c.Request.Method || row.Path != c.Request.URL.Path || row.RequestHash != hash:
			s.fail(c, errField(http.StatusUnprocessableEntity, "Idempotency-Key", "was already used for a different request"))
			return false
		case row.State == "done":
			c.Header("Idempotent-Replayed", "true")
			c.Data(row.Status, "application/json; charset=utf-8", []byte(row.Body))
			c.Abort()
			return false
		}
		// The first request is still running: wait for its result.
		if time.Now().After(deadline) {
			c.Header("Retry-After", "1")
			s.fail(c, errStatus(http.StatusConflict, "a request with this Idempotency-Key is still being processed"))
			return false
		}
		select {
		case <-ctx.Done():
			s.fail(c, ctx.Err())
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}
