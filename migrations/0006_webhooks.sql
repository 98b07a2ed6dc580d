-- Webhooks: the endpoints integrations subscribe, and each event's delivery
-- to each endpoint subscribed when the event left the outbox. An endpoint's
-- queue is its pending deliveries in `seq` order, which is the order their
-- events were committed (the dispatcher takes the outbox in order).
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    events TEXT NOT NULL,          -- JSON array of event types, or ["*"]
    active INTEGER NOT NULL,
    disabled_reason TEXT,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    endpoint TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED')),
    due_at INTEGER NOT NULL,
    retry_until INTEGER NOT NULL,
    leased_until INTEGER NOT NULL DEFAULT 0,
    attempts TEXT NOT NULL DEFAULT '[]'   -- JSON array, oldest first
);
-- An endpoint's queue, and its history newest first.
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint, state, seq);
CREATE INDEX webhook_deliveries_history ON webhook_deliveries (endpoint, id);
-- Finished deliveries are forgotten after 30 days.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (state, due_at);
