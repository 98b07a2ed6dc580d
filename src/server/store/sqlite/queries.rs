//! Reads shared by the store's queries: one order by a unique column, and
//! the order list's filter as SQL.

use super::rows::{db_error, order_row, populate, ORDER_COLUMNS};
use crate::domain::{Order, OrderFilter};
use crate::server::store::StoreResult;
use rusqlite::{Connection, OptionalExtension, ToSql};

pub fn load_order(conn: &Connection, column: &str, key: &str) -> StoreResult<Option<Order>> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE {column} = ?1");
    let row = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row([key], order_row).optional())
        .map_err(db_error)?;
    Ok(populate(conn, row.into_iter().collect())?.pop())
}

/// `%text%` for LIKE, with LIKE's wildcards in `text` taken literally.
pub fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The WHERE clause and its parameters for an order filter.
pub fn order_conditions(filter: &OrderFilter) -> (String, Vec<Box<dyn ToSql + Send>>) {
    let mut sql = String::from("1 = 1");
    let mut args: Vec<Box<dyn ToSql + Send>> = Vec::new();
    if let Some(status) = filter.status {
        sql.push_str(" AND status = ?");
        args.push(Box::new(status.as_str()));
    }
    if let Some(payment) = filter.payment_status {
        sql.push_str(" AND payment_status = ?");
        args.push(Box::new(payment.as_str()));
    }
    if let Some(fulfillment) = filter.fulfillment_status {
        sql.push_str(" AND fulfillment_status = ?");
        args.push(Box::new(fulfillment.as_str()));
    }
    if let Some(customer) = filter.customer {
        sql.push_str(" AND customer_id = ?");
        args.push(Box::new(customer.to_string()));
    }
    if let Some(from) = filter.from {
        sql.push_str(" AND created_at >= ?");
        args.push(Box::new(from.millis()));
    }
    if let Some(to) = filter.to {
        sql.push_str(" AND created_at < ?");
        args.push(Box::new(to.millis()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        sql.push_str(
            " AND (number = ? OR customer_id IN (SELECT id FROM customers \
             WHERE name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\'))",
        );
        args.push(Box::new(q.to_ascii_uppercase()));
        args.push(Box::new(contains_pattern(q)));
        args.push(Box::new(contains_pattern(q)));
    }
    (sql, args)
}

pub fn as_params(args: &[Box<dyn ToSql + Send>]) -> Vec<&dyn ToSql> {
    args.iter().map(|a| a.as_ref() as &dyn ToSql).collect()
}
