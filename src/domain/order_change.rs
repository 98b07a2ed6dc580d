//! An order's derived figures — payment and fulfillment status, quantities
//! shipped and returned, what can still be refunded, the timeline — worked
//! out in one place whenever an order is read or changed, in the server and
//! the browser alike; and what a command decides (`OrderChange`), which
//! `order_commands` computes.

use super::fulfillment::ParcelItem;
use super::{
    Actor, FulfillmentStatus, Id, Money, Order, OrderStatus, PaymentStatus, StockReason,
    TimelineEntry, TimelineKind, Timestamp,
};

/// One product's stock moving because of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockMove {
    pub product: Id,
    pub sku: String,
    pub delta: i64,
    pub reason: StockReason,
}

/// A command's decision: the order as it becomes and the stock it moves.
#[derive(Clone, Debug)]
pub struct OrderChange {
    pub order: Order,
    pub stock: Vec<StockMove>,
}

impl Order {
    /// Works out every derived figure from what the order records. Orders
    /// FULFILLED before shipments were recorded count as wholly shipped.
    pub fn settle(mut self) -> Order {
        let shipped_before_shipments =
            self.status == OrderStatus::Fulfilled && self.shipments.is_empty();
        // Parcels and returns count units of a product; an order with that
        // product on two lines fills the first line before the next.
        let mut shipped = units_per_product(self.shipments.iter().flat_map(|s| &s.items));
        let mut returned = units_per_product(self.returns.iter().flat_map(|r| &r.items));
        for line in &mut self.items {
            line.shipped_quantity = if shipped_before_shipments {
                line.quantity
            } else {
                take(&mut shipped, line.product.id, line.quantity)
            };
            line.returned_quantity = take(&mut returned, line.product.id, line.shipped_quantity);
        }
        self.refunded_total = self.refunds.iter().fold(Money::default(), |sum, r| {
            sum.checked_add(r.amount).unwrap_or(sum)
        });
        self.payment_status =
            PaymentStatus::of(self.payment_received, self.refunded_total, self.total);
        self.fulfillment_status =
            FulfillmentStatus::of(self.items.iter().map(|l| (l.shipped_quantity, l.quantity)));
        self.timeline = self.timeline_entries();
        self
    }

    /// The order as its customer (a tracking-token holder) sees it: contact
    /// details masked, so a leaked tracking link does not leak them whole;
    /// staff's reasons, return notes and internal notes left out, and
    /// staff's names: to the customer, whoever of the shop it was is "the
    /// shop".
    pub fn for_customer(mut self) -> Order {
        self.customer.email = super::model::mask_email(&self.customer.email);
        self.customer.phone = super::model::mask_phone(&self.customer.phone);
        for entry in &mut self.status_history {
            entry.reason = None;
            entry.actor = entry.actor.as_seen_by_customer();
        }
        for s in &mut self.shipments {
            s.actor = s.actor.as_seen_by_customer();
        }
        for r in &mut self.returns {
            r.note = None;
            r.actor = r.actor.as_seen_by_customer();
        }
        for r in &mut self.refunds {
            r.reason = None;
            r.actor = r.actor.as_seen_by_customer();
        }
        self.notes.retain(|n| n.visible_to_customer);
        for n in &mut self.notes {
            n.actor = n.actor.as_seen_by_customer();
        }
        self.settle()
    }

    /// How much money can still go back: what was paid less what was refunded.
    pub fn refundable(&self) -> Money {
        if !self.payment_received {
            return Money::default();
        }
        Money::from_cents((self.total.cents() - self.refunded_total.cents()).max(0))
    }

    /// Whether anything is left to ship.
    pub fn has_unshipped(&self) -> bool {
        self.items.iter().any(|l| l.shipped_quantity < l.quantity)
    }

    /// Whether anything shipped has not come back yet.
    pub fn has_returnable(&self) -> bool {
        self.items
            .iter()
            .any(|l| l.returned_quantity < l.shipped_quantity)
    }
}

impl Order {
    /// Every recorded event in time order, each in a sentence.
    fn timeline_entries(&self) -> Vec<TimelineEntry> {
        let money = |m: Money| self.currency.format(m);
        let units = |items: &[ParcelItem]| {
            items
                .iter()
                .map(|i| format!("{} × {}", i.quantity, i.sku))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut entries: Vec<TimelineEntry> = Vec::new();
        for s in &self.status_history {
            let mut summary = s.status.label().to_string();
            if let Some(reason) = &s.reason {
                summary.push_str(&format!(". Reason: {reason}"));
            }
            entries.push(TimelineEntry {
                at: s.at,
                actor: s.actor.clone(),
                kind: TimelineKind::Status,
                id: None,
                status: Some(s.status),
                summary,
            });
        }
        for s in &self.shipments {
            let mut summary = format!("Shipped {}", units(&s.items));
            match (&s.carrier, &s.tracking_number) {
                (Some(c), Some(t)) => summary.push_str(&format!(" with {c}, tracking {t}")),
                (Some(c), None) => summary.push_str(&format!(" with {c}")),
                (None, Some(t)) => summary.push_str(&format!(", tracking {t}")),
                (None, None) => {}
            }
            entries.push(entry(
                s.at,
                s.actor.clone(),
                TimelineKind::Shipment,
                s.id,
                summary,
            ));
        }
        for r in &self.returns {
            let mut summary = format!("Returned {}: {}", units(&r.items), r.reason.label());
            summary.push_str(if r.restock {
                ", back in stock"
            } else {
                ", not restocked"
            });
            if let Some(note) = &r.note {
                summary.push_str(&format!(". Note: {note}"));
            }
            entries.push(entry(
                r.at,
                r.actor.clone(),
                TimelineKind::Return,
                r.id,
                summary,
            ));
        }
        for r in &self.refunds {
            let mut summary = format!("Refunded {}", money(r.amount));
            if let Some(reason) = &r.reason {
                summary.push_str(&format!(". Reason: {reason}"));
            }
            entries.push(entry(
                r.at,
                r.actor.clone(),
                TimelineKind::Refund,
                r.id,
                summary,
            ));
        }
        for n in &self.notes {
            entries.push(entry(
                n.at,
                n.actor.clone(),
                TimelineKind::Note,
                n.id,
                n.text.clone(),
            ));
        }
        // Instants are milliseconds, so two events may share one. Then what
        // must come first does: an order is placed and paid before anything
        // ships or is refunded, and it is fulfilled or cancelled by (or
        // after) the parcel or refund of the same moment. Otherwise the sort
        // is stable: parcels, returns, refunds, notes, each in its own order.
        let rank = |e: &TimelineEntry| match (e.kind, e.status) {
            (TimelineKind::Status, Some(OrderStatus::Pending | OrderStatus::Paid)) => 0,
            (TimelineKind::Status, _) => 2,
            _ => 1,
        };
        entries.sort_by_key(|e| (e.at, rank(e)));
        entries
    }
}

fn entry(
    at: Timestamp,
    actor: Actor,
    kind: TimelineKind,
    id: Id,
    summary: String,
) -> TimelineEntry {
    TimelineEntry {
        at,
        actor,
        kind,
        id: Some(id),
        status: None,
        summary,
    }
}

/// Units per product over these parcel items.
fn units_per_product<'a>(items: impl Iterator<Item = &'a ParcelItem>) -> Vec<(Id, i64)> {
    let mut units: Vec<(Id, i64)> = Vec::new();
    for item in items {
        match units.iter_mut().find(|(p, _)| *p == item.product) {
            Some((_, n)) => *n += item.quantity,
            None => units.push((item.product, item.quantity)),
        }
    }
    units
}

/// Takes up to `most` of `product`'s units from `units`.
fn take(units: &mut [(Id, i64)], product: Id, most: i64) -> i64 {
    match units.iter_mut().find(|(p, _)| *p == product) {
        Some((_, n)) => {
            let taken = (*n).min(most);
            *n -= taken;
            taken
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Customer, OrderLine, Product, Shipment, StatusEntry};

    /// A paid order whose payment, first parcel, last parcel and the move
    /// to FULFILLED all fall in one millisecond.
    #[test]
    fn the_timeline_keeps_cause_before_effect_within_one_millisecond() {
        let at = Timestamp::from_millis(1_700_000_000_000);
        let id = Id::from_bytes([1; 12]);
        let product = Product {
            id,
            name: "Mug".into(),
            sku: "MUG".into(),
            stock: 1,
            price: Money::from_cents(100),
            currency: Default::default(),
            low_stock_threshold: 5,
            created_at: at,
            updated_at: at,
        };
        let status = |status| StatusEntry {
            status,
            at,
            actor: Actor::system(),
            reason: None,
        };
        let parcel = |n: u8| Shipment {
            id: Id::from_bytes([n; 12]),
            items: vec![ParcelItem {
                product: id,
                sku: "MUG".into(),
                quantity: 1,
            }],
            carrier: None,
            tracking_number: None,
            tracking_url: None,
            at,
            actor: Actor::system(),
        };
        let order = Order {
            id,
            number: "N".into(),
            customer: Customer {
                id,
                name: "Ada".into(),
                email: "ada@example.com".into(),
                phone: "5551234567".into(),
                created_at: at,
            },
            shipping_address: None,
            items: vec![OrderLine {
                product,
                name: "Mug".into(),
                sku: "MUG".into(),
                unit_price: Money::from_cents(100),
                quantity: 2,
                line_total: Money::from_cents(200),
                shipped_quantity: 0,
                returned_quantity: 0,
            }],
            total: Money::from_cents(200),
            currency: Default::default(),
            payment_received: true,
            refunded_total: Money::default(),
            payment_status: PaymentStatus::Paid,
            fulfillment_status: FulfillmentStatus::Unfulfilled,
            status: OrderStatus::Fulfilled,
            status_history: vec![
                status(OrderStatus::Pending),
                status(OrderStatus::Paid),
                status(OrderStatus::Fulfilled),
            ],
            shipments: vec![parcel(2), parcel(3)],
            returns: Vec::new(),
            refunds: Vec::new(),
            notes: Vec::new(),
            timeline: Vec::new(),
            created_at: at,
            updated_at: at,
            version: 4,
            command_keys: Vec::new(),
        }
        .settle();
        let kinds: Vec<_> = order.timeline.iter().map(|e| (e.kind, e.status)).collect();
        assert_eq!(
            kinds,
            [
                (TimelineKind::Status, Some(OrderStatus::Pending)),
                (TimelineKind::Status, Some(OrderStatus::Paid)),
                (TimelineKind::Shipment, None),
                (TimelineKind::Shipment, None),
                (TimelineKind::Status, Some(OrderStatus::Fulfilled)),
            ]
        );
        assert_eq!(order.fulfillment_status, FulfillmentStatus::Fulfilled);
        assert_eq!(order.items[0].shipped_quantity, 2);
    }
}
