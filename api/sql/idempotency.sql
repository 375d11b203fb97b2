-- name: insert-idempotency-key
INSERT INTO idempotency_keys (user_id, key, method, path, request_hash, state, add_time)
VALUES (?, ?, ?, ?, ?, 'pending', ?);

-- name: get-idempotency-key
SELECT method, path, request_hash, state, status, body, add_time FROM idempotency_keys WHERE user_id = ? AND key = ?;

-- name: finish-idempotency-key
UPDATE idempotency_keys SET state = 'done', status = ?, body = ? WHERE user_id = ? AND key = ?;

-- name: delete-idempotency-key
DELETE FROM idempotency_keys WHERE user_id = ? AND key = ?;

-- name: delete-expired-idempotency-key
DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND add_time < ?;

-- name: delete-expired-idempotency-keys
DELETE FROM idempotency_keys WHERE add_time < ?;
