-- name: insert-conversation
INSERT INTO conversations (id, site_id, visitor_id, playbook_id, playbook_version, state, interp, add_time, last_event_at)
VALUES (?, ?, ?, ?, ?, ?, '{}', ?, ?)

-- name: get-conversation
SELECT id, state, site_id, visitor_id, playbook_id, playbook_version, interp, assignee_id, group_name, last_seq, visitor_read_seq,
       deadline, person_id, org_id, lead_id, deal_id, rating, rating_comment, agent_joined, unread, handed_over, finished_at,
       add_time, last_event_at, closed_at, version
FROM conversations WHERE id = ?

-- name: get-open-conversation
SELECT id, state, site_id, visitor_id, playbook_id, playbook_version, interp, assignee_id, group_name, last_seq, visitor_read_seq,
       deadline, person_id, org_id, lead_id, deal_id, rating, rating_comment, agent_joined, unread, handed_over, finished_at,
       add_time, last_event_at, closed_at, version
FROM conversations WHERE visitor_id = ? AND state <> 'closed'

-- A no-op update that takes the row lock (PostgreSQL; SQLite transactions
-- already hold the write lock) and reads the row as committed.
-- name: lock-conversation
UPDATE conversations SET last_seq = last_seq WHERE id = ?
RETURNING id, state, site_id, visitor_id, playbook_id, playbook_version, interp, assignee_id, group_name, last_seq, visitor_read_seq,
       deadline, person_id, org_id, lead_id, deal_id, rating, rating_comment, agent_joined, unread, handed_over, finished_at,
       add_time, last_event_at, closed_at, version

-- Previews of drafts (preview.go) are nobody's work: in no folder.
-- name: list-conversations
SELECT id, state, site_id, visitor_id, playbook_id, playbook_version, interp, assignee_id, group_name, last_seq, visitor_read_seq,
       deadline, person_id, org_id, lead_id, deal_id, rating, rating_comment, agent_joined, unread, handed_over, finished_at,
       add_time, last_event_at, closed_at
FROM conversations
WHERE (? = '' OR state = ?)
  AND (? = 'all'
       OR (? = 'unassigned' AND assignee_id IS NULL AND state IN ('waiting', 'offline', 'active'))
       OR (? = 'mine' AND assignee_id = ? AND state <> 'closed')
       OR (? = 'closed' AND state = 'closed'))
  AND NOT EXISTS (SELECT 1 FROM conversation_previews p WHERE p.conversation_id = conversations.id)
ORDER BY last_event_at DESC, id DESC LIMIT ? OFFSET ?

-- last_seq is the seq of the change's last event, numbered by the step. The
-- version must still be the one the step read: no row means someone else
-- saved in between, and the step is redone on a fresh read (step.go).
-- SQLite; PostgreSQL saves with save-conversation-events.
-- name: save-conversation
UPDATE conversations SET state = ?, interp = ?, assignee_id = ?, group_name = ?, deadline = ?, handed_over = ?, finished_at = ?,
       agent_joined = ?, unread = ?, closed_at = ?, last_seq = ?, last_event_at = ?, version = version + 1
WHERE id = ? AND version = ?

-- Only a conversation still in one of the expected states moves: the row
-- count tells the caller whether it won a race.
-- name: assign-conversation
UPDATE conversations SET state = 'active', assignee_id = ?, agent_joined = TRUE, deadline = NULL
WHERE id = ? AND state IN ('waiting', 'offline', 'bot') AND assignee_id IS NULL

-- name: deadline-conversation
UPDATE conversations SET state = 'offline', deadline = NULL WHERE id = ? AND state = 'waiting'

-- name: close-conversation
UPDATE conversations SET state = 'closed', closed_at = ?, deadline = NULL WHERE id = ? AND state <> 'closed'

-- name: set-conversation-capture
UPDATE conversations SET lead_id = COALESCE(?, lead_id), deal_id = COALESCE(?, deal_id),
       person_id = COALESCE(?, person_id), org_id = COALESCE(?, org_id)
WHERE id = ?

-- name: set-visitor-read
UPDATE conversations SET visitor_read_seq = ? WHERE id = ? AND visitor_read_seq < ?

-- The visitor's newest conversation, closed or not: what a rating is for.
-- The open one, when there is one, is always the newest (a new conversation
-- starts only once the last one closed).
-- name: get-latest-conversation
SELECT id, state, site_id, visitor_id, playbook_id, playbook_version, interp, assignee_id, group_name, last_seq, visitor_read_seq,
       deadline, person_id, org_id, lead_id, deal_id, rating, rating_comment, agent_joined, unread, handed_over, finished_at,
       add_time, last_event_at, closed_at
FROM conversations WHERE visitor_id = ?
ORDER BY CASE WHEN state <> 'closed' THEN 1 ELSE 0 END DESC, add_time DESC, last_event_at DESC LIMIT 1

-- A conversation is rated once: the condition decides between racing ratings.
-- name: set-rating
UPDATE conversations SET rating = ?, rating_comment = ? WHERE id = ? AND rating = ''

-- What the visitor wrote or answered after the agents' last read receipt
-- (the visitor's own receipts are author 'visitor' and not visible).
-- name: visitor-unseen-by-agents
SELECT COUNT(*) FROM conversation_events
WHERE conversation_id = ? AND author = 'visitor' AND visible_to_visitor
  AND seq > COALESCE((SELECT MAX(seq) FROM conversation_events WHERE conversation_id = ? AND kind = 'read' AND author <> 'visitor'), 0)

-- name: insert-event
INSERT INTO conversation_events (conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id

-- name: list-events
SELECT id, conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at
FROM conversation_events WHERE conversation_id = ? AND seq > ? ORDER BY seq

-- name: list-visitor-events
SELECT id, conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at
FROM conversation_events WHERE conversation_id = ? AND seq > ? AND visible_to_visitor ORDER BY seq

-- name: list-events-since
SELECT id, conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at
FROM conversation_events WHERE id > ? ORDER BY id LIMIT ?

-- name: get-event-by-client-id
SELECT id, conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at
FROM conversation_events WHERE conversation_id = ? AND client_id = ?

-- name: insert-capture
INSERT INTO conversation_captures (conversation_id, card, effect, add_time) VALUES (?, ?, ?, ?)
ON CONFLICT (conversation_id, card) DO NOTHING

-- name: list-pending-captures
SELECT conversation_id, card, effect FROM conversation_captures WHERE conversation_id = ? AND NOT done ORDER BY add_time

-- name: list-all-pending-captures
SELECT conversation_id, card, effect FROM conversation_captures WHERE NOT done ORDER BY add_time LIMIT 100

-- name: finish-capture
UPDATE conversation_captures SET done = TRUE WHERE conversation_id = ? AND card = ? AND NOT done
