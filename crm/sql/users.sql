-- name: insert-user
INSERT INTO users (name, email, password_hash, role, status, avatar, working_hours, active, add_time, update_time)
VALUES (?, ?, ?, ?, 'offline', ?, ?, ?, ?, ?)
RETURNING id;

-- name: get-user
SELECT id, name, email, password_hash, role, status, avatar, working_hours, active, add_time, update_time
FROM users WHERE id = ?;

-- name: get-user-by-email
SELECT id, name, email, password_hash, role, status, avatar, working_hours, active, add_time, update_time
FROM users WHERE email = ?;

-- name: list-users
SELECT id, name, email, password_hash, role, status, avatar, working_hours, active, add_time, update_time
FROM users ORDER BY id;

-- The active admins, for the check that one stays; PostgreSQL locks them
-- (crm appends FOR UPDATE there) so two admins demoting each other at once
-- cannot both succeed. SQLite transactions are serialized already.
-- name: active-admins
SELECT id FROM users WHERE role = 'admin' AND active ORDER BY id

-- name: update-user
UPDATE users SET name = ?, email = ?, role = ?, avatar = ?, working_hours = ?, active = ?, update_time = ?
WHERE id = ?;

-- name: update-user-password
UPDATE users SET password_hash = ?, update_time = ? WHERE id = ?;

-- name: update-user-status
UPDATE users SET status = ?, update_time = ? WHERE id = ?;

-- name: count-users
SELECT COUNT(*) FROM users;

-- name: list-user-groups
SELECT group_id, user_id FROM group_members ORDER BY group_id;

-- name: insert-group
INSERT INTO groups (name, add_time, update_time) VALUES (?, ?, ?) RETURNING id;

-- name: get-group
SELECT id, name, add_time, update_time FROM groups WHERE id = ?;

-- name: list-groups
SELECT id, name, add_time, update_time FROM groups ORDER BY name;

-- name: update-group
UPDATE groups SET name = ?, update_time = ? WHERE id = ?;

-- name: delete-group
DELETE FROM groups WHERE id = ?;

-- name: delete-group-members
DELETE FROM group_members WHERE group_id = ?;

-- name: insert-group-member
INSERT INTO group_members (group_id, user_id) VALUES (?, ?);

-- name: insert-token
INSERT INTO api_tokens (user_id, name, token_hash, prefix, add_time) VALUES (?, ?, ?, ?, ?) RETURNING id;

-- Every authenticated request runs one of these two: the user's group ids
-- come along (string_agg: PostgreSQL, and SQLite since 3.44), so that
-- resolving the caller is one statement.
-- name: get-token-user
SELECT t.id AS token_id, t.last_used_at AS token_last_used,
       COALESCE((SELECT string_agg(CAST(g.group_id AS TEXT), ',') FROM group_members g WHERE g.user_id = u.id), '') AS group_ids, u.id, u.name, u.email, u.password_hash, u.role, u.status, u.avatar, u.working_hours, u.active, u.add_time, u.update_time
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = ?;

-- name: touch-token
UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?);

-- name: list-tokens
SELECT id, user_id, name, prefix, add_time, last_used_at FROM api_tokens WHERE user_id = ? ORDER BY id;

-- name: delete-token
DELETE FROM api_tokens WHERE id = ? AND user_id = ?;

-- name: insert-session
INSERT INTO sessions (id_hash, user_id, csrf_token, add_time, expires_at) VALUES (?, ?, ?, ?, ?);

-- name: get-session
SELECT s.csrf_token, s.expires_at,
       COALESCE((SELECT string_agg(CAST(g.group_id AS TEXT), ',') FROM group_members g WHERE g.user_id = u.id), '') AS group_ids, u.id, u.name, u.email, u.password_hash, u.role, u.status, u.avatar, u.working_hours, u.active, u.add_time, u.update_time
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = ? AND s.expires_at > ?;

-- name: delete-session
DELETE FROM sessions WHERE id_hash = ?;

-- name: delete-expired-sessions
DELETE FROM sessions WHERE expires_at <= ?;

-- name: count-online
-- One round trip: the first row (group NULL) is everyone online, then one row per group.
SELECT NULL AS name, COUNT(*) AS n FROM users WHERE active = ? AND status = 'online'
UNION ALL
SELECT g.name AS name, COUNT(*) AS n
FROM groups g JOIN group_members gm ON gm.group_id = g.id JOIN users u ON u.id = gm.user_id
WHERE u.active = ? AND u.status = 'online'
GROUP BY g.name;

-- name: list-groups-of-user
SELECT group_id FROM group_members WHERE user_id = ? ORDER BY group_id;
