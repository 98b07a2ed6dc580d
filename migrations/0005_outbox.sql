-- The outbox: every event a committed change announces to integrations,
-- written in that change's transaction, in commit order (`seq`). Webhook
-- deliveries are made from it, so an event is never lost to a crash between
-- the commit and its delivery, and never sent for a change rolled back.
CREATE TABLE outbox_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
