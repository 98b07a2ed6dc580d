//! Applying a `Change` inside the writer's transaction: inserts, orders
//! rewritten over the version read, product edits, each guarded stock delta
//! with its ledger movement (written first, from the product row it moves),
//! then the events the change announces (the outbox), rendered from what it
//! left. A refused change is rolled back by the writer (its job's savepoint),
//! so nothing of it is committed with the rest of the batch.

use super::rows::{self, db_error, duplicate_field, product_row, PRODUCT_COLUMNS};
use crate::domain::{Id, Product};
use crate::server::store::{Applied, Change, StoreResult};
use rusqlite::{params, Connection, OptionalExtension};
use std::sync::LazyLock;

/// Sets the details an edit names, leaving the others as they are.
static EDIT_PRODUCT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE products SET name = COALESCE(?1, name), price = COALESCE(?2, price), \
         low_stock_threshold = COALESCE(?3, low_stock_threshold), updated_at = ?4 \
         WHERE id = ?5 RETURNING {PRODUCT_COLUMNS}"
    )
});

/// Records a movement of stock by a delta, chained after the product's
/// newest, unless that would take the stock below zero (or, for a count,
/// unless the stock is still the level the count was decided on): then it
/// inserts nothing.
const RECORD_MOVEMENT: &str = "INSERT INTO stock_movements \
     (id, product_id, sku, delta, stock_after, reason, order_id, actor, at, previous_id) \
     SELECT ?1, id, ?3, ?4, stock + ?4, ?5, ?6, ?7, ?8, last_movement_id FROM products \
     WHERE id = ?2 AND stock + ?4 >= 0 AND (?9 IS NULL OR stock = ?9)";

/// Moves the stock by that movement, guarded again, and makes it the
/// product's newest.
static MOVE_STOCK: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE products SET stock = stock + ?1, updated_at = ?2, last_movement_id = ?3 \
         WHERE id = ?4 AND stock + ?1 >= 0 RETURNING {PRODUCT_COLUMNS}"
    )
});

/// Writes the change; the caller rolls it back unless it is `Done`.
pub fn apply(conn: &Connection, change: Change) -> StoreResult<Applied> {
    for record in &change.inserts {
        if let Err(e) = rows::insert(conn, record) {
            return Err(match duplicate_field(&e) {
                Some(field) => record.duplicate(field),
                None => db_error(e),
            });
        }
    }
    for update in &change.order_updates {
        let written =
            rows::update_order(conn, &update.order, update.read_version).map_err(db_error)?;
        if written == 0 {
            return Ok(Applied::Stale);
        }
    }
    let mut products: Vec<Product> = Vec::new();
    let at = change.at.millis();
    for edit in &change.product_edits {
        let edited = conn
            .prepare_cached(&EDIT_PRODUCT)
            .and_then(|mut s| {
                s.query_row(
                    params![
                        edit.name,
                        edit.price.map(|p| p.cents()),
                        edit.low_stock_threshold,
                        at,
                        edit.product.to_string()
                    ],
                    product_row,
                )
                .optional()
            })
            .map_err(db_error)?;
        match edited {
            Some(product) => Applied::keep_latest(&mut products, product),
            None => return Ok(Applied::Stale),
        }
    }
    let mut movements = Vec::with_capacity(change.stock.len());
    let actor = rows::json_column(&change.actor).map_err(db_error)?;
    for (i, delta) in change.stock.iter().enumerate() {
        let (movement, product) = (delta.movement.to_string(), delta.product.to_string());
        let recorded = conn
            .prepare_cached(RECORD_MOVEMENT)
            .and_then(|mut s| {
                s.execute(params![
                    movement,
                    product,
                    delta.sku,
                    delta.delta,
                    delta.reason.as_str(),
                    delta.order.map(|o| o.to_string()),
                    actor,
                    at,
                    delta.expected_stock
                ])
            })
            .map_err(db_error)?;
        let moved = match recorded {
            0 => None,
            _ => conn
                .prepare_cached(&MOVE_STOCK)
                .and_then(|mut s| {
                    s.query_row(params![delta.delta, at, movement, product], product_row)
                        .optional()
                })
                .map_err(db_error)?,
        };
        let Some(product) = moved else {
            return Ok(delta.refusal(i, stock_of(conn, delta.product)?));
        };
        movements.push(delta.movement(product.stock, &change));
        Applied::keep_latest(&mut products, product);
    }
    for entry in &change.activity {
        conn.prepare_cached(
            "INSERT INTO activity (id, at, actor_id, kind, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut s| {
            s.execute(params![
                entry.id.to_string(),
                entry.at.millis(),
                entry.actor.staff_member(),
                entry.kind.as_str(),
                rows::json_column(entry)?
            ])
        })
        .map_err(db_error)?;
    }
    if let Some(announce) = &change.announce {
        for event in (announce.0)(&products, &movements)? {
            conn.prepare_cached(
                "INSERT INTO outbox_events (id, type, created_at, body) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute(params![event.id, event.kind, event.at.millis(), event.body])
            })
            .map_err(db_error)?;
        }
    }
    Ok(Applied::Done {
        products,
        movements,
    })
}

fn stock_of(conn: &Connection, id: Id) -> StoreResult<Option<i64>> {
    conn.prepare_cached("SELECT stock FROM products WHERE id = ?1")
        .and_then(|mut s| s.query_row([id.to_string()], |r| r.get(0)).optional())
        .map_err(db_error)
}
