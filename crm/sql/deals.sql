-- name: insert-deal
INSERT INTO deals (title, value, currency, status, pipeline_id, stage_id, person_id, org_id, owner_id,
    expected_close_date, conversation_id, won_time, lost_time, lost_reason, add_time, update_time)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: select-deals
SELECT id, title, value, currency, status, pipeline_id, stage_id, person_id, org_id, owner_id,
    expected_close_date, conversation_id, won_time, lost_time, lost_reason, add_time, update_time
FROM deals

-- name: get-deal
SELECT id, title, value, currency, status, pipeline_id, stage_id, person_id, org_id, owner_id,
    expected_close_date, conversation_id, won_time, lost_time, lost_reason, add_time, update_time
FROM deals WHERE id = ?;

-- name: update-deal
UPDATE deals SET title = ?, value = ?, currency = ?, status = ?, pipeline_id = ?, stage_id = ?,
    person_id = ?, org_id = ?, owner_id = ?, expected_close_date = ?, conversation_id = ?,
    won_time = ?, lost_time = ?, lost_reason = ?, update_time = ?
WHERE id = ?;

-- name: delete-deal
DELETE FROM deals WHERE id = ?;
