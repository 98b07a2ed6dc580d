//! Persistence behind one trait. The service decides what a command does
//! and hands the store one `Change`; the store applies it atomically —
//! guarded stock deltas (the write refuses `stock + delta < 0`), orders
//! written over the version the service read, a ledger movement for every
//! delta, the events it announces to integrations (the outbox) — or applies
//! none of it. No business rule lives below this line: the stores know
//! nothing of statuses, payments or which move returns stock.

pub mod mongo;
pub mod records;
pub mod sqlite;
pub mod staff;

use crate::domain::webhook::{Delivery, DeliveryAttempt, DeliveryState, WebhookEndpoint};
use crate::domain::{
    ActivityEntry, Actor, AppError, Customer, Id, Money, Order, OrderFilter, OrderStatus, Page,
    Product, StockMismatch, StockMovement, StockReason, Timestamp,
};
use crate::server::events::LiveHub;
use async_trait::async_trait;
use records::{Record, StoredOrder};
use serde::Serialize;
use std::sync::Arc;

/// A fully priced order line, as the order keeps it.
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

/// One command's effects, decided by the service, applied by a store in one
/// transaction or not at all.
#[derive(Clone, Debug)]
pub struct Change {
    pub at: Timestamp,
    pub actor: Actor,
    /// New records, written as they are: a registered customer, a new
    /// product with its opening movement, a placed order, or a data move's
    /// batch.
    pub inserts: Vec<Record>,
    /// Orders rewritten (status, payment, history), each only if it is still
    /// at the version the service read.
    pub order_updates: Vec<OrderUpdate>,
    /// Products' details changed; their stock moves only through `stock`.
    pub product_edits: Vec<ProductEdit>,
    /// Stock moves, each written with its ledger movement.
    pub stock: Vec<StockDelta>,
    /// What staff did, for the activity log (empty for customers' and
    /// Igniflo's own changes).
    pub activity: Vec<ActivityEntry>,
    /// The events it announces to integrations, written to the outbox in
    /// the same transaction: a committed change is always announced, a
    /// refused one never. None for data moves.
    pub announce: Option<Announcements>,
}

impl Change {
    pub fn new(at: Timestamp, actor: Actor) -> Change {
        Change {
            at,
            actor,
            inserts: Vec::new(),
            order_updates: Vec::new(),
            activity: Vec::new(),
            product_edits: Vec::new(),
            stock: Vec::new(),
            announce: None,
        }
    }
}

/// One event for integrations, as it will be sent: `body` is the JSON
/// `{"id", "type", "createdAt", "data"}`, signed and delivered as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEvent {
    /// `evt_` and 24 hex digits; the same on every delivery attempt.
    pub id: String,
    pub kind: String,
    pub at: Timestamp,
    pub body: String,
}

/// What a change announces, worked out by the service and rendered by the
/// store once it has applied the rest of the change, from what it left: the
/// products as the change left them and the ledger movements it wrote. So
/// each event carries what the REST API would answer at that commit.
#[derive(Clone)]
pub struct Announcements(pub Arc<RenderEvents>);

/// Renders a change's events from the products it left and the movements
/// it wrote.
pub type RenderEvents =
    dyn Fn(&[Product], &[StockMovement]) -> StoreResult<Vec<OutboxEvent>> + Send + Sync;

impl std::fmt::Debug for Announcements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Announcements")
    }
}

#[derive(Clone, Debug)]
pub struct OrderUpdate {
    /// The order as it becomes; its `version` is one above `read_version`.
    pub order: StoredOrder,
    pub read_version: u64,
}

/// The details one edit changes; `None` leaves a field as it is, so edits
/// of different fields never undo each other.
#[derive(Clone, Debug)]
pub struct ProductEdit {
    pub product: Id,
    pub name: Option<String>,
    pub price: Option<Money>,
    pub low_stock_threshold: Option<i64>,
}

/// One guarded change of one product's stock and the movement recording it.
#[derive(Clone, Debug)]
pub struct StockDelta {
    /// The ledger movement's id.
    pub movement: Id,
    pub product: Id,
    pub sku: String,
    pub delta: i64,
    pub reason: StockReason,
    pub order: Option<Id>,
    /// Apply only if the stock is exactly this (setting a level outright
    /// must not lose a concurrent order's take); otherwise the change is stale.
    pub expected_stock: Option<i64>,
}

impl StockDelta {
    /// The ledger movement recording this delta, which left `stock_after`.
    pub fn movement(&self, stock_after: i64, change: &Change) -> StockMovement {
        StockMovement {
            id: self.movement,
            product: self.product,
            sku: self.sku.clone(),
            delta: self.delta,
            stock_after,
            reason: self.reason,
            order: self.order,
            actor: change.actor.clone(),
            at: change.at,
        }
    }

    /// Why the guarded write of `stock[index]` (this delta) wrote nothing,
    /// given the product's stock now (`None`: the product is gone).
    pub fn refusal(&self, index: usize, stock_now: Option<i64>) -> Applied {
        match (stock_now, self.expected_stock) {
            (Some(now), Some(expected)) if now != expected => Applied::Stale,
            (now, _) => Applied::ShortOfStock {
                delta: index,
                available: now.unwrap_or(0),
            },
        }
    }
}

/// What applying a change came to.
#[derive(Debug)]
pub enum Applied {
    /// Committed: every product the change touched as it left them, and the
    /// ledger movements it wrote.
    Done {
        products: Vec<Product>,
        movements: Vec<StockMovement>,
    },
    /// An order was no longer at the version read, or a stock level was no
    /// longer the one expected: re-read and decide again. Nothing was written.
    Stale,
    /// `stock[delta]` would take its product below zero (or the product is
    /// gone); it holds `available`. Nothing was written.
    ShortOfStock { delta: usize, available: i64 },
}

impl Applied {
    /// What a change that has nothing to be stale or short of (inserts
    /// alone) committed; a refusal of it is a bug.
    pub fn unguarded(self) -> StoreResult<(Vec<Product>, Vec<StockMovement>)> {
        match self {
            Applied::Done {
                products,
                movements,
            } => Ok((products, movements)),
            refused => {
                tracing::error!(outcome = ?refused, "a change with no guards was refused");
                Err(AppError::Internal)
            }
        }
    }

    /// Notes a product the change left like this: each product once, as
    /// the change last left it.
    pub fn keep_latest(products: &mut Vec<Product>, product: Product) {
        match products.iter_mut().find(|p| p.id == product.id) {
            Some(earlier) => *earlier = product,
            None => products.push(product),
        }
    }
}

/// The outbox event kind of an email: its body is the message, and the
/// outbox hands it on to the mail queue instead of webhook endpoints.
pub const MAIL_EVENT: &str = "mail";

/// An email waiting in the mail queue, or sent from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailDelivery {
    pub id: Id,
    /// The outbox event it came from: the message's `Message-ID`.
    pub event_id: String,
    /// The message as JSON (`server::mail::MailMessage`).
    pub body: String,
    pub retry_until: Timestamp,
    pub attempts: Vec<DeliveryAttempt>,
}

/// The two queues the outbox feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue {
    Webhooks,
    Mail,
}

/// What came of asking for a delivery to be sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requeue {
    Queued,
    /// It is being sent right now; its attempt decides what it becomes.
    InFlight,
    NotFound,
}

/// The orders of one quarter hour in one status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuarterHourTotal {
    /// The quarter hour's first instant.
    pub from: Timestamp,
    pub status: OrderStatus,
    pub orders: u64,
    /// What the orders add up to.
    pub total: Money,
    /// What was refunded of them.
    pub refunded: Money,
}

/// A quarter hour in milliseconds.
pub const QUARTER_HOUR_MS: i64 = 15 * 60 * 1000;

pub type StoreResult<T> = Result<T, AppError>;

/// The outbox's way out, the same on every store: events handed on to
/// webhook deliveries and emails, the endpoints, and the queues the senders
/// lease from (`server::webhooks`, `server::mail`).
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// How many events wait to be handed to webhook endpoints, and when the
    /// oldest of them happened.
    async fn outbox_backlog(&self) -> StoreResult<(u64, Option<Timestamp>)>;
    /// Hands the outbox's oldest `limit` events on — an email to the mail
    /// queue, any other event to a delivery for each endpoint subscribed to
    /// it then — due at `due` and retried until `retry_until`; the events
    /// leave the outbox in the same transaction. Returns how many it took.
    async fn dispatch_outbox(
        &self,
        limit: u32,
        due: Timestamp,
        retry_until: Timestamp,
    ) -> StoreResult<usize>;

    /// Webhook endpoints, oldest first.
    async fn webhook_endpoints(&self) -> StoreResult<Vec<WebhookEndpoint>>;
    async fn webhook_endpoint(&self, id: Id) -> StoreResult<Option<WebhookEndpoint>>;
    async fn add_webhook_endpoint(&self, endpoint: WebhookEndpoint) -> StoreResult<()>;
    /// Rewrites an endpoint if it is still as it was when last updated at
    /// `read_at`; false if it changed meanwhile or is gone.
    async fn update_webhook_endpoint(
        &self,
        endpoint: WebhookEndpoint,
        read_at: Timestamp,
    ) -> StoreResult<bool>;
    /// Deletes an endpoint and its deliveries; false if there was none.
    async fn delete_webhook_endpoint(&self, id: Id) -> StoreResult<bool>;
    /// Switches an endpoint off, saying why — if it still sends to `url`
    /// (an admin may have pointed it elsewhere meanwhile).
    async fn disable_webhook_endpoint(
        &self,
        id: Id,
        url: String,
        reason: String,
        at: Timestamp,
    ) -> StoreResult<()>;

    /// Queues one delivery (a ping).
    async fn add_delivery(&self, delivery: Delivery) -> StoreResult<()>;
    /// An endpoint's deliveries, newest first.
    async fn deliveries(&self, endpoint: Id, page: Page) -> StoreResult<Vec<Delivery>>;
    /// The first delivery in an endpoint's queue (pending, in the order its
    /// events were committed; MongoDB: of their times), leased until
    /// `lease_until` — if it is due by `now` and no delivery of the
    /// endpoint is leased. Deliveries behind it wait: one endpoint gets its
    /// events one at a time, in order.
    async fn claim_delivery(
        &self,
        endpoint: Id,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<Delivery>>;
    /// Records an attempt of a webhook delivery or an email claimed with
    /// `lease_until`, and what it becomes (delivered, due again, failed),
    /// ending the lease; false, with nothing written, if the lease ran out
    /// and passed on.
    async fn record_attempt(
        &self,
        queue: Queue,
        id: Id,
        lease_until: Timestamp,
        attempt: DeliveryAttempt,
        state: DeliveryState,
        due_at: Timestamp,
    ) -> StoreResult<bool>;
    /// Puts a delivery back at its place in the queue, due at `now`, with a
    /// new retry window — unless it is being sent right now.
    async fn redeliver(
        &self,
        endpoint: Id,
        delivery: Id,
        now: Timestamp,
        retry_until: Timestamp,
    ) -> StoreResult<Requeue>;
    /// The oldest email due by `now`, leased until `lease_until`.
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<MailDelivery>>;
    /// Forgets up to a batch of webhook deliveries and emails finished
    /// (delivered or failed) before `before`; returns how many.
    async fn forget_deliveries(&self, before: Timestamp) -> StoreResult<u64>;
}

#[async_trait]
pub trait Store: OutboxStore + staff::StaffStore {
    /// Answers when the database does.
    async fn ping(&self) -> StoreResult<()>;

    /// Applies the change in one transaction. A unique value taken (an
    /// email, a SKU, an order number, an idempotency key) is
    /// `Duplicate { field }`, with nothing written.
    async fn apply(&self, change: Change) -> StoreResult<Applied>;

    async fn customer(&self, id: Id) -> StoreResult<Option<Customer>>;
    /// Newest first; `q` matches name or email (substring, case-insensitive).
    async fn customers(&self, q: Option<&str>, page: Page) -> StoreResult<Vec<Customer>>;

    /// Products by id or by SKU, in no particular order; unknown keys are skipped.
    async fn products_by_key(&self, keys: &[String]) -> StoreResult<Vec<Product>>;
    /// Sorted by name; `q` matches name or SKU.
    async fn products(&self, q: Option<&str>) -> StoreResult<Vec<Product>>;
    /// A product's ledger, newest first.
    async fn movements(&self, product: Id, page: Page) -> StoreResult<Vec<StockMovement>>;
    /// Every product whose stock is not the sum of its movements.
    async fn stock_mismatches(&self) -> StoreResult<Vec<StockMismatch>>;

    async fn order(&self, id: Id) -> StoreResult<Option<Order>>;
    async fn order_by_number(&self, number: &str) -> StoreResult<Option<Order>>;
    /// The order placed with this idempotency key, and the fingerprint of
    /// the request that placed it.
    async fn order_by_idempotency_key(&self, key: &str) -> StoreResult<Option<(Order, String)>>;
    /// Newest first, populated.
    async fn orders(&self, filter: &OrderFilter, page: Page) -> StoreResult<Vec<Order>>;
    /// How many orders match the filter.
    async fn count_orders(&self, filter: &OrderFilter) -> StoreResult<u64>;
    /// Orders placed since `since`, counted and summed per quarter hour and
    /// status: every time zone's midnight falls on a quarter hour, so the
    /// service can add them up into the shop's days.
    async fn quarter_hour_order_totals(
        &self,
        since: Timestamp,
    ) -> StoreResult<Vec<QuarterHourTotal>>;

    /// The order whose tracking token has this hash.
    async fn order_by_tracking_hash(&self, hash: &str) -> StoreResult<Option<Order>>;

    /// The outbox's first `limit` events, in the order they were committed
    /// (MongoDB: of their changes' times, which follow commit order for any
    /// one order).
    async fn oldest_outbox_events(&self, limit: u32) -> StoreResult<Vec<OutboxEvent>>;
    /// Gives an order a new tracking token (its hash), replacing the old one.
    async fn replace_tracking_hash(&self, order: Id, hash: String) -> StoreResult<()>;

    /// Starts feeding `hub` with every change to orders and stock committed
    /// on this database by any server instance, once each and in commit
    /// order, until the store closes (MongoDB's change streams). `false`
    /// when the database cannot report changes (the embedded SQLite file has
    /// one writer, this process); then the service announces what it applied.
    fn watch_changes(&self, _hub: &LiveHub) -> bool {
        false
    }

    /// Finishes queued writes and closes the database cleanly.
    async fn close(&self);
}

pub type SharedStore = Arc<dyn Store>;
