-- Previews of drafts in the real widget (preview.go).

-- name: get-preview-site
SELECT id FROM sites WHERE internal

-- name: insert-preview-site
INSERT INTO sites (site_key, name, allowed_origins, appearance, texts, business_hours, outside_hours, pre_chat, pages, internal, add_time, update_time)
VALUES (?, ?, '[]', '{}', '{}', '{}', 'message', '{}', '{}', TRUE, ?, ?) RETURNING id

-- name: insert-preview-token
INSERT INTO preview_tokens (token_hash, user_id, playbook_id, source, expires_at, add_time) VALUES (?, ?, ?, ?, ?, ?)

-- name: get-preview-token
SELECT playbook_id, source, expires_at FROM preview_tokens WHERE token_hash = ?

-- name: delete-expired-preview-tokens
DELETE FROM preview_tokens WHERE expires_at < ?

-- name: insert-conversation-preview
INSERT INTO conversation_previews (conversation_id, playbook_id, source, add_time) VALUES (?, ?, ?, ?)

-- name: get-conversation-preview
SELECT source FROM conversation_previews WHERE conversation_id = ?

-- Preview visitors live as long as their widget session; one left behind by
-- a crash goes with the next sweep.
-- name: delete-preview-visitor
DELETE FROM visitors WHERE id = ? AND site_id = ?

-- name: delete-stale-preview-visitors
DELETE FROM visitors WHERE site_id = ? AND last_seen < ?
