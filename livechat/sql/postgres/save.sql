-- A step's whole write in one statement, so that an unlocked step costs a
-- single round trip: the conversation is saved only over the version the
-- step read, and its new events (parallel arrays, one element per event)
-- are stored only if it was. The rows are the new events' ids by seq, plus
-- (0, 0) when the conversation was saved; no row at all means the version
-- moved on and nothing was written. A repeated client_id fails the whole
-- statement on UNIQUE (conversation_id, client_id).
-- name: save-conversation-events
WITH c AS (
    UPDATE conversations SET state = ?, interp = ?, assignee_id = ?, group_name = ?, deadline = ?, handed_over = ?,
           finished_at = ?, agent_joined = ?, unread = ?, closed_at = ?, last_seq = ?, last_event_at = ?, version = version + 1
    WHERE id = ? AND version = ?
    RETURNING id
), e AS (
    INSERT INTO conversation_events (conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at)
    SELECT c.id, u.seq, u.kind, u.data, NULLIF(u.client_id, ''), u.author, u.visible, ?
    FROM c, unnest(?::integer[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[]) AS u (seq, kind, data, client_id, author, visible)
    RETURNING id, seq
)
SELECT id, seq FROM e UNION ALL SELECT 0, 0 FROM c
