-- CRM: organizations, persons and their e-mails and phones, lead labels,
-- pipelines and stages, deals, leads, activities, notes, chat captures and
-- the round-robin state of owner assignment. Names used for matching are
-- normalized in Go (name_key, person_contacts.normalized) so that both
-- databases compare the same bytes.
CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    owner_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    add_time    DATETIME NOT NULL,
    update_time DATETIME NOT NULL
);
CREATE INDEX organizations_name_key ON organizations (name_key);
CREATE INDEX organizations_owner ON organizations (owner_id);

CREATE TABLE persons (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    org_id      INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
    owner_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    add_time    DATETIME NOT NULL,
    update_time DATETIME NOT NULL
);
CREATE INDEX persons_name_key ON persons (name_key);
CREATE INDEX persons_org ON persons (org_id);
CREATE INDEX persons_owner ON persons (owner_id);

-- One row per e-mail address or phone number; normalized is the lowercased
-- address or the digits of the number, which matching looks up.
CREATE TABLE person_contacts (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
    position   INTEGER NOT NULL,
    value      TEXT NOT NULL,
    normalized TEXT NOT NULL,
    label      TEXT NOT NULL DEFAULT '',
    is_primary BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX person_contacts_match ON person_contacts (kind, normalized);
CREATE INDEX person_contacts_person ON person_contacts (person_id, kind, position);

CREATE TABLE lead_labels (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    color       TEXT NOT NULL CHECK (color IN ('green', 'blue', 'red', 'yellow', 'purple', 'gray')),
    add_time    DATETIME NOT NULL,
    update_time DATETIME NOT NULL
);
CREATE UNIQUE INDEX lead_labels_name_key ON lead_labels (name_key);

CREATE TABLE pipelines (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    order_nr    INTEGER NOT NULL DEFAULT 0,
    add_time    DATETIME NOT NULL,
    update_time DATETIME NOT NULL
);

CREATE TABLE stages (
    id          INTEGER PRIMARY KEY,
    pipeline_id INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    order_nr    INTEGER NOT NULL,
    add_time    DATETIME NOT NULL,
    update_time DATETIME NOT NULL
);
CREATE INDEX stages_pipeline ON stages (pipeline_id, order_nr);

-- pipeline_id is the stage's pipeline, kept on the deal for filtering.
-- Deals keep their stage: deleting a stage or pipeline that has deals fails.
CREATE TABLE deals (
    id                  INTEGER PRIMARY KEY,
    title               TEXT NOT NULL,
    value               REAL NOT NULL DEFAULT 0,
    currency            TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
    pipeline_id         INTEGER NOT NULL REFERENCES pipelines (id),
    stage_id            INTEGER NOT NULL REFERENCES stages (id),
    person_id           INTEGER REFERENCES persons (id) ON DELETE SET NULL,
    org_id              INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
    owner_id            INTEGER REFERENCES users (id) ON DELETE SET NULL,
    expected_close_date TEXT,
    conversation_id     TEXT,
    won_time            DATETIME,
    lost_time           DATETIME,
    lost_reason         TEXT NOT NULL DEFAULT '',
    add_time            DATETIME NOT NULL,
    update_time         DATETIME NOT NULL
);
CREATE INDEX deals_stage ON deals (stage_id);
CREATE INDEX deals_pipeline ON deals (pipeline_id);
CREATE INDEX deals_person ON deals (person_id);
CREATE INDEX deals_org ON deals (org_id);
CREATE INDEX deals_owner ON deals (owner_id);
CREATE INDEX deals_status ON deals (status);
CREATE INDEX deals_conversation ON deals (conversation_id);

-- deal_id is set when the lead was converted.
CREATE TABLE leads (
    id                  TEXT PRIMARY KEY,
    title               TEXT NOT NULL,
    person_id           INTEGER REFERENCES persons (id) ON DELETE SET NULL,
    organization_id     INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
    owner_id            INTEGER REFERENCES users (id) ON DELETE SET NULL,
    value_amount        REAL,
    value_currency      TEXT,
    expected_close_date TEXT,
    qualified           BOOLEAN NOT NULL DEFAULT 1,
    source_name         TEXT NOT NULL,
    conversation_id     TEXT,
    is_archived         BOOLEAN NOT NULL DEFAULT 0,
    was_seen            BOOLEAN NOT NULL DEFAULT 0,
    deal_id             INTEGER REFERENCES deals (id) ON DELETE SET NULL,
    add_time            DATETIME NOT NULL,
    update_time         DATETIME NOT NULL
);
CREATE INDEX leads_person ON leads (person_id);
CREATE INDEX leads_organization ON leads (organization_id);
CREATE INDEX leads_owner ON leads (owner_id);
CREATE INDEX leads_archived ON leads (is_archived, add_time);
CREATE INDEX leads_conversation ON leads (conversation_id);

CREATE TABLE lead_label_links (
    lead_id  TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    label_id TEXT NOT NULL REFERENCES lead_labels (id) ON DELETE CASCADE,
    PRIMARY KEY (lead_id, label_id)
);
CREATE INDEX lead_label_links_label ON lead_label_links (label_id);

CREATE TABLE activities (
    id          INTEGER PRIMARY KEY,
    subject     TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('call', 'meeting', 'task', 'email', 'deadline')),
    due_date    TEXT,
    due_time    TEXT,
    duration    TEXT,
    done        BOOLEAN NOT NULL DEFAULT 0,
    note        TEXT NOT NULL DEFAULT '',
    owner_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    lead_id     TEXT REFERENCES leads (id) ON DELETE CASCADE,
    deal_id     INTEGER REFERENCES deals (id) ON DELETE CASCADE,
    person_id   INTEGER REFERENCES persons (id) ON DELETE SET NULL,
    org_id      INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
    add_time    DATETIME NOT NULL,
    update_time DATETIME NOT NULL
);
CREATE INDEX activities_owner ON activities (owner_id, done);
CREATE INDEX activities_lead ON activities (lead_id);
CREATE INDEX activities_deal ON activities (deal_id);
CREATE INDEX activities_person ON activities (person_id);
CREATE INDEX activities_org ON activities (org_id);

-- A note belongs to exactly one parent and goes with it.
CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    content     TEXT NOT NULL,
    lead_id     TEXT REFERENCES leads (id) ON DELETE CASCADE,
    deal_id     INTEGER REFERENCES deals (id) ON DELETE CASCADE,
    person_id   INTEGER REFERENCES persons (id) ON DELETE CASCADE,
    org_id      INTEGER REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    add_time    DATETIME NOT NULL,
    update_time DATETIME NOT NULL,
    CHECK ((CASE WHEN lead_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN deal_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN person_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN org_id IS NULL THEN 0 ELSE 1 END) = 1)
);
CREATE INDEX notes_lead ON notes (lead_id);
CREATE INDEX notes_deal ON notes (deal_id);
CREATE INDEX notes_person ON notes (person_id);
CREATE INDEX notes_org ON notes (org_id);

-- What each capture card of each conversation created. The primary key makes
-- a capture happen at most once; there are no foreign keys so that deleting
-- the lead later does not let the same card capture again.
CREATE TABLE captures (
    conversation_id TEXT NOT NULL,
    card            TEXT NOT NULL,
    person_id       INTEGER,
    org_id          INTEGER,
    lead_id         TEXT,
    deal_id         INTEGER,
    note_id         INTEGER,
    activity_id     INTEGER,
    add_time        DATETIME NOT NULL,
    PRIMARY KEY (conversation_id, card)
);

-- Round-robin owner assignment: the agent assigned longest ago goes next.
-- assigned_count is the compare-and-swap guard of the conditional update.
CREATE TABLE owner_rotation (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    assigned_count   INTEGER NOT NULL DEFAULT 0,
    last_assigned_at DATETIME
);

-- Rows updated only to take a row lock: a portable mutex for one-time work
-- such as creating the default pipeline.
CREATE TABLE crm_locks (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO crm_locks (name) VALUES ('default_pipeline');
