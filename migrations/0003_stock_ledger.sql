-- The stock ledger: every change of a product's stock is a movement written
-- in the same transaction, so stock = SUM(delta) per product. Orders get a
-- version for compare-and-set writes, products a low-stock threshold, and
-- admin sessions the password they were opened with (by when it was set: a
-- session lasts only while that password is the current one; sessions from
-- before this upgrade have none and are over).

-- A movement is appended to one b-tree, by its time-ordered id (WITHOUT
-- ROWID). A product's ledger is a chain, not an index: the product names its
-- newest movement and each movement the one before it. An index on
-- (product_id, id) would be written at a different page for every product
-- an order touches, and measurably slowed every commit.
CREATE TABLE stock_movements (
    id           TEXT PRIMARY KEY,
    product_id   TEXT NOT NULL REFERENCES products (id),
    sku          TEXT NOT NULL,
    delta        INTEGER NOT NULL,
    stock_after  INTEGER NOT NULL CHECK (stock_after >= 0),
    reason       TEXT NOT NULL,
    order_id     TEXT,
    actor        TEXT NOT NULL,
    at           INTEGER NOT NULL,
    previous_id  TEXT
) WITHOUT ROWID;

ALTER TABLE products ADD COLUMN last_movement_id TEXT;

ALTER TABLE products ADD COLUMN low_stock_threshold INTEGER NOT NULL DEFAULT 5;
ALTER TABLE orders ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE admin_sessions ADD COLUMN password_set_at INTEGER NOT NULL DEFAULT 0;

-- A shop from before the ledger opens it with what each product holds now,
-- so the ledger agrees with the stock from the first start. The product's
-- own id is free among movements and sorts before every later one.
INSERT INTO stock_movements (id, product_id, sku, delta, stock_after, reason, order_id, actor, at)
    SELECT id, id, sku, stock, stock, 'RECEIVED', NULL, '"system"',
           CAST(strftime('%s', 'now') AS INTEGER) * 1000
    FROM products;
UPDATE products SET last_movement_id = id;
