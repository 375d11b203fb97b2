-- name: insert-pipeline
INSERT INTO pipelines (name, order_nr, add_time, update_time) VALUES (?, ?, ?, ?) RETURNING id;

-- name: select-pipelines
SELECT id, name, order_nr, add_time, update_time FROM pipelines

-- name: get-pipeline
SELECT id, name, order_nr, add_time, update_time FROM pipelines WHERE id = ?;

-- name: first-pipeline
SELECT id, name, order_nr, add_time, update_time FROM pipelines ORDER BY order_nr, id LIMIT 1;

-- name: find-pipeline-by-name
SELECT id, name, order_nr, add_time, update_time FROM pipelines
WHERE lower(name) = lower(CAST(? AS TEXT)) ORDER BY order_nr, id LIMIT 1;

-- name: next-pipeline-order
SELECT COALESCE(MAX(order_nr), 0) + 1 FROM pipelines;

-- name: count-pipelines
SELECT COUNT(*) FROM pipelines;

-- name: update-pipeline
UPDATE pipelines SET name = ?, order_nr = ?, update_time = ? WHERE id = ?;

-- name: delete-pipeline
DELETE FROM pipelines WHERE id = ?;

-- name: count-pipeline-deals
SELECT COUNT(*) FROM deals WHERE pipeline_id = ?;

-- name: lock-default-pipeline
-- Takes the row lock that serializes EnsureDefaultPipeline across servers
-- (on SQLite, the immediate transaction already does).
UPDATE crm_locks SET n = n + 1 WHERE name = 'default_pipeline';

-- name: insert-stage
INSERT INTO stages (pipeline_id, name, order_nr, add_time, update_time) VALUES (?, ?, ?, ?, ?) RETURNING id;

-- name: select-stages
SELECT id, name, pipeline_id, order_nr, add_time, update_time FROM stages

-- name: get-stage
SELECT id, name, pipeline_id, order_nr, add_time, update_time FROM stages WHERE id = ?;

-- name: first-stage
SELECT id, name, pipeline_id, order_nr, add_time, update_time FROM stages
WHERE pipeline_id = ? ORDER BY order_nr, id LIMIT 1;

-- name: find-stage-by-name
SELECT id, name, pipeline_id, order_nr, add_time, update_time FROM stages
WHERE pipeline_id = ? AND lower(name) = lower(CAST(? AS TEXT)) ORDER BY order_nr, id LIMIT 1;

-- name: next-stage-order
SELECT COALESCE(MAX(order_nr), 0) + 1 FROM stages WHERE pipeline_id = ?;

-- name: update-stage
UPDATE stages SET name = ?, pipeline_id = ?, order_nr = ?, update_time = ? WHERE id = ?;

-- name: delete-stage
DELETE FROM stages WHERE id = ?;

-- name: count-stage-deals
SELECT COUNT(*) FROM deals WHERE stage_id = ?;

-- name: move-stage-deals
UPDATE deals SET pipeline_id = ?, update_time = ? WHERE stage_id = ?;
