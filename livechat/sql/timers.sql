-- name: insert-timer
INSERT INTO timers (kind, conversation_id, due_at, add_time) VALUES (?, ?, ?, ?) RETURNING id

-- name: due-timers
SELECT id, kind, conversation_id, due_at FROM timers WHERE NOT done AND due_at <= ? ORDER BY due_at LIMIT 100

-- name: next-timer
SELECT MIN(due_at) FROM timers WHERE NOT done

-- The row count decides which caller fires the timer.
-- name: claim-timer
UPDATE timers SET done = TRUE, fired_at = ? WHERE id = ? AND NOT done

-- name: cancel-timers
UPDATE timers SET done = TRUE WHERE conversation_id = ? AND kind = ? AND NOT done
