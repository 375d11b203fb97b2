-- name: insert-lead
INSERT INTO leads (id, title, person_id, organization_id, owner_id, value_amount, value_currency,
    expected_close_date, qualified, source_name, conversation_id, is_archived, was_seen, add_time, update_time)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: select-leads
SELECT id, title, person_id, organization_id, owner_id, value_amount, value_currency, expected_close_date,
    qualified, source_name, conversation_id, is_archived, was_seen, deal_id, add_time, update_time
FROM leads

-- name: get-lead
SELECT id, title, person_id, organization_id, owner_id, value_amount, value_currency, expected_close_date,
    qualified, source_name, conversation_id, is_archived, was_seen, deal_id, add_time, update_time
FROM leads WHERE id = ?;

-- name: update-lead
UPDATE leads SET title = ?, person_id = ?, organization_id = ?, owner_id = ?, value_amount = ?,
    value_currency = ?, expected_close_date = ?, qualified = ?, source_name = ?, conversation_id = ?,
    is_archived = ?, was_seen = ?, update_time = ?
WHERE id = ?;

-- name: delete-lead
DELETE FROM leads WHERE id = ?;

-- name: mark-lead-converted
-- The deal_id IS NULL guard makes a lead convert once even under races.
UPDATE leads SET deal_id = ?, is_archived = ?, update_time = ? WHERE id = ? AND deal_id IS NULL;

-- name: move-lead-notes
UPDATE notes SET deal_id = ?, lead_id = NULL, update_time = ? WHERE lead_id = ?;

-- name: move-lead-activities
UPDATE activities SET deal_id = ?, lead_id = NULL, update_time = ? WHERE lead_id = ?;

-- name: delete-lead-label-links
DELETE FROM lead_label_links WHERE lead_id = ?;

-- name: insert-lead-label-link
INSERT INTO lead_label_links (lead_id, label_id) VALUES (?, ?);

-- name: select-lead-label-links
SELECT lead_id, label_id FROM lead_label_links
