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
    /// staff's reasons, return notes and internal notes left out.
    pub fn for_customer(mut self) -> Order {
        self.customer.email = super::model::mask_email(&self.customer.email);
        self.customer.phone = super::model::mask_phone(&self.customer.phone);
        for entry in &mut self.status_history {
            entry.reason = None;
        }
        for r in &mut self.returns {
            r.note = None;
        }
        for r in &mut self.refunds {
            r.reason = None;
        }
        self.notes.retain(|n| n.visible_to_customer);
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
                actor: s.actor,
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
            entries.push(entry(s.at, s.actor, TimelineKind::Shipment, s.id, summary));
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
            entries.push(entry(r.at, r.actor, TimelineKind::Return, r.id, summary));
        }
        for r in &self.refunds {
            let mut summary = format!("Refunded {}", money(r.amount));
            if let Some(reason) = &r.reason {
                summary.push_str(&format!(". Reason: {reason}"));
            }
            entries.push(entry(r.at, r.actor, TimelineKind::Refund, r.id, summary));
        }
        for n in &self.notes {
            entries.push(entry(
                n.at,
                n.actor,
                TimelineKind::Note,
                n.id,
                n.text.clone(),
            ));
        }
        // Stable: a status move caused by a shipment comes after it.
        entries.sort_by_key(|e| {
            (
                e.at,
                e.kind == TimelineKind::Status && e.status != Some(OrderStatus::Pending),
            )
        });
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
