-- name: insert-person
INSERT INTO persons (name, name_key, org_id, owner_id, add_time, update_time)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING id;

-- name: select-persons
SELECT id, name, org_id, owner_id, add_time, update_time FROM persons

-- name: get-person
SELECT id, name, org_id, owner_id, add_time, update_time FROM persons WHERE id = ?;

-- name: update-person
UPDATE persons SET name = ?, name_key = ?, org_id = ?, owner_id = ?, update_time = ? WHERE id = ?;

-- name: delete-person
DELETE FROM persons WHERE id = ?;

-- name: find-person-by-contact
SELECT p.id, p.name, p.org_id, p.owner_id, p.add_time, p.update_time
FROM persons p JOIN person_contacts c ON c.person_id = p.id
WHERE c.kind = ? AND c.normalized = ?
ORDER BY p.id LIMIT 1;

-- name: delete-person-contacts
DELETE FROM person_contacts WHERE person_id = ? AND kind = ?;

-- name: insert-person-contact
INSERT INTO person_contacts (person_id, kind, position, value, normalized, label, is_primary)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: select-person-contacts
SELECT person_id, kind, value, label, is_primary FROM person_contacts
