-- The webhook dispatcher (webhook_send.go). Every server runs it; a
-- delivery is sent by the one whose conditional update claimed it.

-- Candidates: due, unclaimed (or the claim lapsed), of an active webhook,
-- and the head of their entity's queue (no older pending delivery for the
-- same webhook, object and entity), oldest due first. Only a hint: the
-- claim checks all of it again.
-- name: due-deliveries
SELECT d.id, d.webhook_id, d.object, d.entity_id
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE d.status = 'pending' AND d.next_attempt_at <= ?
  AND (d.claimed_until IS NULL OR d.claimed_until < ?) AND w.active
  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                  WHERE o.webhook_id = d.webhook_id AND o.object = d.object AND o.entity_id = d.entity_id
                    AND o.status = 'pending' AND o.id < d.id)
ORDER BY d.next_attempt_at, d.id LIMIT ?

-- The claim: the row count decides which server sends the delivery.
-- claimed_until (now + the lease) is the claim's token: the update that
-- records the outcome matches it, so a server that stalled past its lease
-- cannot overwrite the result of the one that claimed after it.
-- name: claim-delivery
UPDATE webhook_deliveries SET claimed_until = ?
WHERE id = ? AND status = 'pending' AND next_attempt_at <= ?
  AND (claimed_until IS NULL OR claimed_until < ?)
  AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = webhook_deliveries.webhook_id AND w.active)
  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                  WHERE o.webhook_id = webhook_deliveries.webhook_id AND o.object = webhook_deliveries.object
                    AND o.entity_id = webhook_deliveries.entity_id AND o.status = 'pending'
                    AND o.id < webhook_deliveries.id)

-- What a claimed delivery sends, and where: read after the claim, so the
-- URL and secret are the webhook's as they are now.
-- name: claimed-delivery
SELECT d.id, d.webhook_id, d.action, d.object, d.entity_id, d.data, d.previous, d.attempts, d.add_time,
       w.subscription_url, w.secret
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE d.id = ? AND d.claimed_until = ?

-- The next pending delivery of the same entity, sent after the one before
-- it was delivered (it is claimed like any other).
-- name: next-entity-delivery
SELECT id FROM webhook_deliveries
WHERE webhook_id = ? AND object = ? AND entity_id = ? AND status = 'pending' AND id > ?
ORDER BY id LIMIT 1

-- name: delivery-delivered
UPDATE webhook_deliveries
SET status = 'delivered', attempts = attempts + 1, last_attempt_at = ?, response_status = ?,
    last_error = '', done_at = ?, claimed_until = NULL
WHERE id = ? AND status = 'pending' AND claimed_until = ?

-- A failed attempt: retried at next_attempt_at (status stays pending), or
-- given up (status failed, done_at set).
-- name: delivery-attempt-failed
UPDATE webhook_deliveries
SET status = ?, attempts = attempts + 1, last_attempt_at = ?, response_status = ?, last_error = ?,
    next_attempt_at = ?, done_at = ?, claimed_until = NULL
WHERE id = ? AND status = 'pending' AND claimed_until = ?

-- A claim given back without an attempt (shutting down mid-send).
-- name: release-delivery
UPDATE webhook_deliveries SET claimed_until = NULL WHERE id = ? AND status = 'pending' AND claimed_until = ?
