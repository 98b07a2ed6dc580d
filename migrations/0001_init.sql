-- Igniflo's embedded schema. Ids are 24-hex-digit ObjectIds (time-ordered, so
-- "ORDER BY id DESC" is newest first); money is integer cents; instants are
-- milliseconds since the epoch. An order's lines and status history are
-- immutable snapshots kept as JSON next to the order, as MongoDB embeds them.

CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    phone       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE products (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    sku         TEXT NOT NULL UNIQUE,
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    price       INTEGER NOT NULL CHECK (price >= 0),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE orders (
    id                   TEXT PRIMARY KEY,
    number               TEXT NOT NULL UNIQUE,
    customer_id          TEXT NOT NULL REFERENCES customers (id),
    lines                TEXT NOT NULL,
    total                INTEGER NOT NULL CHECK (total >= 0),
    payment_received     INTEGER NOT NULL CHECK (payment_received IN (0, 1)),
    status               TEXT NOT NULL CHECK (status IN ('PENDING', 'PAID', 'FULFILLED', 'CANCELLED')),
    history              TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    idempotency_key      TEXT UNIQUE,
    request_fingerprint  TEXT
);

CREATE INDEX orders_by_status ON orders (status, id);
CREATE INDEX orders_by_customer ON orders (customer_id, id);
CREATE INDEX orders_by_created ON orders (created_at);
