-- name: seed-owner-rotation
-- Every active user gets a rotation row; the WHERE keeps SQLite from reading
-- ON CONFLICT as part of the SELECT.
INSERT INTO owner_rotation (user_id, assigned_count)
SELECT id, 0 FROM users WHERE active = ?
ON CONFLICT DO NOTHING;

-- name: next-owner
-- The active user of the role assigned longest ago (never first).
SELECT r.user_id, r.assigned_count FROM owner_rotation r JOIN users u ON u.id = r.user_id
WHERE u.active = ? AND u.role = ?
ORDER BY CASE WHEN r.last_assigned_at IS NULL THEN 0 ELSE 1 END, r.last_assigned_at, r.user_id
LIMIT 1;

-- name: next-group-owner
SELECT r.user_id, r.assigned_count FROM owner_rotation r JOIN users u ON u.id = r.user_id
WHERE u.active = ? AND u.role = ? AND r.user_id IN (SELECT user_id FROM group_members WHERE group_id = ?)
ORDER BY CASE WHEN r.last_assigned_at IS NULL THEN 0 ELSE 1 END, r.last_assigned_at, r.user_id
LIMIT 1;

-- name: take-owner-turn
-- Compare-and-swap on the counter: of two servers that picked the same
-- user, one wins and the other picks again.
UPDATE owner_rotation SET assigned_count = assigned_count + 1, last_assigned_at = ?
WHERE user_id = ? AND assigned_count = ?;
