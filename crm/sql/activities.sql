-- name: insert-activity
INSERT INTO activities (subject, type, due_date, due_time, duration, done, note, owner_id, lead_id, deal_id,
    person_id, org_id, add_time, update_time)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: select-activities
SELECT id, subject, type, due_date, due_time, duration, done, note, owner_id, lead_id, deal_id, person_id,
    org_id, add_time, update_time
FROM activities

-- name: get-activity
SELECT id, subject, type, due_date, due_time, duration, done, note, owner_id, lead_id, deal_id, person_id,
    org_id, add_time, update_time
FROM activities WHERE id = ?;

-- name: update-activity
UPDATE activities SET subject = ?, type = ?, due_date = ?, due_time = ?, duration = ?, done = ?, note = ?,
    owner_id = ?, lead_id = ?, deal_id = ?, person_id = ?, org_id = ?, update_time = ?
WHERE id = ?;

-- name: delete-activity
DELETE FROM activities WHERE id = ?;
