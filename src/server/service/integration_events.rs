//! What each change announces to integrations: the webhook event types
//! (`order.created`, `order.paid`, `order.fulfilled`, `order.cancelled`,
//! `order.shipment_created`, `order.return_created`, `order.refunded`,
//! `product.low_stock`), worked out here once for every command. The store
//! renders them from what the change left and writes them to the outbox in
//! the change's transaction, so each carries the order or product as the
//! REST API would answer at that commit.

use super::orders::{populated, with_products};
use crate::domain::{fallen_to_threshold, Customer, Id, Order, Product, StockMovement, Timestamp};
use crate::server::mail::{self, MailSettings};
use crate::server::store::records::StoredOrder;
use crate::server::store::{Announcements, OutboxEvent, StoreResult, MAIL_EVENT};
use serde::Serialize;
use std::ops::Range;
use std::sync::Arc;

/// A new order: `order.created`, low stock where it took the last units,
/// and (with email on) the customer's confirmation, which carries the
/// tracking token, and the staff's alert.
///
/// All of it is rendered here, before the write, from the products as they
/// were `priced`; the store's writer then only renders the products as the
/// order left them, in the places their earlier selves took.
pub fn order_placed(
    order: StoredOrder,
    customer: &Customer,
    priced: &[Product],
    at: Timestamp,
    mail: Option<(&MailSettings, &str)>,
) -> StoreResult<Announcements> {
    let placed = populated(order, customer, priced)?;
    let created = event("order.created", at, &placed)?;
    let created_body = ProductsInPlace::find(&created.body, priced)?;
    let mut emails = Vec::new();
    if let Some((settings, token)) = mail {
        for message in mail::order_placed(&placed, token, settings) {
            emails.push(event(MAIL_EVENT, at, &message)?);
        }
    }
    Ok(Announcements(Arc::new(move |products, movements| {
        let mut events = vec![OutboxEvent {
            body: created_body.as_left(&created.body, products)?,
            ..created.clone()
        }];
        events.extend(low_stock(products, movements, at)?);
        events.extend(emails.iter().cloned());
        Ok(events)
    })))
}

/// Where each product stands in an event's body. A product's JSON object
/// starts with its unique id and cannot occur inside a JSON string (its
/// quotes would be escaped there), so each place found is one the product
/// was rendered in.
struct ProductsInPlace(Vec<(Range<usize>, Id)>);

impl ProductsInPlace {
    fn find(body: &str, products: &[Product]) -> StoreResult<ProductsInPlace> {
        let mut places = Vec::new();
        for product in products {
            let text = json(product)?;
            places.extend(
                body.match_indices(&text)
                    .map(|(at, _)| (at..at + text.len(), product.id)),
            );
        }
        places.sort_by_key(|(place, _)| place.start);
        Ok(ProductsInPlace(places))
    }

    /// The body with each product as `products` has it (or as it was, if
    /// they do not have it).
    fn as_left(&self, body: &str, products: &[Product]) -> StoreResult<String> {
        let mut out = String::with_capacity(body.len() + 16 * self.0.len());
        let mut from = 0;
        for (place, id) in &self.0 {
            out.push_str(&body[from..place.start]);
            match products.iter().find(|p| p.id == *id) {
                Some(left) => out.push_str(&json(left)?),
                None => out.push_str(&body[place.clone()]),
            }
            from = place.end;
        }
        out.push_str(&body[from..]);
        Ok(out)
    }
}

/// A command on an order, from `before` to `after`: one event per thing
/// that happened, in the order it happened (a parcel before the
/// fulfilment it completes; a cancellation before its refund).
/// With email on, a parcel sent also tells the customer.
pub fn order_changed(
    before: &Order,
    after: Order,
    at: Timestamp,
    mail: Option<Arc<MailSettings>>,
) -> Announcements {
    use crate::domain::OrderStatus::{Cancelled, Fulfilled, Paid};
    let moved_to = |status| after.status == status && before.status != status;
    let kinds: Vec<&'static str> = [
        (moved_to(Paid), "order.paid"),
        (
            after.shipments.len() > before.shipments.len(),
            "order.shipment_created",
        ),
        (moved_to(Fulfilled), "order.fulfilled"),
        (
            after.returns.len() > before.returns.len(),
            "order.return_created",
        ),
        (moved_to(Cancelled), "order.cancelled"),
        (after.refunds.len() > before.refunds.len(), "order.refunded"),
    ]
    .into_iter()
    .filter_map(|(happened, kind)| happened.then_some(kind))
    .collect();
    let parcel_sent = after.shipments.len() > before.shipments.len();
    Announcements(Arc::new(move |products, movements| {
        let order = with_products(after.clone(), products);
        let mut events = kinds
            .iter()
            .map(|kind| event(kind, at, &order))
            .collect::<StoreResult<Vec<_>>>()?;
        events.extend(low_stock(products, movements, at)?);
        if let (Some(settings), true, Some(parcel)) = (&mail, parcel_sent, order.shipments.last()) {
            events.push(event(
                MAIL_EVENT,
                at,
                &mail::parcel_sent(&order, parcel, settings),
            )?);
        }
        Ok(events)
    }))
}

/// A product's stock or details changed: low stock, if it fell that far.
pub fn stock_changed(at: Timestamp) -> Announcements {
    Announcements(Arc::new(move |products, movements| {
        low_stock(products, movements, at)
    }))
}

/// `product.low_stock` for each product a movement took to its threshold.
fn low_stock(
    products: &[Product],
    movements: &[StockMovement],
    at: Timestamp,
) -> StoreResult<Vec<OutboxEvent>> {
    fallen_to_threshold(products, movements)
        .map(|p| event("product.low_stock", at, p))
        .collect()
}

/// The body a receiver gets: `{"id", "type", "createdAt", "data"}` (an
/// email's `data` is its message).
fn event(kind: &str, at: Timestamp, data: &impl Serialize) -> StoreResult<OutboxEvent> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body<'a, T> {
        id: &'a str,
        #[serde(rename = "type")]
        kind: &'a str,
        created_at: Timestamp,
        data: &'a T,
    }
    let id = format!("evt_{}", Id::generate());
    let body = json(&Body {
        id: &id,
        kind,
        created_at: at,
        data,
    })?;
    Ok(OutboxEvent {
        id,
        kind: kind.to_string(),
        at,
        body,
    })
}

fn json(value: &impl Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| {
        tracing::error!(error = %e, "an event did not serialize");
        crate::domain::AppError::Internal
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, Money};

    fn product(name: &str, stock: i64) -> Product {
        Product {
            id: Id::generate(),
            name: name.into(),
            sku: "LAMP".into(),
            stock,
            price: Money::from_cents(3000),
            currency: Currency::shop(),
            low_stock_threshold: 5,
            created_at: Timestamp::from_millis(1),
            updated_at: Timestamp::from_millis(2),
        }
    }

    #[test]
    fn a_body_with_products_as_left_is_the_body_rendered_with_them() {
        #[derive(Serialize)]
        struct Body<'a> {
            note: String,
            lines: Vec<&'a Product>,
        }
        // A name that quotes the product's own JSON cannot be mistaken for it.
        let lamp = product("Lamp \"quoted\" </title>", 10);
        let chair = product("Chair", 4);
        let note = json(&lamp).unwrap();
        let as_read = json(&Body {
            note: note.clone(),
            lines: vec![&lamp, &chair, &lamp],
        })
        .unwrap();
        let places = ProductsInPlace::find(&as_read, &[lamp.clone(), chair.clone()]).unwrap();
        let lamp_left = Product {
            stock: 7,
            updated_at: Timestamp::from_millis(99),
            ..lamp.clone()
        };
        assert_eq!(
            places
                .as_left(&as_read, std::slice::from_ref(&lamp_left))
                .unwrap(),
            json(&Body {
                note,
                lines: vec![&lamp_left, &chair, &lamp_left],
            })
            .unwrap()
        );
    }
}
