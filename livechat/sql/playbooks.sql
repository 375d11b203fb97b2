-- name: insert-playbook
INSERT INTO playbooks (slug, name, format, draft, add_time, update_time) VALUES (?, ?, ?, ?, ?, ?) RETURNING id

-- name: update-playbook-draft
UPDATE playbooks SET slug = ?, name = ?, format = ?, draft = ?, update_time = ? WHERE id = ?

-- name: bump-playbook-version
UPDATE playbooks SET published_version = published_version + 1, update_time = ? WHERE id = ?
RETURNING published_version, draft, format

-- name: insert-playbook-version
INSERT INTO playbook_versions (playbook_id, version, source, format, add_time) VALUES (?, ?, ?, ?, ?)

-- name: get-playbook
SELECT p.id, p.slug, p.name, p.format, p.draft, p.published_version, p.add_time, p.update_time,
       (SELECT COUNT(*) FROM conversations c WHERE c.playbook_id = p.id) AS started,
       (SELECT COUNT(*) FROM conversations c WHERE c.playbook_id = p.id AND c.finished_at IS NOT NULL) AS completed,
       (SELECT COUNT(*) FROM conversations c WHERE c.playbook_id = p.id AND (c.lead_id IS NOT NULL OR c.deal_id IS NOT NULL)) AS captured,
       (SELECT COUNT(*) FROM conversations c WHERE c.playbook_id = p.id AND c.handed_over) AS handed_over
FROM playbooks p WHERE p.id = ?

-- name: get-playbook-id-by-slug
SELECT id FROM playbooks WHERE slug = ?

-- What a start needs of a playbook named by the widget: one read, no stats.
-- name: get-published-by-slug
SELECT id, slug, published_version FROM playbooks WHERE slug = ?

-- name: list-playbooks
SELECT p.id, p.slug, p.name, p.format, p.draft, p.published_version, p.add_time, p.update_time,
       (SELECT COUNT(*) FROM conversations c WHERE c.playbook_id = p.id) AS started,
       (SELECT COUNT(*) FROM conversations c WHERE c.playbook_id = p.id AND c.finished_at IS NOT NULL) AS completed,
       (SELECT COUNT(*) FROM conversations c WHERE c.playbook_id = p.id AND (c.lead_id IS NOT NULL OR c.deal_id IS NOT NULL)) AS captured,
       (SELECT COUNT(*) FROM conversations c WHERE c.playbook_id = p.id AND c.handed_over) AS handed_over
FROM playbooks p ORDER BY p.id

-- name: list-playbook-versions
SELECT playbook_id, version, source, format, add_time FROM playbook_versions WHERE playbook_id = ? ORDER BY version DESC

-- name: get-playbook-version
SELECT playbook_id, version, source, format, add_time FROM playbook_versions WHERE playbook_id = ? AND version = ?

-- name: list-published
SELECT p.id, p.slug, p.published_version, v.add_time
FROM playbooks p JOIN playbook_versions v ON v.playbook_id = p.id AND v.version = p.published_version
WHERE p.published_version > 0 ORDER BY v.add_time DESC, p.id DESC

-- name: finished-since
SELECT DISTINCT playbook_id FROM conversations WHERE visitor_id = ? AND finished_at >= ? AND playbook_id IS NOT NULL

-- name: delete-playbook
DELETE FROM playbooks WHERE id = ?
