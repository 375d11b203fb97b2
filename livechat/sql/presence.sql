-- Active chats held by an invisible agent who has sent a message in them:
-- where that agent counts as present (present.go).
-- name: present-invisible-conversations
SELECT c.id FROM conversations c JOIN users u ON u.id = c.assignee_id
WHERE c.state = 'active' AND u.status = 'invisible' AND u.active = ?
  AND EXISTS (SELECT 1 FROM conversation_events e
              WHERE e.conversation_id = c.id AND e.kind = 'agent_message' AND e.author = 'agent:' || c.assignee_id)
