-- name: get-setting
SELECT value FROM settings WHERE key = ?

-- The last write wins: a setting is one admin's choice, not a counter.
-- name: put-setting
INSERT INTO settings (key, value, update_time) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, update_time = excluded.update_time

-- Only when nobody set it yet (a server flag's default at boot).
-- name: seed-setting
INSERT INTO settings (key, value, update_time) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING
