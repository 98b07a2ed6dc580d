//! Reading rows into domain records, and populating orders with their
//! customers and products in one query each per page (never one per row).

use crate::domain::{
    AppError, Customer, Id, Money, Order, OrderLine, OrderStatus, Product, StatusEntry, Timestamp,
};
use crate::server::store::records::StoredOrder;
use crate::server::store::{IdempotencyKey, LineDraft};
use rusqlite::{params_from_iter, Connection, Row};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An order line as stored: the snapshot taken when the order was placed.
#[derive(Serialize, Deserialize)]
pub struct StoredLine {
    pub product: Id,
    pub name: String,
    pub sku: String,
    pub unit_price: i64,
    pub quantity: i64,
}

pub const CUSTOMER_COLUMNS: &str = "id, name, email, phone, created_at";
pub const PRODUCT_COLUMNS: &str = "id, name, sku, stock, price, created_at, updated_at";
pub const ORDER_COLUMNS: &str =
    "id, number, customer_id, lines, total, payment_received, status, history, created_at, updated_at";

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

/// A UNIQUE constraint on `column` failed.
pub fn is_unique_violation(e: &rusqlite::Error, column: &str) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE && msg.ends_with(&format!(".{column}")))
}

fn id_column(row: &Row, i: usize) -> rusqlite::Result<Id> {
    let text: String = row.get(i)?;
    text.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            "not an id".into(),
        )
    })
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
        created_at: Timestamp::from_millis(row.get(5)?),
        updated_at: Timestamp::from_millis(row.get(6)?),
    })
}

/// An order row before population.
pub struct OrderRow {
    id: Id,
    number: String,
    customer: Id,
    lines: Vec<StoredLine>,
    total: i64,
    payment_received: bool,
    status: OrderStatus,
    history: Vec<StatusEntry>,
    created_at: i64,
    updated_at: i64,
}

pub fn order_row(row: &Row) -> rusqlite::Result<OrderRow> {
    let json_column = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    let bad = |i: usize| {
        move |_: serde_json::Error| {
            rusqlite::Error::FromSqlConversionFailure(
                i,
                rusqlite::types::Type::Text,
                "bad JSON".into(),
            )
        }
    };
    let status: String = row.get(6)?;
    Ok(OrderRow {
        id: id_column(row, 0)?,
        number: row.get(1)?,
        customer: id_column(row, 2)?,
        lines: serde_json::from_str(&json_column(3)?).map_err(bad(3))?,
        total: row.get(4)?,
        payment_received: row.get(5)?,
        status: status.parse().map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                6,
                rusqlite::types::Type::Text,
                "unknown status".into(),
            )
        })?,
        history: serde_json::from_str(&json_column(7)?).map_err(bad(7))?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}

impl OrderRow {
    /// The order as stored, with the idempotency key it was placed with and
    /// its tracking token's hash.
    pub fn into_stored(
        self,
        idempotency: Option<IdempotencyKey>,
        tracking_hash: Option<String>,
    ) -> StoredOrder {
        StoredOrder {
            id: self.id,
            number: self.number,
            customer: self.customer,
            lines: self
                .lines
                .into_iter()
                .map(|l| LineDraft {
                    product: l.product,
                    name: l.name,
                    sku: l.sku,
                    unit_price: Money::from_cents(l.unit_price),
                    quantity: l.quantity,
                })
                .collect(),
            total: Money::from_cents(self.total),
            payment_received: self.payment_received,
            status: self.status,
            history: self.history,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
            idempotency,
            tracking_hash,
        }
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
pub fn populate(conn: &Connection, rows: Vec<OrderRow>) -> Result<Vec<Order>, AppError> {
    let mut customer_ids: Vec<Id> = rows.iter().map(|r| r.customer).collect();
    customer_ids.sort();
    customer_ids.dedup();
    let mut product_ids: Vec<Id> = rows
        .iter()
        .flat_map(|r| r.lines.iter().map(|l| l.product))
        .collect();
    product_ids.sort();
    product_ids.dedup();
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
    rows.into_iter()
        .map(|r| {
            let customer = customers.get(&r.customer).cloned().ok_or_else(|| {
                tracing::error!(order = %r.id, "order refers to a missing customer");
                AppError::Internal
            })?;
            let items = r
                .lines
                .into_iter()
                .map(|l| {
                    let product = products.get(&l.product).cloned().ok_or_else(|| {
                        tracing::error!(order = %r.id, "order line refers to a missing product");
                        AppError::Internal
                    })?;
                    let unit_price = Money::from_cents(l.unit_price);
                    Ok(OrderLine {
                        product,
                        name: l.name,
                        sku: l.sku,
                        unit_price,
                        quantity: l.quantity,
                        line_total: Money::from_cents(l.unit_price * l.quantity),
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            Ok(Order {
                id: r.id,
                number: r.number,
                customer,
                items,
                total: Money::from_cents(r.total),
                payment_received: r.payment_received,
                status: r.status,
                status_history: r.history,
                created_at: Timestamp::from_millis(r.created_at),
                updated_at: Timestamp::from_millis(r.updated_at),
            })
        })
        .collect()
}

/// A value for a JSON column. Our types always serialize; should one ever
/// fail, the write fails with a database error instead of a panic.
pub fn json_column(value: &impl serde::Serialize) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}
