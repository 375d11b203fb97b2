-- Previews of playbook drafts in the real widget (the builder's Preview tab).
-- Previews run on one internal site (hidden from the sites list), made on
-- first use; a preview token is what the API hands a signed-in user for one
-- draft (stored hashed, with its expiry, and the draft as it was then); a
-- preview conversation keeps the draft it runs, and has no playbook_id, so it
-- counts in no playbook's stats.
ALTER TABLE sites ADD COLUMN internal BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX sites_internal ON sites (internal) WHERE internal;

CREATE TABLE preview_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT REFERENCES users (id) ON DELETE CASCADE,
    playbook_id BIGINT REFERENCES playbooks (id) ON DELETE SET NULL,
    source      TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    add_time    TIMESTAMPTZ NOT NULL
);
CREATE INDEX preview_tokens_expiry ON preview_tokens (expires_at);

CREATE TABLE conversation_previews (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    playbook_id     BIGINT REFERENCES playbooks (id) ON DELETE SET NULL,
    source          TEXT NOT NULL,
    add_time        TIMESTAMPTZ NOT NULL
);
