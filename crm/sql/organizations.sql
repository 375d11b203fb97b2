-- name: insert-organization
INSERT INTO organizations (name, name_key, address, owner_id, add_time, update_time)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: select-organizations
SELECT id, name, address, owner_id, add_time, update_time FROM organizations

-- name: get-organization
SELECT id, name, address, owner_id, add_time, update_time FROM organizations WHERE id = ?;

-- name: find-organization-by-name
SELECT id, name, address, owner_id, add_time, update_time FROM organizations
WHERE name_key = ? ORDER BY id LIMIT 1;

-- name: update-organization
UPDATE organizations SET name = ?, name_key = ?, address = ?, owner_id = ?, update_time = ? WHERE id = ?;

-- name: delete-organization
DELETE FROM organizations WHERE id = ?;
