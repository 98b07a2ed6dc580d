//! Persistence behind one trait. The service decides *what* happens (prices,
//! totals, transitions); a store makes it happen atomically: stock is taken
//! for every line or none, a status moves only from the status the service
//! saw, and cancelling returns stock in the same transaction.

pub mod mongo;
pub mod records;
pub mod sqlite;

use crate::domain::{
    Actor, AppError, Customer, Id, Money, Order, OrderFilter, OrderStatus, Page, Product,
    ProductUpdate, Timestamp,
};
use crate::server::live::LiveHub;
use async_trait::async_trait;
use serde::Serialize;
use std::sync::Arc;

/// A fully priced order, ready to be written: the service built it.
#[derive(Clone, Debug)]
pub struct OrderDraft {
    pub id: Id,
    pub number: String,
    /// The customer as the service found it: a registered one.
    pub customer: Customer,
    pub lines: Vec<LineDraft>,
    pub total: Money,
    pub payment_received: bool,
    pub placed_at: Timestamp,
    pub placed_by: Actor,
    pub idempotency: Option<IdempotencyKey>,
    /// SHA-256 of the order's tracking token; the token itself is never kept.
    pub tracking_hash: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineDraft {
    pub product: Id,
    pub name: String,
    pub sku: String,
    pub unit_price: Money,
    pub quantity: i64,
}

/// A client's retry key and a fingerprint of the request it came with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

#[derive(Debug)]
pub enum Placed {
    /// Stock was taken and the order written.
    New(Order),
    /// An order with this idempotency key exists; it was placed by the request
    /// with this fingerprint.
    Existing { order: Order, fingerprint: String },
}

/// A status change the service has approved for an order it saw in `from`.
#[derive(Clone, Debug)]
pub struct StatusMove {
    pub order: Id,
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub at: Timestamp,
    pub actor: Actor,
}

/// The result of a compare-and-set on an order's status.
#[derive(Debug)]
pub enum Moved {
    Done(Order),
    /// The order was no longer in `from` (someone else moved it first); here
    /// it is as it is now.
    Stale(Order),
}

/// The orders of one UTC day in one status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyTotal {
    /// Midnight UTC of the day.
    pub day: Timestamp,
    pub status: OrderStatus,
    pub orders: u64,
    pub revenue: Money,
}

pub type StoreResult<T> = Result<T, AppError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers when the database does.
    async fn ping(&self) -> StoreResult<()>;

    /// `Duplicate { field: "email" }` when the email is taken.
    async fn insert_customer(&self, customer: Customer) -> StoreResult<Customer>;
    async fn customer(&self, id: Id) -> StoreResult<Option<Customer>>;
    /// Newest first; `q` matches name or email (substring, case-insensitive).
    async fn customers(&self, q: Option<&str>, page: Page) -> StoreResult<Vec<Customer>>;

    /// `Duplicate { field: "sku" }` when the SKU is taken.
    async fn insert_product(&self, product: Product) -> StoreResult<Product>;
    /// Applies the update atomically; a `stock_adjustment` that would make
    /// stock negative fails with `StockWouldBeNegative` and changes nothing.
    async fn update_product(
        &self,
        id: Id,
        update: ProductUpdate,
        at: Timestamp,
    ) -> StoreResult<Product>;
    /// Products by id or by SKU, in no particular order; unknown keys are skipped.
    async fn products_by_key(&self, keys: &[String]) -> StoreResult<Vec<Product>>;
    /// Sorted by name; `q` matches name or SKU.
    async fn products(&self, q: Option<&str>) -> StoreResult<Vec<Product>>;

    /// Takes stock for every line (all or nothing; `OutOfStock` names the
    /// first line that lacks it), writes the order and its idempotency key
    /// in one transaction. `Duplicate { field: "number" }` asks the caller to
    /// draw another order number.
    async fn place_order(&self, draft: OrderDraft) -> StoreResult<Placed>;
    /// Moves the status if it is still `from`; a move to CANCELLED returns
    /// every line's stock in the same transaction, and a move to PAID sets
    /// `paymentReceived`.
    async fn move_status(&self, change: StatusMove) -> StoreResult<Moved>;
    async fn order(&self, id: Id) -> StoreResult<Option<Order>>;
    async fn order_by_number(&self, number: &str) -> StoreResult<Option<Order>>;
    /// Newest first, populated.
    async fn orders(&self, filter: &OrderFilter, page: Page) -> StoreResult<Vec<Order>>;
    /// How many orders match the filter.
    async fn count_orders(&self, filter: &OrderFilter) -> StoreResult<u64>;
    /// Orders placed since `since`, counted and summed per UTC day and status.
    async fn daily_order_totals(&self, since: Timestamp) -> StoreResult<Vec<DailyTotal>>;

    /// The order whose tracking token has this hash.
    async fn order_by_tracking_hash(&self, hash: &str) -> StoreResult<Option<Order>>;
    /// Gives an order a new tracking token (its hash), replacing the old one.
    async fn replace_tracking_hash(&self, order: Id, hash: String) -> StoreResult<()>;

    /// The argon2id hash of the admin password, if one was ever set.
    async fn admin_password_hash(&self) -> StoreResult<Option<String>>;
    async fn set_admin_password_hash(&self, hash: String, at: Timestamp) -> StoreResult<()>;
    /// Admin sessions by the SHA-256 of their cookie value.
    async fn create_session(&self, token_hash: String, expires_at: Timestamp) -> StoreResult<()>;
    /// When the session expires, if it exists.
    async fn session_expiry(&self, token_hash: &str) -> StoreResult<Option<Timestamp>>;
    /// Ends one session, and forgets every session that has expired by `now`.
    async fn end_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<()>;

    /// Starts feeding `hub` with every change to orders and stock committed
    /// on this database by any server instance, once each and in commit
    /// order, until the store closes (MongoDB's change streams). `false`
    /// when the database cannot report changes (the embedded SQLite file has
    /// one writer, this process); then the service announces its own.
    fn watch_changes(&self, _hub: &LiveHub) -> bool {
        false
    }

    /// Finishes queued writes and closes the database cleanly.
    async fn close(&self);
}

pub type SharedStore = Arc<dyn Store>;

/// The product as `update` leaves it, for stores that read it and write it
/// back in one transaction: `stock` sets the level, `stockAdjustment` moves
/// it from the current level and may not take it below zero.
pub fn apply_update(
    current: Product,
    update: ProductUpdate,
    at: Timestamp,
) -> StoreResult<Product> {
    let stock = match (update.stock, update.stock_adjustment) {
        (Some(level), _) => level,
        (None, Some(delta)) => {
            let level = current.stock + delta;
            if level < 0 {
                return Err(AppError::StockWouldBeNegative {
                    sku: current.sku,
                    available: current.stock,
                });
            }
            crate::domain::validate::stock("stockAdjustment", level)?
        }
        (None, None) => current.stock,
    };
    Ok(Product {
        name: update.name.unwrap_or(current.name),
        price: update.price.unwrap_or(current.price),
        stock,
        updated_at: at,
        ..current
    })
}
