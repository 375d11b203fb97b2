-- Pre-chat form answers, per visitor: the values as validated (by field
-- name: person.name, person.email, person.phone, organization.name) and
-- when the form was filled (NULL: never, so a site that requires the form
-- refuses the visitor's messages).
ALTER TABLE visitors ADD COLUMN pre_chat TEXT NOT NULL DEFAULT '{}';
ALTER TABLE visitors ADD COLUMN pre_chat_at TIMESTAMPTZ;
