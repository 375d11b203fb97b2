-- name: insert-webhook
INSERT INTO webhooks (subscription_url, event_action, event_object, secret, active, user_id, add_time, update_time)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id

-- name: get-webhook
SELECT id, subscription_url, event_action, event_object, secret, active, user_id, add_time, update_time
FROM webhooks WHERE id = ?

-- name: list-webhooks
SELECT id, subscription_url, event_action, event_object, secret, active, user_id, add_time, update_time
FROM webhooks ORDER BY id

-- name: update-webhook
UPDATE webhooks SET subscription_url = ?, event_action = ?, event_object = ?, active = ?, update_time = ? WHERE id = ?

-- name: delete-webhook
DELETE FROM webhooks WHERE id = ?

-- One delivery per webhook that wants this change, in the transaction of
-- the change itself; nothing at all is read first.
-- name: enqueue-deliveries
INSERT INTO webhook_deliveries (webhook_id, action, object, entity_id, data, previous, next_attempt_at, add_time)
SELECT id, ?, ?, ?, ?, ?, ?, ? FROM webhooks
WHERE active AND (event_object = ? OR event_object = '*') AND (event_action = ? OR event_action = '*')

-- name: list-deliveries
SELECT id, webhook_id, action, object, entity_id, status, attempts, next_attempt_at, last_attempt_at,
       response_status, last_error, add_time, done_at
FROM webhook_deliveries WHERE webhook_id = ? AND id < ? ORDER BY id DESC LIMIT ?
