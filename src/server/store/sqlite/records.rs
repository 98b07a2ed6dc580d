//! Whole records in and out of the SQLite file, for `igniflo migrate`.

use super::rows::{customer_row, db_error, json_column, order_row, product_row, StoredLine};
use super::rows::{CUSTOMER_COLUMNS, ORDER_COLUMNS, PRODUCT_COLUMNS};
use super::SqliteStore;
use crate::domain::{Customer, Id, Product};
use crate::server::store::records::{Kind, Record, Records, StoredOrder};
use crate::server::store::{IdempotencyKey, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, Connection, Row};

fn stored_order(row: &Row) -> rusqlite::Result<Record> {
    let key: Option<String> = row.get(10)?;
    let fingerprint: Option<String> = row.get(11)?;
    let idempotency = key.map(|key| IdempotencyKey {
        key,
        fingerprint: fingerprint.unwrap_or_default(),
    });
    let tracking_hash: Option<String> = row.get(12)?;
    Ok(Record::Order(
        order_row(row)?.into_stored(idempotency, tracking_hash),
    ))
}

fn insert(conn: &Connection, record: &Record) -> rusqlite::Result<usize> {
    match record {
        Record::Customer(c) => insert_customer(conn, c),
        Record::Product(p) => insert_product(conn, p),
        Record::Order(o) => insert_order(conn, o),
    }
}

/// Customer, product and order rows are each written one way, whether a
/// request or a data move writes them.
pub(super) fn insert_customer(conn: &Connection, c: &Customer) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO customers (id, name, email, phone, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        c.id.to_string(),
        c.name,
        c.email,
        c.phone,
        c.created_at.millis()
    ])
}

pub(super) fn insert_product(conn: &Connection, p: &Product) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO products (id, name, sku, stock, price, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        p.id.to_string(),
        p.name,
        p.sku,
        p.stock,
        p.price.cents(),
        p.created_at.millis(),
        p.updated_at.millis()
    ])
}

pub(super) fn insert_order(conn: &Connection, o: &StoredOrder) -> rusqlite::Result<usize> {
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
    conn.prepare_cached(
        "INSERT INTO orders (id, number, customer_id, lines, total, payment_received, status, \
         history, created_at, updated_at, idempotency_key, request_fingerprint, tracking_hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        o.id.to_string(),
        o.number,
        o.customer.to_string(),
        json_column(&lines)?,
        o.total.cents(),
        o.payment_received,
        o.status.as_str(),
        json_column(&o.history)?,
        o.created_at.millis(),
        o.updated_at.millis(),
        o.idempotency.as_ref().map(|i| &i.key),
        o.idempotency.as_ref().map(|i| &i.fingerprint),
        o.tracking_hash,
    ])
}

#[async_trait]
impl Records for SqliteStore {
    async fn count(&self, kind: Kind) -> StoreResult<u64> {
        self.read(move |c| {
            c.query_row(&format!("SELECT COUNT(*) FROM {}", kind.name()), [], |r| {
                r.get(0)
            })
            .map_err(db_error)
        })
        .await
    }

    async fn export(&self, kind: Kind, after: Option<Id>, limit: u32) -> StoreResult<Vec<Record>> {
        self.read(move |c| {
            let (columns, read): (String, fn(&Row) -> rusqlite::Result<Record>) = match kind {
                Kind::Customers => (CUSTOMER_COLUMNS.into(), |r| {
                    customer_row(r).map(Record::Customer)
                }),
                Kind::Products => (PRODUCT_COLUMNS.into(), |r| {
                    product_row(r).map(Record::Product)
                }),
                Kind::Orders => (
                    format!("{ORDER_COLUMNS}, idempotency_key, request_fingerprint, tracking_hash"),
                    stored_order,
                ),
            };
            let sql = format!(
                "SELECT {columns} FROM {} WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2",
                kind.name()
            );
            let mut stmt = c.prepare_cached(&sql).map_err(db_error)?;
            let rows = stmt
                .query_map(params![after.map(|a| a.to_string()), limit], read)
                .map_err(db_error)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
        })
        .await
    }

    async fn import(&self, records: Vec<Record>) -> StoreResult<()> {
        self.writer
            .write(move |conn| {
                for record in &records {
                    insert(conn, record).map_err(db_error)?;
                }
                Ok(())
            })
            .await
    }

    async fn clear(&self) -> StoreResult<()> {
        self.writer
            .write(|conn| {
                conn.execute_batch(
                    "DELETE FROM orders; DELETE FROM products; DELETE FROM customers;",
                )
                .map_err(db_error)
            })
            .await
    }
}
