-- Workspace settings an admin changes in the app, read by every server:
-- one row per key, the value JSON. Live chat's auto-return is the first.
CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    update_time DATETIME NOT NULL
);
