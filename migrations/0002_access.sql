-- Access control: the admin login, admin sessions and order tracking tokens.
-- Secrets are never stored: only an argon2id hash of the admin password and
-- SHA-256 hashes of session and tracking tokens.

CREATE TABLE admin_credentials (
    username       TEXT PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE admin_sessions (
    token_hash  TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL
);

ALTER TABLE orders ADD COLUMN tracking_hash TEXT;
CREATE UNIQUE INDEX orders_by_tracking_hash ON orders (tracking_hash);
