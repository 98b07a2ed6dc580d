-- Staff accounts with roles, their sessions and their API tokens. The one
-- admin login becomes the first owner (sign-in name `admin`, its password
-- hash kept); its sessions end (everyone signs in again once).
CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,      -- lower-cased: sign-in ignores case
    role TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_sign_in_at INTEGER,
    password_hash TEXT,                  -- argon2id
    password_set_at INTEGER,
    link_hash TEXT UNIQUE,               -- SHA-256 of the set-password link's token
    link_expires_at INTEGER
);

INSERT INTO staff (id, name, email, email_key, role, active, created_at, updated_at,
                   password_hash, password_set_at)
SELECT lower(hex(randomblob(12))), 'admin', 'admin', 'admin', 'OWNER', 1, updated_at, updated_at,
       password_hash, updated_at
FROM admin_credentials WHERE username = 'admin';

DROP TABLE admin_credentials;
DROP TABLE admin_sessions;

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,         -- SHA-256 of the cookie value
    id TEXT NOT NULL UNIQUE,
    staff_id TEXT NOT NULL REFERENCES staff(id),
    password_set_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX staff_sessions_by_member ON staff_sessions (staff_id, created_at);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,     -- SHA-256 of the token
    staff_id TEXT NOT NULL REFERENCES staff(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX api_tokens_by_member ON api_tokens (staff_id, created_at);

-- What staff and their tokens did, newest last (ids are time-ordered),
-- written in the transaction of the change itself.
CREATE TABLE activity (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id TEXT,                       -- the staff member (who, or whose token, did it)
    kind TEXT NOT NULL,
    body TEXT NOT NULL                   -- the entry as JSON
);
CREATE INDEX activity_by_actor ON activity (actor_id, id);
CREATE INDEX activity_by_kind ON activity (kind, id);
