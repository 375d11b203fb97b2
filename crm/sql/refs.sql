-- Existence checks for fields that refer to other rows, so that a bad
-- reference is reported on its field rather than as a constraint error.

-- name: exists-user
SELECT COUNT(*) FROM users WHERE id = ?;

-- name: exists-organization
SELECT COUNT(*) FROM organizations WHERE id = ?;

-- name: exists-person
SELECT COUNT(*) FROM persons WHERE id = ?;

-- name: exists-lead
SELECT COUNT(*) FROM leads WHERE id = ?;

-- name: exists-deal
SELECT COUNT(*) FROM deals WHERE id = ?;

-- name: exists-lead-label
SELECT COUNT(*) FROM lead_labels WHERE id = ?;

-- name: exists-pipeline
SELECT COUNT(*) FROM pipelines WHERE id = ?;
