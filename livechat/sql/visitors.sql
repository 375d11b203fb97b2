-- name: insert-visitor
INSERT INTO visitors (site_id, token_hash, first_seen, last_seen) VALUES (?, ?, ?, ?) RETURNING id

-- name: get-visitor
SELECT id, site_id, current_url, current_title, pages, referrer, language, timezone, device, browser, os, visits, session_start, page_since, first_seen, last_seen
FROM visitors WHERE id = ?

-- name: get-visitor-by-token
SELECT id, site_id, current_url, current_title, pages, referrer, language, timezone, device, browser, os, visits, session_start, page_since, first_seen, last_seen
FROM visitors WHERE token_hash = ? AND site_id = ?

-- name: list-visitors
SELECT id, site_id, current_url, current_title, pages, referrer, language, timezone, device, browser, os, visits, session_start, page_since, first_seen, last_seen
FROM visitors WHERE (? = 0 OR site_id = ?) AND last_seen >= ? ORDER BY last_seen DESC LIMIT ?

-- A no-op update that takes the visitor's row lock (PostgreSQL; SQLite
-- transactions already hold the write lock) and reads the row as committed:
-- a hello or page frame changes the current row, never a copy read earlier.
-- name: lock-visitor
UPDATE visitors SET last_seen = last_seen WHERE id = ?
RETURNING id, site_id, current_url, current_title, pages, referrer, language, timezone, device, browser, os, visits, session_start, page_since, first_seen, last_seen

-- name: update-visitor
UPDATE visitors SET current_url = ?, current_title = ?, pages = ?, referrer = ?, language = ?, timezone = ?, device = ?, browser = ?, os = ?, visits = ?, session_start = ?, page_since = ?, last_seen = ?
WHERE id = ?
