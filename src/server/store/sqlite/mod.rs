//! The embedded default: one SQLite file in WAL mode. One writer thread
//! commits in groups (see `writer`); reads run on a small pool of read-only
//! connections on tokio's blocking threads, concurrently with writes.
//!
//! `open`: the file, its schema and the reader pool; `apply`: changes;
//! `queries`: the order list's filter and shared reads; `rows`: rows in and
//! out; `export`: whole records for data moves.

mod apply;
pub mod backup;
mod export;
mod open;
mod queries;
mod rows;
mod staff;
mod webhooks;
mod writer;

use super::{Applied, Change, OutboxEvent, QuarterHourTotal, Store, StoreResult, QUARTER_HOUR_MS};
use crate::domain::{
    AppError, Customer, Id, Order, OrderFilter, Page, Product, StockMismatch, StockMovement,
    Timestamp,
};
use async_trait::async_trait;
use queries::{as_params, contains_pattern, load_order, order_conditions};
use rows::*;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::PathBuf;
use std::sync::PoisonError;
use std::sync::{Arc, Mutex};
use writer::Writer;

pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Arc<Mutex<Vec<Connection>>>,
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db_error))
            .await
    }

    async fn apply(&self, change: Change) -> StoreResult<Applied> {
        // A refused change rolls back whatever of it was written.
        self.writer
            .write_keeping(
                move |conn| apply::apply(conn, change),
                |applied| matches!(applied, Applied::Done { .. }),
            )
            .await
    }

    async fn customer(&self, id: Id) -> StoreResult<Option<Customer>> {
        self.read(move |c| {
            let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?1");
            c.prepare_cached(&sql)
                .and_then(|mut s| s.query_row([id.to_string()], customer_row).optional())
                .map_err(db_error)
        })
        .await
    }

    async fn customers(&self, q: Option<&str>, page: Page) -> StoreResult<Vec<Customer>> {
        let pattern = q
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(contains_pattern);
        self.read(move |c| {
            let sql = format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers \
                 WHERE (?1 IS NULL OR name LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\') \
                 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT {}",
                page.limit
            );
            let mut stmt = c.prepare_cached(&sql).map_err(db_error)?;
            let rows = stmt
                .query_map(
                    params![pattern, page.before.map(|b| b.to_string())],
                    customer_row,
                )
                .map_err(db_error)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
        })
        .await
    }

    async fn products_by_key(&self, keys: &[String]) -> StoreResult<Vec<Product>> {
        let keys = keys.to_vec();
        self.read(move |c| {
            let marks = vec!["?"; keys.len()].join(",");
            let sql = format!(
                "SELECT {PRODUCT_COLUMNS} FROM products WHERE id IN ({marks}) OR sku IN ({marks})"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(db_error)?;
            let args = keys.iter().chain(keys.iter());
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args), product_row)
                .map_err(db_error)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
        })
        .await
    }

    async fn products(&self, q: Option<&str>) -> StoreResult<Vec<Product>> {
        let pattern = q
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(contains_pattern);
        self.read(move |c| {
            let sql = format!(
                "SELECT {PRODUCT_COLUMNS} FROM products \
                 WHERE ?1 IS NULL OR name LIKE ?1 ESCAPE '\\' OR sku LIKE ?1 ESCAPE '\\' \
                 ORDER BY name COLLATE NOCASE, id"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(db_error)?;
            let rows = stmt
                .query_map(params![pattern], product_row)
                .map_err(db_error)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
        })
        .await
    }

    async fn movements(&self, product: Id, page: Page) -> StoreResult<Vec<StockMovement>> {
        self.read(move |c| movements_of(c, product, page.before, page.limit).map_err(db_error))
            .await
    }

    async fn stock_mismatches(&self) -> StoreResult<Vec<StockMismatch>> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT p.id, p.sku, p.stock, COALESCE(l.total, 0) FROM products p \
                     LEFT JOIN (SELECT product_id, SUM(delta) AS total FROM stock_movements \
                                GROUP BY product_id) l ON l.product_id = p.id \
                     WHERE p.stock != COALESCE(l.total, 0) ORDER BY p.sku",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map([], |r| {
                    let id: String = r.get(0)?;
                    Ok((id, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(db_error)?;
            let mut mismatches = Vec::new();
            for row in rows {
                let (id, sku, stock, ledger) = row.map_err(db_error)?;
                mismatches.push(StockMismatch {
                    product: id.parse().map_err(|_| AppError::Internal)?,
                    sku,
                    stock,
                    ledger,
                });
            }
            Ok(mismatches)
        })
        .await
    }

    async fn order_by_idempotency_key(&self, key: &str) -> StoreResult<Option<(Order, String)>> {
        let key = key.to_string();
        self.read(move |c| {
            let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE idempotency_key = ?1");
            let row = c
                .prepare_cached(&sql)
                .and_then(|mut s| s.query_row([key], order_row).optional())
                .map_err(db_error)?;
            let Some(stored) = row else { return Ok(None) };
            let fingerprint = stored
                .idempotency
                .as_ref()
                .map(|i| i.fingerprint.clone())
                .unwrap_or_default();
            Ok(populate(c, vec![stored])?.pop().map(|o| (o, fingerprint)))
        })
        .await
    }

    async fn order(&self, id: Id) -> StoreResult<Option<Order>> {
        self.read(move |c| load_order(c, "id", &id.to_string()))
            .await
    }

    async fn order_by_number(&self, number: &str) -> StoreResult<Option<Order>> {
        let number = number.trim().to_ascii_uppercase();
        self.read(move |c| load_order(c, "number", &number)).await
    }

    async fn orders(&self, filter: &OrderFilter, page: Page) -> StoreResult<Vec<Order>> {
        let (mut conditions, mut args) = order_conditions(filter);
        let (beyond, direction) = match filter.oldest_first {
            true => (">", "ASC"),
            false => ("<", "DESC"),
        };
        if let Some(cursor) = page.before {
            conditions.push_str(&format!(" AND id {beyond} ?"));
            args.push(Box::new(cursor.to_string()));
        }
        // The limit is a validated number written into the SQL: a bound
        // LIMIT makes SQLite recompile the cached statement on every call.
        let limit = page.limit;
        self.read(move |c| {
            let sql = format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE {conditions} ORDER BY id {direction} LIMIT {limit}"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(db_error)?;
            let rows = stmt
                .query_map(as_params(&args).as_slice(), order_row)
                .map_err(db_error)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_error)?;
            populate(c, rows)
        })
        .await
    }

    async fn count_orders(&self, filter: &OrderFilter) -> StoreResult<u64> {
        let (conditions, args) = order_conditions(filter);
        self.read(move |c| {
            let sql = format!("SELECT COUNT(*) FROM orders WHERE {conditions}");
            c.prepare_cached(&sql)
                .and_then(|mut s| s.query_row(as_params(&args).as_slice(), |r| r.get(0)))
                .map_err(db_error)
        })
        .await
    }

    async fn quarter_hour_order_totals(
        &self,
        since: Timestamp,
    ) -> StoreResult<Vec<QuarterHourTotal>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT created_at / ?2 AS quarter, status, COUNT(*), SUM(total), \
                     SUM(refunded_total) FROM orders \
                     WHERE created_at >= ?1 GROUP BY quarter, status ORDER BY quarter",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map([since.millis(), QUARTER_HOUR_MS], |r| {
                    let quarter: i64 = r.get(0)?;
                    let status: String = r.get(1)?;
                    Ok((
                        quarter,
                        status,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                })
                .map_err(db_error)?;
            let mut totals = Vec::new();
            for row in rows {
                let (quarter, status, orders, total, refunded) = row.map_err(db_error)?;
                totals.push(QuarterHourTotal {
                    from: Timestamp::from_millis(quarter * QUARTER_HOUR_MS),
                    status: status.parse().map_err(|_| AppError::Internal)?,
                    orders: orders as u64,
                    total: crate::domain::Money::from_cents(total),
                    refunded: crate::domain::Money::from_cents(refunded),
                });
            }
            Ok(totals)
        })
        .await
    }

    async fn oldest_outbox_events(&self, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, type, created_at, body FROM outbox_events ORDER BY seq LIMIT ?1",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map([limit], |r| {
                    Ok(OutboxEvent {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        at: Timestamp::from_millis(r.get(2)?),
                        body: r.get(3)?,
                    })
                })
                .map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)
        })
        .await
    }

    async fn order_by_tracking_hash(&self, hash: &str) -> StoreResult<Option<Order>> {
        let hash = hash.to_string();
        self.read(move |c| load_order(c, "tracking_hash", &hash))
            .await
    }

    async fn replace_tracking_hash(&self, order: Id, hash: String) -> StoreResult<()> {
        self.writer
            .write(move |conn| {
                conn.execute(
                    "UPDATE orders SET tracking_hash = ?1 WHERE id = ?2",
                    params![hash, order.to_string()],
                )
                .map_err(db_error)?;
                Ok(())
            })
            .await
    }

    async fn close(&self) {
        self.writer.close();
        self.readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
