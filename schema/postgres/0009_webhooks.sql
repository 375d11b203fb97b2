-- Webhooks (api.md "Webhooks"): subscriptions, and an outbox of deliveries
-- written in the same transaction as the change that caused them, so
-- nothing is lost while a receiver is down. A delivery is claimed by one
-- server at a time (claimed_until, a conditional update), retried with
-- backoff for 24 hours, and sent in order per (webhook, object, entity).
CREATE TABLE webhooks (
    id               BIGSERIAL PRIMARY KEY,
    subscription_url TEXT NOT NULL,
    event_action     TEXT NOT NULL,
    event_object     TEXT NOT NULL,
    secret           TEXT NOT NULL,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    user_id          BIGINT REFERENCES users (id) ON DELETE SET NULL,
    add_time         TIMESTAMPTZ NOT NULL,
    update_time      TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    webhook_id      BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    action          TEXT NOT NULL,
    object          TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    data            TEXT NOT NULL,
    previous        TEXT,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    last_attempt_at TIMESTAMPTZ,
    response_status INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    add_time        TIMESTAMPTZ NOT NULL,
    done_at         TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_entity ON webhook_deliveries (webhook_id, object, entity_id, id);
