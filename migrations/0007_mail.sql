-- Emails to customers and staff: each one an event of the outbox (written
-- in the transaction of the order it is about), handed on to this queue
-- with the webhook deliveries, then sent over SMTP — at least once, retried
-- for a day, every attempt kept.
CREATE TABLE mail_deliveries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    body TEXT NOT NULL,            -- the outbox event; emptied once sent or failed
    state TEXT NOT NULL CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED')),
    due_at INTEGER NOT NULL,
    retry_until INTEGER NOT NULL,
    leased_until INTEGER NOT NULL DEFAULT 0,
    attempts TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX mail_deliveries_queue ON mail_deliveries (state, seq);
CREATE INDEX mail_deliveries_finished ON mail_deliveries (state, due_at);
