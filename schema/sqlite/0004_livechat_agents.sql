-- Live chat, the agents' side: saved replies, and the last working-hours
-- transition applied per agent (so the loop switches status once at the
-- start and end of the day, and leaves a manual change in between alone).
CREATE TABLE saved_replies (
    id          INTEGER PRIMARY KEY,
    shortcut    TEXT NOT NULL,
    text        TEXT NOT NULL,
    add_time    DATETIME NOT NULL,
    update_time DATETIME NOT NULL
);
CREATE UNIQUE INDEX saved_replies_shortcut ON saved_replies (shortcut);

CREATE TABLE agent_hours (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    in_hours    BOOLEAN NOT NULL,
    update_time DATETIME NOT NULL
);
