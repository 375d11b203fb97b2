-- name: claim-capture
-- The primary key (conversation_id, card) makes a capture happen once: a
-- concurrent claim waits for the first transaction, then inserts nothing.
INSERT INTO captures (conversation_id, card, add_time) VALUES (?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: get-capture
SELECT person_id, org_id, lead_id, deal_id, note_id, activity_id FROM captures
WHERE conversation_id = ? AND card = ?;

-- name: record-capture
UPDATE captures SET person_id = ?, org_id = ?, lead_id = ?, deal_id = ?, note_id = ?, activity_id = ?
WHERE conversation_id = ? AND card = ?;
