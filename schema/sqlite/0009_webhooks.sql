-- Webhooks (api.md "Webhooks"): subscriptions, and an outbox of deliveries
-- written in the same transaction as the change that caused them, so
-- nothing is lost while a receiver is down. A delivery is claimed by one
-- server at a time (claimed_until, a conditional update), retried with
-- backoff for 24 hours, and sent in order per (webhook, object, entity).
CREATE TABLE webhooks (
    id               INTEGER PRIMARY KEY,
    subscription_url TEXT NOT NULL,
    event_action     TEXT NOT NULL,
    event_object     TEXT NOT NULL,
    secret           TEXT NOT NULL,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    add_time         DATETIME NOT NULL,
    update_time      DATETIME NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    action          TEXT NOT NULL,
    object          TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    data            TEXT NOT NULL,
    previous        TEXT,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    claimed_until   DATETIME,
    last_attempt_at DATETIME,
    response_status INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    add_time        DATETIME NOT NULL,
    done_at         DATETIME
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_entity ON webhook_deliveries (webhook_id, object, entity_id, id);
