-- Live chat: sites, visitors, stored playbooks and versions, conversations,
-- their events, pending captures and deadline timers.
CREATE TABLE sites (
    id              BIGSERIAL PRIMARY KEY,
    site_key        TEXT NOT NULL,
    name            TEXT NOT NULL,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    appearance      TEXT NOT NULL DEFAULT '{}',
    texts           TEXT NOT NULL DEFAULT '{}',
    business_hours  TEXT NOT NULL DEFAULT '{}',
    outside_hours   TEXT NOT NULL DEFAULT 'message',
    pre_chat        TEXT NOT NULL DEFAULT '{}',
    pages           TEXT NOT NULL DEFAULT '{}',
    add_time        TIMESTAMPTZ NOT NULL,
    update_time     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX sites_key ON sites (site_key);

CREATE TABLE visitors (
    id            BIGSERIAL PRIMARY KEY,
    site_id       BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL,
    current_url   TEXT NOT NULL DEFAULT '',
    current_title TEXT NOT NULL DEFAULT '',
    pages         TEXT NOT NULL DEFAULT '[]',
    referrer      TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL DEFAULT '',
    timezone      TEXT NOT NULL DEFAULT '',
    device        TEXT NOT NULL DEFAULT '',
    browser       TEXT NOT NULL DEFAULT '',
    os            TEXT NOT NULL DEFAULT '',
    visits        INTEGER NOT NULL DEFAULT 0,
    session_start TIMESTAMPTZ,
    page_since    TIMESTAMPTZ,
    first_seen    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX visitors_token ON visitors (token_hash);
CREATE INDEX visitors_site_seen ON visitors (site_id, last_seen);

CREATE TABLE playbooks (
    id                BIGSERIAL PRIMARY KEY,
    slug              TEXT NOT NULL,
    name              TEXT NOT NULL,
    format            TEXT NOT NULL CHECK (format IN ('yaml', 'json')),
    draft             TEXT NOT NULL,
    published_version INTEGER NOT NULL DEFAULT 0,
    add_time          TIMESTAMPTZ NOT NULL,
    update_time       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX playbooks_slug ON playbooks (slug);

CREATE TABLE playbook_versions (
    id          BIGSERIAL PRIMARY KEY,
    playbook_id BIGINT NOT NULL REFERENCES playbooks (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    format      TEXT NOT NULL,
    add_time    TIMESTAMPTZ NOT NULL,
    UNIQUE (playbook_id, version)
);

CREATE TABLE conversations (
    id               TEXT PRIMARY KEY,
    site_id          BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_id       BIGINT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    playbook_id      BIGINT REFERENCES playbooks (id) ON DELETE SET NULL,
    playbook_version INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL CHECK (state IN ('bot', 'waiting', 'active', 'offline', 'closed')),
    interp           TEXT NOT NULL DEFAULT '{}',
    assignee_id      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    group_name       TEXT NOT NULL DEFAULT '',
    last_seq         INTEGER NOT NULL DEFAULT 0,
    visitor_read_seq INTEGER NOT NULL DEFAULT 0,
    deadline         TIMESTAMPTZ,
    person_id        BIGINT,
    org_id           BIGINT,
    lead_id          TEXT,
    deal_id          BIGINT,
    rating           TEXT NOT NULL DEFAULT '',
    rating_comment   TEXT NOT NULL DEFAULT '',
    agent_joined     BOOLEAN NOT NULL DEFAULT FALSE,
    unread           INTEGER NOT NULL DEFAULT 0,
    handed_over      BOOLEAN NOT NULL DEFAULT FALSE,
    finished_at      TIMESTAMPTZ,
    add_time         TIMESTAMPTZ NOT NULL,
    last_event_at    TIMESTAMPTZ NOT NULL,
    closed_at        TIMESTAMPTZ
);
-- One open conversation per visitor, decided by the database.
CREATE UNIQUE INDEX conversations_open ON conversations (visitor_id) WHERE state <> 'closed';
CREATE INDEX conversations_state ON conversations (state, last_event_at);
CREATE INDEX conversations_playbook ON conversations (playbook_id, visitor_id);

CREATE TABLE conversation_events (
    id                 BIGSERIAL PRIMARY KEY,
    conversation_id    TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq                INTEGER NOT NULL,
    kind               TEXT NOT NULL,
    data               TEXT NOT NULL DEFAULT '{}',
    client_id          TEXT,
    author             TEXT NOT NULL,
    visible_to_visitor BOOLEAN NOT NULL,
    at                 TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, client_id)
);

-- Captures the interpreter asked for, written with the step that asked, so
-- a crash between the step and the CRM write is repaired on resume.
CREATE TABLE conversation_captures (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    card            TEXT NOT NULL,
    effect          TEXT NOT NULL,
    done            BOOLEAN NOT NULL DEFAULT FALSE,
    add_time        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (conversation_id, card)
);
CREATE INDEX conversation_captures_pending ON conversation_captures (done);

CREATE TABLE timers (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    due_at          TIMESTAMPTZ NOT NULL,
    done            BOOLEAN NOT NULL DEFAULT FALSE,
    fired_at        TIMESTAMPTZ,
    add_time        TIMESTAMPTZ NOT NULL
);
CREATE INDEX timers_due ON timers (done, due_at);
