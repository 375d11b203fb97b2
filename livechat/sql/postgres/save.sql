-- A step's whole write in one statement, so that an unlocked step costs a
-- single round trip: the conversation is saved only over the version the
-- step read; its new events (parallel arrays, one element per event) and
-- its live chat deadline (cancelled when the flag is true, created when the
-- due time is not null) are stored only if it was. The rows are the new
-- events' ids by seq, plus (0, 0) when the conversation was saved; no row
-- at all means the version moved on and nothing was written. A repeated
-- client_id fails the whole statement on UNIQUE (conversation_id, client_id).
-- The cancel does not see the timer the same statement creates (one
-- snapshot), which is the order a step means: the old deadline goes, the
-- new one stays.
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
), x AS (
    UPDATE timers SET done = TRUE
    WHERE ?::boolean AND conversation_id IN (SELECT id FROM c) AND kind = ? AND NOT done
), t AS (
    INSERT INTO timers (kind, conversation_id, due_at, add_time)
    SELECT ?, c.id, ?::timestamptz, ? FROM c WHERE ?::timestamptz IS NOT NULL
)
SELECT id, seq FROM e UNION ALL SELECT 0, 0 FROM c

-- A new conversation with its first step, in one statement: as
-- save-conversation-events, with the conversation inserted (version 1)
-- instead of updated, and no deadline to cancel. The partial unique index on the visitor's open
-- conversation decides between racing starts.
-- name: create-conversation-events
WITH c AS (
    INSERT INTO conversations (state, interp, assignee_id, group_name, deadline, handed_over, finished_at, agent_joined,
                               unread, closed_at, last_seq, last_event_at, id, site_id, visitor_id, playbook_id,
                               playbook_version, add_time, version)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
    RETURNING id
), e AS (
    INSERT INTO conversation_events (conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at)
    SELECT c.id, u.seq, u.kind, u.data, NULLIF(u.client_id, ''), u.author, u.visible, ?
    FROM c, unnest(?::integer[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[]) AS u (seq, kind, data, client_id, author, visible)
    RETURNING id, seq
), t AS (
    INSERT INTO timers (kind, conversation_id, due_at, add_time)
    SELECT ?, c.id, ?::timestamptz, ? FROM c WHERE ?::timestamptz IS NOT NULL
)
SELECT id, seq FROM e UNION ALL SELECT 0, 0 FROM c
