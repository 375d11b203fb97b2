package api

import (
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"net/http"
)

// rateLimiter is a token bucket per key: limit requests per window, refilled
// continuously. It lives in memory: each server process counts its own
// requests, which bounds any one client per process and needs no round trip.
type rateLimiter struct {
	mu      sync.Mutex
	limit   float64
	window  time.Duration
	now     func() time.Time
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

type decision struct {
	allowed   bool
	limit     int
	remaining int
	reset     time.Duration // until the bucket is full again
	wait      time.Duration // until one more request is allowed
}

func (d decision) retryAfter() string {
	s := int(d.wait/time.Second) + 1
	return strconv.Itoa(s)
}

func newRateLimiter(limit int, window time.Duration, now func() time.Time) *rateLimiter {
	return &rateLimiter{limit: float64(limit), window: window, now: now, buckets: map[string]*bucket{}}
}

func (l *rateLimiter) take(key string) decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	rate := l.limit / float64(l.window) // tokens per nanosecond
	if now.Sub(l.swept) > l.window {
		// Forget buckets that have refilled: they hold no information.
		for k, b := range l.buckets {
			if now.Sub(b.at) > l.window {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.limit, at: now}
		l.buckets[key] = b
	}
	b.tokens += float64(now.Sub(b.at)) * rate
	if b.tokens > l.limit {
		b.tokens = l.limit
	}
	b.at = now
	d := decision{limit: int(l.limit)}
	if b.tokens >= 1 {
		b.tokens--
		d.allowed = true
	} else {
		d.wait = time.Duration((1 - b.tokens) / rate)
	}
	d.remaining = int(b.tokens)
	d.reset = time.Duration((l.limit - b.tokens) / rate)
	return d
}

// rateLimit counts API requests per token, per signed-in user, or per client
// address when anonymous, and sets the x-ratelimit-* headers on every answer.
func (s *Server) rateLimit(c *gin.Context) {
	key := "ip:" + clientIP(c)
	if p := caller(c); p != nil {
		if p.tokenID != 0 {
			key = "token:" + strconv.FormatInt(p.tokenID, 10)
		} else {
			key = "user:" + strconv.FormatInt(p.user.ID, 10)
		}
	}
	d := s.limiter.take(key)
	h := c.Writer.Header()
	h.Set("x-ratelimit-limit", strconv.Itoa(d.limit))
	h.Set("x-ratelimit-remaining", strconv.Itoa(d.remaining))
	h.Set("x-ratelimit-reset", strconv.Itoa(int(d.reset/time.Second)))
	if !d.allowed {
		h.Set("Retry-After", d.retryAfter())
		s.fail(c, errStatus(http.StatusTooManyRequests, "rate limit exceeded: retry after "+d.retryAfter()+" s"))
		return
	}
	c.Next()
}
