//! Every record exactly as a store keeps it, for moving a shop's data from
//! one store to another (`igniflo migrate`): orders with their customer and
//! products by id, their snapshot lines, history and idempotency key. Each
//! store reads and writes these in id order, a batch at a time, so a move
//! needs no more memory for a million orders than for a hundred.

use super::{IdempotencyKey, LineDraft, OrderDraft, Store, StoreResult};
use crate::domain::{Customer, Id, Money, OrderStatus, Product, StatusEntry, Timestamp};
use async_trait::async_trait;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Customers,
    Products,
    Orders,
}

impl Kind {
    /// In the order a move copies them: what orders refer to comes first.
    pub const ALL: [Kind; 3] = [Kind::Customers, Kind::Products, Kind::Orders];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Products => "products",
            Kind::Orders => "orders",
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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub idempotency: Option<IdempotencyKey>,
    /// SHA-256 of the order's tracking token (orders placed before tracking
    /// tokens existed have none).
    pub tracking_hash: Option<String>,
}

impl StoredOrder {
    /// A new PENDING order as the service drafted it, its first status
    /// entry recording who placed it.
    pub fn placed(draft: OrderDraft) -> StoredOrder {
        StoredOrder {
            id: draft.id,
            number: draft.number,
            customer: draft.customer.id,
            lines: draft.lines,
            total: draft.total,
            payment_received: draft.payment_received,
            status: OrderStatus::Pending,
            history: vec![StatusEntry {
                status: OrderStatus::Pending,
                at: draft.placed_at,
                actor: draft.placed_by,
            }],
            created_at: draft.placed_at,
            updated_at: draft.placed_at,
            idempotency: draft.idempotency,
            tracking_hash: Some(draft.tracking_hash),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Record {
    Customer(Customer),
    Product(Product),
    Order(StoredOrder),
}

impl Record {
    pub fn id(&self) -> Id {
        match self {
            Record::Customer(c) => c.id,
            Record::Product(p) => p.id,
            Record::Order(o) => o.id,
        }
    }
}

/// A store whose records can be copied out and in whole.
#[async_trait]
pub trait Records: Store {
    async fn count(&self, kind: Kind) -> StoreResult<u64>;
    /// Up to `limit` records of `kind` with ids above `after`, in id order.
    async fn export(&self, kind: Kind, after: Option<Id>, limit: u32) -> StoreResult<Vec<Record>>;
    /// Writes records exported from another store, keeping their ids.
    async fn import(&self, records: Vec<Record>) -> StoreResult<()>;
    /// Deletes every record, to replace a store's data with another's.
    async fn clear(&self) -> StoreResult<()>;
}
