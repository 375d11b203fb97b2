-- name: insert-note
INSERT INTO notes (content, lead_id, deal_id, person_id, org_id, user_id, add_time, update_time)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: select-notes
SELECT id, content, lead_id, deal_id, person_id, org_id, user_id, add_time, update_time FROM notes

-- name: get-note
SELECT id, content, lead_id, deal_id, person_id, org_id, user_id, add_time, update_time FROM notes WHERE id = ?;

-- name: update-note
UPDATE notes SET content = ?, update_time = ? WHERE id = ?;

-- name: delete-note
DELETE FROM notes WHERE id = ?;
