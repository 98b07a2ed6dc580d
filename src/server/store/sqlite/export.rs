//! Whole records out of the SQLite file, for `igniflo migrate` (records go
//! in through `apply`, like every other change).

use super::rows::{customer_row, db_error, movement_row, order_row, product_row};
use super::rows::{CUSTOMER_COLUMNS, MOVEMENT_COLUMNS, ORDER_COLUMNS, PRODUCT_COLUMNS};
use super::SqliteStore;
use crate::domain::Id;
use crate::server::store::records::{Kind, Record, Records};
use crate::server::store::StoreResult;
use async_trait::async_trait;
use rusqlite::{params, Row};

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
            let (columns, read): (&str, fn(&Row) -> rusqlite::Result<Record>) = match kind {
                Kind::Customers => (CUSTOMER_COLUMNS, |r| customer_row(r).map(Record::Customer)),
                Kind::Products => (PRODUCT_COLUMNS, |r| product_row(r).map(Record::Product)),
                Kind::Orders => (ORDER_COLUMNS, |r| {
                    order_row(r).map(|o| Record::Order(Box::new(o)))
                }),
                Kind::Movements => (MOVEMENT_COLUMNS, |r| movement_row(r).map(Record::Movement)),
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

    async fn clear(&self) -> StoreResult<()> {
        self.writer
            .write(|conn| {
                conn.execute_batch(
                    "DELETE FROM outbox_events; DELETE FROM stock_movements; DELETE FROM orders; \
                     DELETE FROM products; DELETE FROM customers;",
                )
                .map_err(db_error)
            })
            .await
    }
}
