-- name: insert-site
INSERT INTO sites (site_key, name, allowed_origins, appearance, texts, business_hours, outside_hours, pre_chat, pages, add_time, update_time)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id

-- name: get-site
SELECT id, site_key, name, allowed_origins, appearance, texts, business_hours, outside_hours, pre_chat, pages, add_time, update_time
FROM sites WHERE id = ?

-- name: get-site-by-key
SELECT id, site_key, name, allowed_origins, appearance, texts, business_hours, outside_hours, pre_chat, pages, add_time, update_time
FROM sites WHERE site_key = ?

-- The internal site previews run on (preview.go) is not listed.
-- name: list-sites
SELECT id, site_key, name, allowed_origins, appearance, texts, business_hours, outside_hours, pre_chat, pages, add_time, update_time
FROM sites WHERE NOT internal ORDER BY id

-- name: update-site
UPDATE sites SET name = ?, allowed_origins = ?, appearance = ?, texts = ?, business_hours = ?, outside_hours = ?, pre_chat = ?, pages = ?, update_time = ?
WHERE id = ?

-- name: delete-site
DELETE FROM sites WHERE id = ?
