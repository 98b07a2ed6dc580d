//! Documents as MongoDB keeps them: `_id`s are ObjectIds (our `Id`, byte for
//! byte), money is i64 cents, instants are BSON dates. An order embeds its
//! lines (the snapshot taken when it was placed) and its status history, and
//! refers to its customer and products by ObjectId. What happened after it
//! was placed (shipments, returns, refunds, notes) is embedded as one
//! `activity` document in the JSON shape the REST API shows.

use crate::domain::{
    Actor, Address, Currency, Customer, FulfillmentStatus, Id, Money, OrderStatus, PaymentStatus,
    Product, StatusEntry, StockMovement, StockReason, Timestamp, DEFAULT_LOW_STOCK_THRESHOLD,
};
use crate::server::store::records::{OrderActivity, StoredOrder};
use crate::server::store::{IdempotencyKey, LineDraft, OutboxEvent};
use bson::oid::ObjectId;
use bson::DateTime;
use serde::{Deserialize, Serialize};

pub fn oid(id: Id) -> ObjectId {
    ObjectId::from_bytes(id.bytes())
}

pub fn id(oid: ObjectId) -> Id {
    Id::from_bytes(oid.bytes())
}

pub fn date(at: Timestamp) -> DateTime {
    DateTime::from_millis(at.millis())
}

pub fn timestamp(date: DateTime) -> Timestamp {
    Timestamp::from_millis(date.timestamp_millis())
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub created_at: DateTime,
}

impl From<&Customer> for CustomerDoc {
    fn from(c: &Customer) -> Self {
        CustomerDoc {
            id: oid(c.id),
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            created_at: date(c.created_at),
        }
    }
}

impl From<CustomerDoc> for Customer {
    fn from(d: CustomerDoc) -> Self {
        Customer {
            id: id(d.id),
            name: d.name,
            email: d.email,
            phone: d.phone,
            created_at: timestamp(d.created_at),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub name: String,
    pub sku: String,
    pub stock: i64,
    pub price: i64,
    /// Absent on products from before thresholds existed.
    #[serde(default = "default_threshold")]
    pub low_stock_threshold: i64,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

fn default_threshold() -> i64 {
    DEFAULT_LOW_STOCK_THRESHOLD
}

impl From<&Product> for ProductDoc {
    fn from(p: &Product) -> Self {
        ProductDoc {
            id: oid(p.id),
            name: p.name.clone(),
            sku: p.sku.clone(),
            stock: p.stock,
            price: p.price.cents(),
            low_stock_threshold: p.low_stock_threshold,
            created_at: date(p.created_at),
            updated_at: date(p.updated_at),
        }
    }
}

impl From<ProductDoc> for Product {
    fn from(d: ProductDoc) -> Self {
        Product {
            id: id(d.id),
            name: d.name,
            sku: d.sku,
            stock: d.stock,
            price: Money::from_cents(d.price),
            currency: Currency::shop(),
            low_stock_threshold: d.low_stock_threshold,
            created_at: timestamp(d.created_at),
            updated_at: timestamp(d.updated_at),
        }
    }
}

/// An order as stored, before its customer and products are populated.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub number: String,
    pub customer: ObjectId,
    pub items: Vec<LineDoc>,
    pub total: i64,
    pub payment_received: bool,
    pub status: OrderStatus,
    pub status_history: Vec<StatusDoc>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    /// Absent on orders from before versions existed: version 0.
    #[serde(default)]
    pub version: i64,
    /// Absent without a key, so the partial unique index skips the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_fingerprint: Option<String>,
    /// SHA-256 of the order's tracking token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    /// Absent on orders from before currencies: the shop's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Shipments, returns, refunds, notes and command keys.
    #[serde(default)]
    pub activity: OrderActivity,
    /// Derived, kept for filters and sums; absent on orders from before
    /// (the store fills them in at start).
    #[serde(default)]
    pub refunded_total: i64,
    #[serde(default)]
    pub payment_status: PaymentStatus,
    #[serde(default)]
    pub fulfillment_status: FulfillmentStatus,
}

/// An order line: the product's name, SKU and price when the order was placed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineDoc {
    pub product: ObjectId,
    pub name: String,
    pub sku: String,
    pub unit_price: i64,
    pub quantity: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatusDoc {
    pub status: OrderStatus,
    pub at: DateTime,
    pub actor: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl From<StatusEntry> for StatusDoc {
    fn from(e: StatusEntry) -> Self {
        StatusDoc {
            status: e.status,
            at: date(e.at),
            actor: e.actor,
            reason: e.reason,
        }
    }
}

impl From<StatusDoc> for StatusEntry {
    fn from(d: StatusDoc) -> Self {
        StatusEntry {
            status: d.status,
            at: timestamp(d.at),
            actor: d.actor,
            reason: d.reason,
        }
    }
}

impl From<&StoredOrder> for OrderDoc {
    fn from(o: &StoredOrder) -> Self {
        OrderDoc {
            id: oid(o.id),
            number: o.number.clone(),
            customer: oid(o.customer),
            items: o
                .lines
                .iter()
                .map(|l| LineDoc {
                    product: oid(l.product),
                    name: l.name.clone(),
                    sku: l.sku.clone(),
                    unit_price: l.unit_price.cents(),
                    quantity: l.quantity,
                })
                .collect(),
            total: o.total.cents(),
            payment_received: o.payment_received,
            status: o.status,
            status_history: o.history.iter().cloned().map(StatusDoc::from).collect(),
            created_at: date(o.created_at),
            updated_at: date(o.updated_at),
            version: o.version as i64,
            idempotency_key: o.idempotency.as_ref().map(|i| i.key.clone()),
            request_fingerprint: o.idempotency.as_ref().map(|i| i.fingerprint.clone()),
            tracking_hash: o.tracking_hash.clone(),
            shipping_address: o.shipping_address.clone(),
            currency: Some(o.currency),
            activity: o.activity.clone(),
            refunded_total: o.refunded_total.cents(),
            payment_status: o.payment_status,
            fulfillment_status: o.fulfillment_status,
        }
    }
}

impl From<OrderDoc> for StoredOrder {
    fn from(d: OrderDoc) -> Self {
        StoredOrder {
            id: id(d.id),
            number: d.number,
            customer: id(d.customer),
            lines: d
                .items
                .into_iter()
                .map(|l| LineDraft {
                    product: id(l.product),
                    name: l.name,
                    sku: l.sku,
                    unit_price: Money::from_cents(l.unit_price),
                    quantity: l.quantity,
                })
                .collect(),
            total: Money::from_cents(d.total),
            payment_received: d.payment_received,
            status: d.status,
            history: d.status_history.into_iter().map(Into::into).collect(),
            created_at: timestamp(d.created_at),
            updated_at: timestamp(d.updated_at),
            version: d.version.max(0) as u64,
            idempotency: d.idempotency_key.map(|key| IdempotencyKey {
                key,
                fingerprint: d.request_fingerprint.unwrap_or_default(),
            }),
            tracking_hash: d.tracking_hash,
            shipping_address: d.shipping_address,
            currency: d.currency.unwrap_or_else(Currency::shop),
            activity: d.activity,
            refunded_total: Money::from_cents(d.refunded_total),
            payment_status: d.payment_status,
            fulfillment_status: d.fulfillment_status,
        }
    }
}

/// One movement of the stock ledger.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MovementDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub product: ObjectId,
    pub sku: String,
    pub delta: i64,
    pub stock_after: i64,
    pub reason: StockReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<ObjectId>,
    pub actor: Actor,
    pub at: DateTime,
}

impl From<&StockMovement> for MovementDoc {
    fn from(m: &StockMovement) -> Self {
        MovementDoc {
            id: oid(m.id),
            product: oid(m.product),
            sku: m.sku.clone(),
            delta: m.delta,
            stock_after: m.stock_after,
            reason: m.reason,
            order: m.order.map(oid),
            actor: m.actor.clone(),
            at: date(m.at),
        }
    }
}

impl From<MovementDoc> for StockMovement {
    fn from(d: MovementDoc) -> Self {
        StockMovement {
            id: id(d.id),
            product: id(d.product),
            sku: d.sku,
            delta: d.delta,
            stock_after: d.stock_after,
            reason: d.reason,
            order: d.order.map(id),
            actor: d.actor,
            at: timestamp(d.at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_object_ids_byte_for_byte() {
        let ours: Id = "6745f0a1c2d3e4f5a6b7c8d9".parse().unwrap();
        assert_eq!(oid(ours).to_hex(), "6745f0a1c2d3e4f5a6b7c8d9");
        assert_eq!(id(oid(ours)), ours);
    }
}

/// One event of the outbox, as the change that announced it wrote it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxDoc {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: DateTime,
    pub body: String,
}

impl From<&OutboxEvent> for OutboxDoc {
    fn from(e: &OutboxEvent) -> Self {
        OutboxDoc {
            id: e.id.clone(),
            kind: e.kind.clone(),
            created_at: date(e.at),
            body: e.body.clone(),
        }
    }
}

impl From<OutboxDoc> for OutboxEvent {
    fn from(d: OutboxDoc) -> Self {
        OutboxEvent {
            id: d.id,
            kind: d.kind,
            at: timestamp(d.created_at),
            body: d.body,
        }
    }
}
