//! The raw baseline: the order transaction written straight with rusqlite,
//! with nothing of Igniflo around it. Absolute figures differ two to three
//! times between machines (and between quiet and busy hours on one), so each
//! order figure is also reported as a ratio to this baseline, measured in the
//! same run on the same disk.
//!
//! Same schema (the migrations themselves), same rows and the same writes as
//! placing an order: three guarded stock updates and one order insert into a
//! table with the same seven indexes and foreign key. No savepoints, no
//! reads before the write, no re-read after it, no JSON decoding: what is
//! left is what any program keeping these orders in SQLite would pay.
//! Checkpoints stay at SQLite's defaults, as a straightforward program
//! would leave them.
//!
//! A second kind of run (`Writes::WithLedgerAndOutbox`) also writes what
//! Igniflo writes with every order since that baseline was set: a ledger
//! movement per line, chained after the product's newest, and the
//! `order.created` event in the outbox. The gap between the two is what
//! those rows cost any program; the rest of the service's gap is its own.

use super::{Run, CUSTOMERS, LINES_PER_ORDER, PRODUCTS, STOCK};
use igniflo::domain::{Id, Timestamp};
use rusqlite::{params, Connection};
use std::path::Path;
use std::time::Instant;

/// The schema of the order alone.
const ORDER_MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_access.sql"),
];

/// The rest of today's schema: the ledger, the outbox and what came with them.
const LATER_MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0003_stock_ledger.sql"),
    include_str!("../migrations/0004_fulfillment.sql"),
    include_str!("../migrations/0005_outbox.sql"),
    include_str!("../migrations/0006_webhooks.sql"),
    include_str!("../migrations/0007_mail.sql"),
    include_str!("../migrations/0008_staff.sql"),
];

/// What each order writes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    /// Its stock updates and the order: the baseline.
    Order,
    /// Those, a ledger movement per line and the `order.created` event.
    WithLedgerAndOutbox,
}

impl Writes {
    pub fn label(self) -> &'static str {
        match self {
            Writes::Order => "3 items",
            Writes::WithLedgerAndOutbox => "3 items, 3 movements, 1 event",
        }
    }
}

/// Places `orders` orders on a fresh database at `path`, committing
/// `per_commit` of them per transaction. Each order's latency runs from the
/// start of its transaction to the commit that made it durable.
pub fn place_orders(
    path: &Path,
    orders: usize,
    per_commit: usize,
    writes: Writes,
) -> Result<Run, String> {
    let failed = |e: rusqlite::Error| format!("the raw SQLite baseline failed: {e}");
    let conn = Connection::open(path).map_err(failed)?;
    let shop = RawShop::create(&conn, writes).map_err(failed)?;
    let mut latencies = Vec::with_capacity(orders);
    let started = Instant::now();
    let mut placed = 0;
    while placed < orders {
        let batch = per_commit.min(orders - placed);
        let begun = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE").map_err(failed)?;
        for i in placed..placed + batch {
            shop.place(&conn, i)?;
        }
        conn.execute_batch("COMMIT").map_err(failed)?;
        latencies.extend(std::iter::repeat_n(begun.elapsed(), batch));
        placed += batch;
    }
    let elapsed = started.elapsed();
    conn.close().map_err(|(_, e)| failed(e))?;
    Ok(Run { latencies, elapsed })
}

/// The benchmark shop's customers and products, as rows.
struct RawShop {
    writes: Writes,
    customers: Vec<String>,
    /// Id, name, SKU and price in cents of each product.
    products: Vec<(String, String, String, i64)>,
}

impl RawShop {
    fn create(conn: &Connection, writes: Writes) -> rusqlite::Result<RawShop> {
        // As the store opens its database: WAL, a commit on disk before it
        // is acknowledged, and foreign keys checked.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;",
        )?;
        for sql in ORDER_MIGRATIONS {
            conn.execute_batch(sql)?;
        }
        if writes == Writes::WithLedgerAndOutbox {
            for sql in LATER_MIGRATIONS {
                conn.execute_batch(sql)?;
            }
        }
        let now = Timestamp::now().millis();
        let customers: Vec<String> = (0..CUSTOMERS).map(|_| Id::generate().to_string()).collect();
        for (c, id) in customers.iter().enumerate() {
            conn.execute(
                "INSERT INTO customers (id, name, email, phone, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    format!("Bench Customer {c}"),
                    format!("customer{c}@bench.example"),
                    "+44 20 7946 0958",
                    now
                ],
            )?;
        }
        let products: Vec<_> = (0..PRODUCTS)
            .map(|p| {
                (
                    Id::generate().to_string(),
                    format!("Bench Product {p}"),
                    format!("BENCH-{p:03}"),
                    100 + 25 * p as i64,
                )
            })
            .collect();
        for (id, name, sku, price) in &products {
            conn.execute(
                "INSERT INTO products (id, name, sku, stock, price, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![id, name, sku, STOCK, price, now],
            )?;
        }
        Ok(RawShop {
            writes,
            customers,
            products,
        })
    }

    /// The `i`th order, with the customer and products the benchmark's
    /// `Shop::order` picks, inside the caller's transaction.
    fn place(&self, conn: &Connection, i: usize) -> Result<(), String> {
        let failed = |e: rusqlite::Error| format!("the raw SQLite baseline failed: {e}");
        let at = Timestamp::now().millis();
        let order = Id::generate().to_string();
        let mut lines = Vec::with_capacity(LINES_PER_ORDER);
        let mut total = 0;
        for k in 0..LINES_PER_ORDER {
            let (id, name, sku, price) = &self.products[(LINES_PER_ORDER * i + k) % PRODUCTS];
            let taken = match self.writes {
                Writes::Order => take(conn, id, at),
                Writes::WithLedgerAndOutbox => take_with_movement(conn, id, sku, &order, at),
            };
            if taken.map_err(failed)? != 1 {
                return Err(format!("the raw SQLite baseline sold out of {sku}"));
            }
            total += price;
            lines.push(serde_json::json!({
                "product": id, "name": name, "sku": sku, "unit_price": price, "quantity": 1,
            }));
        }
        let history = serde_json::json!([{ "status": "PENDING", "at": at, "actor": "customer" }]);
        let customer = &self.customers[i % CUSTOMERS];
        let number = order_number(i);
        conn.prepare_cached(
            "INSERT INTO orders (id, number, customer_id, lines, total, payment_received, status, \
             history, created_at, updated_at, idempotency_key, request_fingerprint, tracking_hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 'PENDING', ?6, ?7, ?7, NULL, NULL, NULL)",
        )
        .and_then(|mut insert| {
            insert.execute(params![
                order,
                number,
                customer,
                serde_json::Value::Array(lines.clone()).to_string(),
                total,
                history.to_string(),
                at,
            ])
        })
        .map_err(failed)?;
        if self.writes == Writes::WithLedgerAndOutbox {
            let event = format!("evt_{}", Id::generate());
            let body = serde_json::json!({
                "id": event, "type": "order.created", "createdAt": at,
                "data": {
                    "id": order, "number": number, "customer": customer, "items": lines,
                    "total": total, "status": "PENDING", "history": history,
                    "createdAt": at, "updatedAt": at,
                },
            });
            conn.prepare_cached(
                "INSERT INTO outbox_events (id, type, created_at, body) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![event, "order.created", at, body.to_string()]))
            .map_err(failed)?;
        }
        Ok(())
    }
}

/// Takes one unit of a product, if it has one.
fn take(conn: &Connection, product: &str, at: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE products SET stock = stock - ?1, updated_at = ?2 WHERE id = ?3 AND stock >= ?1",
    )?
    .execute(params![1, at, product])
}

/// Takes one unit of a product, if it has one, recording the movement in
/// its ledger.
fn take_with_movement(
    conn: &Connection,
    product: &str,
    sku: &str,
    order: &str,
    at: i64,
) -> rusqlite::Result<usize> {
    let movement = Id::generate().to_string();
    conn.prepare_cached(
        "INSERT INTO stock_movements \
         (id, product_id, sku, delta, stock_after, reason, order_id, actor, at, previous_id) \
         SELECT ?1, id, ?3, -1, stock - 1, 'ORDERED', ?4, '{\"kind\":\"customer\"}', ?5, last_movement_id \
         FROM products WHERE id = ?2 AND stock >= 1",
    )?
    .execute(params![movement, product, sku, order, at])?;
    conn.prepare_cached(
        "UPDATE products SET stock = stock - 1, updated_at = ?1, last_movement_id = ?2 \
         WHERE id = ?3 AND stock >= 1",
    )?
    .execute(params![at, movement, product])
}

/// A unique order number spread like the service's random ones
/// (`7KQ2M-9XD4P`), so its unique index takes inserts all over the tree as it
/// does in the store.
fn order_number(i: usize) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    // SplitMix64's finalizer scatters consecutive orders; 50 of its bits
    // make a collision among the benchmark's orders a one-in-millions chance.
    let mut x = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    let mut number = String::with_capacity(11);
    for k in 0..10 {
        if k == 5 {
            number.push('-');
        }
        number.push(ALPHABET[((x >> (5 * k)) & 31) as usize] as char);
    }
    number
}
