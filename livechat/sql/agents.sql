-- The agents' side of live chat: reassigning, giving a chat back to the
-- queue, previews for the folder list, edits, saved replies, working hours.

-- Only the expected holder's active chat moves: the row count tells a
-- reassign that raced another one (or a close) that it lost.
-- name: reassign-conversation
UPDATE conversations SET assignee_id = ? WHERE id = ? AND state = 'active' AND assignee_id = ?

-- Back to the queue: unassigned chats a visitor is still in are offline
-- (in the unassigned folder, claimable by Assign).
-- name: unassign-conversation
UPDATE conversations SET state = 'offline', assignee_id = NULL WHERE id = ? AND state = 'active' AND assignee_id = ?

-- name: last-preview-event
SELECT id, conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at
FROM conversation_events
WHERE conversation_id = ? AND kind IN ('visitor_message', 'agent_message', 'answer', 'bot_message', 'question', 'waiting', 'offline', 'end')
ORDER BY seq DESC LIMIT 1

-- name: last-agent-message
SELECT id, conversation_id, seq, kind, data, client_id, author, visible_to_visitor, at
FROM conversation_events WHERE conversation_id = ? AND kind = 'agent_message' AND author = ?
ORDER BY seq DESC LIMIT 1

-- Active chats whose oldest visitor message since the assignee last spoke
-- (or joined) is older than the cutoff: candidates for the auto-return.
-- name: unanswered-conversations
SELECT c.id, c.assignee_id FROM conversations c
WHERE c.state = 'active' AND c.assignee_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM conversation_events v
              WHERE v.conversation_id = c.id AND v.kind = 'visitor_message' AND v.at < ?
                AND v.seq > COALESCE((SELECT MAX(a.seq) FROM conversation_events a
                                      WHERE a.conversation_id = c.id AND a.kind IN ('agent_message', 'agent_joined')), 0))
LIMIT 100

-- name: insert-saved-reply
INSERT INTO saved_replies (shortcut, text, add_time, update_time) VALUES (?, ?, ?, ?) RETURNING id

-- name: get-saved-reply
SELECT id, shortcut, text, add_time, update_time FROM saved_replies WHERE id = ?

-- name: list-saved-replies
SELECT id, shortcut, text, add_time, update_time FROM saved_replies ORDER BY shortcut

-- name: update-saved-reply
UPDATE saved_replies SET shortcut = ?, text = ?, update_time = ? WHERE id = ?

-- name: delete-saved-reply
DELETE FROM saved_replies WHERE id = ?

-- name: init-agent-hours
INSERT INTO agent_hours (user_id, in_hours, update_time) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING

-- The row count decides which server applies a transition (once).
-- name: flip-agent-hours
UPDATE agent_hours SET in_hours = ?, update_time = ? WHERE user_id = ? AND in_hours <> ?

-- name: conversation-unanswered
SELECT COUNT(*) FROM conversation_events v
WHERE v.conversation_id = ? AND v.kind = 'visitor_message' AND v.at < ?
  AND v.seq > COALESCE((SELECT MAX(a.seq) FROM conversation_events a
                        WHERE a.conversation_id = v.conversation_id AND a.kind IN ('agent_message', 'agent_joined')), 0)

-- name: last-event-id
SELECT COALESCE(MAX(id), 0) FROM conversation_events
