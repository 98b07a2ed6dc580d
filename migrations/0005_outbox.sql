-- The outbox: every event a committed change announces to integrations,
-- written in that change's transaction, in commit order (`seq`, the rowid:
-- the writer is one connection, so rowids rise with commits while the newest
-- event is kept; no index but the rowid, as every index slows each order's
-- commit). Webhook
-- deliveries are made from it, so an event is never lost to a crash between
-- the commit and its delivery, and never sent for a change rolled back.
CREATE TABLE outbox_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
