//! Every record exactly as a store keeps it. Orders are stored with their
//! customer and products by id (`StoredOrder`) and turned into the `Order`
//! readers see in one place (`StoredOrder::populate`), whichever store read
//! them. Data moves (`igniflo migrate`) copy these records whole, a batch at
//! a time in id order, so a move needs no more memory for a million orders
//! than for a hundred.

use super::{Change, IdempotencyKey, LineDraft, Store, StoreResult};
use crate::domain::{
    Actor, Address, AppError, CommandKey, Currency, Customer, FulfillmentStatus, Id, Money, Note,
    Order, OrderLine, OrderStatus, PaymentStatus, Product, Refund, Return, Shipment, StatusEntry,
    StockMovement, Timestamp,
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Customers,
    Products,
    Orders,
    Movements,
}

impl Kind {
    /// In the order a move copies them: what others refer to comes first.
    pub const ALL: [Kind; 4] = [
        Kind::Customers,
        Kind::Products,
        Kind::Orders,
        Kind::Movements,
    ];

    /// The table's or collection's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Products => "products",
            Kind::Orders => "orders",
            Kind::Movements => "stock_movements",
        }
    }
}

/// An order as stored, before its customer and products are populated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredOrder {
    pub id: Id,
    pub number: String,
    pub customer: Id,
    pub lines: Vec<LineDraft>,
    pub total: Money,
    pub payment_received: bool,
    pub status: OrderStatus,
    pub history: Vec<StatusEntry>,
    pub shipping_address: Option<Address>,
    pub currency: Currency,
    /// Shipments, returns, refunds and notes, and the retry keys of the
    /// commands that recorded them.
    pub activity: OrderActivity,
    /// Derived from the rest (`Order::settle`), kept so lists can filter
    /// and sum on them.
    pub refunded_total: Money,
    pub payment_status: PaymentStatus,
    pub fulfillment_status: FulfillmentStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
    pub idempotency: Option<IdempotencyKey>,
    /// SHA-256 of the order's tracking token (orders placed before tracking
    /// tokens existed have none).
    pub tracking_hash: Option<String>,
}

/// What happened to an order after it was placed, kept with it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrderActivity {
    pub shipments: Vec<Shipment>,
    pub returns: Vec<Return>,
    pub refunds: Vec<Refund>,
    pub notes: Vec<Note>,
    pub command_keys: Vec<CommandKey>,
}

impl OrderActivity {
    pub fn is_empty(&self) -> bool {
        *self == OrderActivity::default()
    }
}

impl StoredOrder {
    /// The stored form of an order a reader saw (after the domain changed
    /// it). Its idempotency key and tracking hash are not part of `Order`,
    /// and an order update never rewrites them.
    pub fn from_order(order: &Order) -> StoredOrder {
        StoredOrder {
            id: order.id,
            number: order.number.clone(),
            customer: order.customer.id,
            lines: order
                .items
                .iter()
                .map(|l| LineDraft {
                    product: l.product.id,
                    name: l.name.clone(),
                    sku: l.sku.clone(),
                    unit_price: l.unit_price,
                    quantity: l.quantity,
                })
                .collect(),
            total: order.total,
            payment_received: order.payment_received,
            status: order.status,
            history: order.status_history.clone(),
            shipping_address: order.shipping_address.clone(),
            currency: order.currency,
            activity: OrderActivity {
                shipments: order.shipments.clone(),
                returns: order.returns.clone(),
                refunds: order.refunds.clone(),
                notes: order.notes.clone(),
                command_keys: order.command_keys.clone(),
            },
            refunded_total: order.refunded_total,
            payment_status: order.payment_status,
            fulfillment_status: order.fulfillment_status,
            created_at: order.created_at,
            updated_at: order.updated_at,
            version: order.version,
            idempotency: None,
            tracking_hash: None,
        }
    }

    /// The order as readers see it, its customer and products filled in
    /// from what one query per collection found.
    pub fn populate(
        self,
        customers: &HashMap<Id, Customer>,
        products: &HashMap<Id, Product>,
    ) -> StoreResult<Order> {
        let customer = customers.get(&self.customer).cloned().ok_or_else(|| {
            tracing::error!(order = %self.id, "order refers to a missing customer");
            AppError::Internal
        })?;
        let items = self
            .lines
            .into_iter()
            .map(|l| {
                let product = products.get(&l.product).cloned().ok_or_else(|| {
                    tracing::error!(order = %self.id, "order line refers to a missing product");
                    AppError::Internal
                })?;
                let line_total = l.unit_price.checked_mul(l.quantity).ok_or_else(|| {
                    tracing::error!(order = %self.id, "an order line's total overflows");
                    AppError::Internal
                })?;
                Ok(OrderLine {
                    product,
                    name: l.name,
                    sku: l.sku,
                    unit_price: l.unit_price,
                    quantity: l.quantity,
                    line_total,
                    shipped_quantity: 0,
                    returned_quantity: 0,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let activity = self.activity;
        let order = Order {
            id: self.id,
            number: self.number,
            customer,
            shipping_address: self.shipping_address,
            items,
            total: self.total,
            currency: self.currency,
            payment_received: self.payment_received,
            refunded_total: Money::default(),
            payment_status: PaymentStatus::Unpaid,
            fulfillment_status: FulfillmentStatus::Unfulfilled,
            status: self.status,
            status_history: self.history,
            shipments: activity.shipments,
            returns: activity.returns,
            refunds: activity.refunds,
            notes: activity.notes,
            timeline: Vec::new(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
            command_keys: activity.command_keys,
        };
        Ok(order.settle())
    }
}

/// The customers and the products these orders refer to, each id once: what
/// a store looks up (one query each) to populate them.
pub fn referenced_ids(orders: &[StoredOrder]) -> (Vec<Id>, Vec<Id>) {
    let mut customers: Vec<Id> = orders.iter().map(|o| o.customer).collect();
    let mut products: Vec<Id> = orders
        .iter()
        .flat_map(|o| o.lines.iter().map(|l| l.product))
        .collect();
    customers.sort();
    customers.dedup();
    products.sort();
    products.dedup();
    (customers, products)
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Record {
    Customer(Customer),
    Product(Product),
    Order(Box<StoredOrder>),
    Movement(StockMovement),
}

impl Record {
    pub fn kind(&self) -> Kind {
        match self {
            Record::Customer(_) => Kind::Customers,
            Record::Product(_) => Kind::Products,
            Record::Order(_) => Kind::Orders,
            Record::Movement(_) => Kind::Movements,
        }
    }

    pub fn id(&self) -> Id {
        match self {
            Record::Customer(c) => c.id,
            Record::Product(p) => p.id,
            Record::Order(o) => o.id,
            Record::Movement(m) => m.id,
        }
    }

    /// The record's value of a unique field (as `AppError::Duplicate` names
    /// the field), for the error a store reports when it is taken.
    pub fn unique_value(&self, field: &str) -> String {
        match (self, field) {
            (Record::Customer(c), "email") => c.email.clone(),
            (Record::Product(p), "sku") => p.sku.clone(),
            (Record::Order(o), "number") => o.number.clone(),
            (Record::Order(o), "idempotencyKey") => o
                .idempotency
                .as_ref()
                .map(|i| i.key.clone())
                .unwrap_or_default(),
            _ => self.id().to_string(),
        }
    }

    /// The error for this record's unique `field` being taken already.
    pub fn duplicate(&self, field: &str) -> AppError {
        AppError::Duplicate {
            field: field.into(),
            value: self.unique_value(field),
        }
    }
}

/// A store whose records can be copied out and in whole.
#[async_trait]
pub trait Records: Store {
    async fn count(&self, kind: Kind) -> StoreResult<u64>;
    /// Up to `limit` records of `kind` with ids above `after`, in id order.
    async fn export(&self, kind: Kind, after: Option<Id>, limit: u32) -> StoreResult<Vec<Record>>;
    /// Deletes every record, to replace a store's data with another's, and
    /// the outbox's events about the records it deletes. (A data move does
    /// not copy the outbox: the events belong to the store that committed
    /// them.)
    async fn clear(&self) -> StoreResult<()>;

    /// Writes records exported from another store, keeping their ids: the
    /// same write path as any other change.
    async fn import(&self, records: Vec<Record>) -> StoreResult<()> {
        let mut change = Change::new(Timestamp::now(), Actor::system());
        change.inserts = records;
        self.apply(change).await?.unguarded().map(drop)
    }
}
