-- name: insert-lead-label
INSERT INTO lead_labels (id, name, name_key, color, add_time, update_time) VALUES (?, ?, ?, ?, ?, ?);

-- name: insert-lead-label-if-missing
-- Capture creates labels by name; concurrent captures may race for the same
-- name, and the unique name_key decides without aborting the transaction.
INSERT INTO lead_labels (id, name, name_key, color, add_time, update_time) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: select-lead-labels
SELECT id, name, color, add_time, update_time FROM lead_labels

-- name: get-lead-label
SELECT id, name, color, add_time, update_time FROM lead_labels WHERE id = ?;

-- name: find-lead-label-by-name
SELECT id, name, color, add_time, update_time FROM lead_labels WHERE name_key = ?;

-- name: update-lead-label
UPDATE lead_labels SET name = ?, name_key = ?, color = ?, update_time = ? WHERE id = ?;

-- name: delete-lead-label
DELETE FROM lead_labels WHERE id = ?;
