//! Reading rows into records and writing records into rows: each kind of
//! row is read one way and written one way, whether a request or a data
//! move writes it. Orders are populated with their customers and products
//! in one query each per page (never one per row).

use crate::domain::{
    AppError, Currency, Customer, Id, Money, Order, Product, StockMovement, StockReason, Timestamp,
};
use crate::server::store::records::{referenced_ids, OrderActivity, Record, StoredOrder};
use crate::server::store::{IdempotencyKey, LineDraft};
use rusqlite::{params, params_from_iter, Connection, Row};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An order line as stored: the snapshot taken when the order was placed.
#[derive(Serialize, Deserialize)]
struct StoredLine {
    product: Id,
    name: String,
    sku: String,
    unit_price: i64,
    quantity: i64,
}

pub const CUSTOMER_COLUMNS: &str = "id, name, email, phone, created_at";
pub const PRODUCT_COLUMNS: &str =
    "id, name, sku, stock, price, low_stock_threshold, created_at, updated_at";
pub const ORDER_COLUMNS: &str = "id, number, customer_id, lines, total, payment_received, status, \
     history, created_at, updated_at, version, idempotency_key, request_fingerprint, tracking_hash, \
     shipping_address, currency, activity, refunded_total, payment_status, fulfillment_status";
pub const MOVEMENT_COLUMNS: &str =
    "id, product_id, sku, delta, stock_after, reason, order_id, actor, at";

/// Any SQLite failure that is not a business outcome: logged, never shown.
pub fn db_error(e: rusqlite::Error) -> AppError {
    tracing::error!(error = %e, "SQLite error");
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            AppError::Unavailable
        }
        _ => AppError::Internal,
    }
}

/// The field (as `AppError::Duplicate` names it) whose UNIQUE constraint
/// the write broke, if that is what failed.
pub fn duplicate_field(e: &rusqlite::Error) -> Option<&'static str> {
    const FIELDS: [(&str, &str); 6] = [
        ("staff.email_key", "staffEmail"),
        ("customers.email", "email"),
        ("products.sku", "sku"),
        ("orders.number", "number"),
        ("orders.idempotency_key", "idempotencyKey"),
        ("orders.tracking_hash", "trackingHash"),
    ];
    match e {
        rusqlite::Error::SqliteFailure(f, Some(message))
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            FIELDS
                .iter()
                .find(|(column, _)| message.ends_with(column))
                .map(|(_, field)| *field)
        }
        _ => None,
    }
}

fn conversion_failure(i: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, what.into())
}

pub(super) fn id_column(row: &Row, i: usize) -> rusqlite::Result<Id> {
    let text: String = row.get(i)?;
    text.parse().map_err(|_| conversion_failure(i, "not an id"))
}

pub(super) fn json_value<T: serde::de::DeserializeOwned>(
    row: &Row,
    i: usize,
) -> rusqlite::Result<T> {
    let text: String = row.get(i)?;
    serde_json::from_str(&text).map_err(|_| conversion_failure(i, "bad JSON"))
}

/// A JSON column that may be NULL (then `T`'s default).
fn optional_json<T: serde::de::DeserializeOwned + Default>(
    row: &Row,
    i: usize,
) -> rusqlite::Result<T> {
    match row.get::<_, Option<String>>(i)? {
        Some(text) => serde_json::from_str(&text).map_err(|_| conversion_failure(i, "bad JSON")),
        None => Ok(T::default()),
    }
}

pub(super) fn parsed<T: std::str::FromStr>(row: &Row, i: usize, what: &str) -> rusqlite::Result<T> {
    let text: String = row.get(i)?;
    text.parse().map_err(|_| conversion_failure(i, what))
}

/// A value for a JSON column. Our types always serialize; should one ever
/// fail, the write fails with a database error instead of a panic.
pub fn json_column(value: &impl serde::Serialize) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

pub fn customer_row(row: &Row) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: id_column(row, 0)?,
        name: row.get(1)?,
        email: row.get(2)?,
        phone: row.get(3)?,
        created_at: Timestamp::from_millis(row.get(4)?),
    })
}

pub fn product_row(row: &Row) -> rusqlite::Result<Product> {
    Ok(Product {
        id: id_column(row, 0)?,
        name: row.get(1)?,
        sku: row.get(2)?,
        stock: row.get(3)?,
        price: Money::from_cents(row.get(4)?),
        currency: Currency::shop(),
        low_stock_threshold: row.get(5)?,
        created_at: Timestamp::from_millis(row.get(6)?),
        updated_at: Timestamp::from_millis(row.get(7)?),
    })
}

pub fn order_row(row: &Row) -> rusqlite::Result<StoredOrder> {
    let lines: Vec<StoredLine> = json_value(row, 3)?;
    let key: Option<String> = row.get(11)?;
    let fingerprint: Option<String> = row.get(12)?;
    Ok(StoredOrder {
        id: id_column(row, 0)?,
        number: row.get(1)?,
        customer: id_column(row, 2)?,
        lines: lines
            .into_iter()
            .map(|l| LineDraft {
                product: l.product,
                name: l.name,
                sku: l.sku,
                unit_price: Money::from_cents(l.unit_price),
                quantity: l.quantity,
            })
            .collect(),
        total: Money::from_cents(row.get(4)?),
        payment_received: row.get(5)?,
        status: parsed(row, 6, "unknown status")?,
        history: json_value(row, 7)?,
        created_at: Timestamp::from_millis(row.get(8)?),
        updated_at: Timestamp::from_millis(row.get(9)?),
        version: row.get(10)?,
        idempotency: key.map(|key| IdempotencyKey {
            key,
            fingerprint: fingerprint.unwrap_or_default(),
        }),
        tracking_hash: row.get(13)?,
        shipping_address: optional_json(row, 14)?,
        currency: match row.get::<_, Option<String>>(15)? {
            Some(code) => code
                .parse()
                .map_err(|_| conversion_failure(15, "unknown currency"))?,
            None => Currency::shop(),
        },
        activity: optional_json(row, 16)?,
        refunded_total: Money::from_cents(row.get(17)?),
        payment_status: parsed(row, 18, "unknown payment status")?,
        fulfillment_status: parsed(row, 19, "unknown fulfillment status")?,
    })
}

pub fn movement_row(row: &Row) -> rusqlite::Result<StockMovement> {
    let reason: String = row.get(5)?;
    let order: Option<String> = row.get(6)?;
    Ok(StockMovement {
        id: id_column(row, 0)?,
        product: id_column(row, 1)?,
        sku: row.get(2)?,
        delta: row.get(3)?,
        stock_after: row.get(4)?,
        reason: reason
            .parse::<StockReason>()
            .map_err(|_| conversion_failure(5, "unknown reason"))?,
        order: order
            .map(|o| o.parse().map_err(|_| conversion_failure(6, "not an id")))
            .transpose()?,
        actor: json_value(row, 7)?,
        at: Timestamp::from_millis(row.get(8)?),
    })
}

pub fn insert(conn: &Connection, record: &Record) -> rusqlite::Result<usize> {
    match record {
        Record::Customer(c) => conn
            .prepare_cached(
                "INSERT INTO customers (id, name, email, phone, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                c.id.to_string(),
                c.name,
                c.email,
                c.phone,
                c.created_at.millis()
            ]),
        Record::Product(p) => conn
            .prepare_cached(
                "INSERT INTO products (id, name, sku, stock, price, low_stock_threshold, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                p.id.to_string(),
                p.name,
                p.sku,
                p.stock,
                p.price.cents(),
                p.low_stock_threshold,
                p.created_at.millis(),
                p.updated_at.millis()
            ]),
        Record::Order(o) => conn
            .prepare_cached(
                "INSERT INTO orders (id, number, customer_id, lines, total, payment_received, status, \
                 history, created_at, updated_at, version, idempotency_key, request_fingerprint, tracking_hash, \
                 shipping_address, currency, activity, refunded_total, payment_status, fulfillment_status) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
            )?
            .execute(params![
                o.id.to_string(),
                o.number,
                o.customer.to_string(),
                lines_column(o)?,
                o.total.cents(),
                o.payment_received,
                o.status.as_str(),
                json_column(&o.history)?,
                o.created_at.millis(),
                o.updated_at.millis(),
                o.version,
                o.idempotency.as_ref().map(|i| &i.key),
                o.idempotency.as_ref().map(|i| &i.fingerprint),
                o.tracking_hash,
                o.shipping_address.as_ref().map(json_column).transpose()?,
                o.currency.code(),
                activity_column(&o.activity)?,
                o.refunded_total.cents(),
                o.payment_status.as_str(),
                o.fulfillment_status.as_str(),
            ]),
        Record::Movement(m) => insert_movement(conn, m),
    }
}

/// Appends a movement to its product's chain: it points at the product's
/// newest movement so far, and becomes the newest.
pub fn insert_movement(conn: &Connection, m: &StockMovement) -> rusqlite::Result<usize> {
    let id = m.id.to_string();
    let product = m.product.to_string();
    let inserted = conn
        .prepare_cached(
            "INSERT INTO stock_movements \
             (id, product_id, sku, delta, stock_after, reason, order_id, actor, at, previous_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
                     (SELECT last_movement_id FROM products WHERE id = ?2))",
        )?
        .execute(params![
            id,
            product,
            m.sku,
            m.delta,
            m.stock_after,
            m.reason.as_str(),
            m.order.map(|o| o.to_string()),
            json_column(&m.actor)?,
            m.at.millis()
        ])?;
    conn.prepare_cached("UPDATE products SET last_movement_id = ?1 WHERE id = ?2")?
        .execute(params![id, product])?;
    Ok(inserted)
}

/// A product's ledger, newest first: `limit` movements along its chain,
/// from its newest or from the one before `before`.
pub fn movements_of(
    conn: &Connection,
    product: Id,
    before: Option<Id>,
    limit: u32,
) -> rusqlite::Result<Vec<StockMovement>> {
    let sql = format!(
        "WITH RECURSIVE chain (id, n) AS ( \
             SELECT CASE WHEN ?2 IS NULL \
                 THEN (SELECT last_movement_id FROM products WHERE id = ?1) \
                 ELSE (SELECT previous_id FROM stock_movements WHERE id = ?2 AND product_id = ?1) \
             END, 1 \
             UNION ALL \
             SELECT m.previous_id, chain.n + 1 FROM chain JOIN stock_movements m ON m.id = chain.id \
             WHERE chain.n < ?3 \
         ) \
         SELECT {MOVEMENT_COLUMNS} FROM stock_movements JOIN chain USING (id) ORDER BY chain.n"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![product.to_string(), before.map(|b| b.to_string()), limit],
        movement_row,
    )?;
    rows.collect()
}

fn lines_column(o: &StoredOrder) -> rusqlite::Result<String> {
    let lines: Vec<StoredLine> = o
        .lines
        .iter()
        .map(|l| StoredLine {
            product: l.product,
            name: l.name.clone(),
            sku: l.sku.clone(),
            unit_price: l.unit_price.cents(),
            quantity: l.quantity,
        })
        .collect();
    json_column(&lines)
}

/// Rewrites what changes over an order's life, if the order is still at
/// `read_version`; the number of rows written (0: it was not).
pub fn update_order(
    conn: &Connection,
    o: &StoredOrder,
    read_version: u64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE orders SET status = ?1, payment_received = ?2, history = ?3, updated_at = ?4, \
         version = ?5, activity = ?6, refunded_total = ?7, payment_status = ?8, \
         fulfillment_status = ?9 WHERE id = ?10 AND version = ?11",
    )?
    .execute(params![
        o.status.as_str(),
        o.payment_received,
        json_column(&o.history)?,
        o.updated_at.millis(),
        o.version,
        activity_column(&o.activity)?,
        o.refunded_total.cents(),
        o.payment_status.as_str(),
        o.fulfillment_status.as_str(),
        o.id.to_string(),
        read_version
    ])
}

/// NULL while nothing has happened to the order since it was placed, so a
/// new order's row carries no empty JSON.
fn activity_column(activity: &OrderActivity) -> rusqlite::Result<Option<String>> {
    if activity.is_empty() {
        Ok(None)
    } else {
        json_column(activity).map(Some)
    }
}

fn placeholders(n: usize) -> String {
    let mut s = "?,".repeat(n);
    s.pop();
    s
}

fn by_ids<T>(
    conn: &Connection,
    table: &str,
    columns: &str,
    ids: Vec<Id>,
    read: fn(&Row) -> rusqlite::Result<T>,
    id_of: fn(&T) -> Id,
) -> rusqlite::Result<HashMap<Id, T>> {
    let mut map = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE id IN ({})",
            placeholders(chunk.len())
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(chunk.iter().map(Id::to_string)), read)?;
        for r in rows {
            let r = r?;
            map.insert(id_of(&r), r);
        }
    }
    Ok(map)
}

/// Fills in customers and products: one query for each, whatever the count.
pub fn populate(conn: &Connection, orders: Vec<StoredOrder>) -> Result<Vec<Order>, AppError> {
    let (customer_ids, product_ids) = referenced_ids(&orders);
    let customers = by_ids(
        conn,
        "customers",
        CUSTOMER_COLUMNS,
        customer_ids,
        customer_row,
        |c| c.id,
    )
    .map_err(db_error)?;
    let products = by_ids(
        conn,
        "products",
        PRODUCT_COLUMNS,
        product_ids,
        product_row,
        |p| p.id,
    )
    .map_err(db_error)?;
    orders
        .into_iter()
        .map(|o| o.populate(&customers, &products))
        .collect()
}
