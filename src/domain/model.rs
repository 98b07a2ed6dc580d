//! The records Igniflo keeps and the inputs that create or change them, in
//! the JSON shapes of the seed's REST contract (`_id`, camelCase).

use super::{
    Actor, Address, CommandKey, Currency, FulfillmentStatus, Id, Money, Note, OrderStatus,
    PaymentStatus, Refund, Return, Shipment, TimelineEntry, Timestamp,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[serde(rename = "_id")]
    pub id: Id,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Product {
    #[serde(rename = "_id")]
    pub id: Id,
    pub name: String,
    pub sku: String,
    pub stock: i64,
    pub price: Money,
    /// The shop's currency, which `price` is in.
    #[serde(default)]
    pub currency: Currency,
    /// At or below this many units the product is low on stock: the
    /// dashboard lists it, and admins hear once when stock falls to it.
    pub low_stock_threshold: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Product {
    pub fn is_low_on_stock(&self) -> bool {
        self.stock <= self.low_stock_threshold
    }
}

/// An order as every reader sees it: the customer and each line's product
/// populated (as Mongoose's `populate` did in the seed), plus the snapshot of
/// name, SKU and unit price taken when the order was placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Order {
    #[serde(rename = "_id")]
    pub id: Id,
    /// Short number a customer can quote, e.g. `7KQ2M-9XD4P`.
    pub number: String,
    pub customer: Customer,
    /// Where it goes; orders placed through the REST API may have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    pub items: Vec<OrderLine>,
    pub total: Money,
    /// What `total` and every amount of the order are in: the shop's
    /// currency when it was placed.
    #[serde(default)]
    pub currency: Currency,
    pub payment_received: bool,
    /// Sum of `refunds`.
    #[serde(default)]
    pub refunded_total: Money,
    /// `UNPAID` until payment is received, then `PAID`, `PARTIALLY_REFUNDED`
    /// or `REFUNDED` by what went back.
    #[serde(default)]
    pub payment_status: PaymentStatus,
    /// By how much of every line has shipped.
    #[serde(default)]
    pub fulfillment_status: FulfillmentStatus,
    pub status: OrderStatus,
    pub status_history: Vec<StatusEntry>,
    #[serde(default)]
    pub shipments: Vec<Shipment>,
    #[serde(default)]
    pub returns: Vec<Return>,
    #[serde(default)]
    pub refunds: Vec<Refund>,
    #[serde(default)]
    pub notes: Vec<Note>,
    /// Status moves, shipments, returns, refunds and notes, oldest first.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Counts the order's changes: a change is written only over the version
    /// it was decided on (compare-and-set), so racing changes are re-judged.
    pub version: u64,
    /// Retry keys of the shipments, returns and refunds recorded on it.
    /// Kept with the order, never sent.
    #[serde(skip)]
    pub command_keys: Vec<CommandKey>,
}

/// `ada@example.com` → `a••@example.com`.
pub(super) fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}••@{domain}")
        }
        None => "••".into(),
    }
}

/// `+44 20 7946 0958` → `••• 58`: the last two digits only.
pub(super) fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("••• {tail}")
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub product: Product,
    pub name: String,
    pub sku: String,
    pub unit_price: Money,
    pub quantity: i64,
    pub line_total: Money,
    /// Units that left in shipments.
    #[serde(default)]
    pub shipped_quantity: i64,
    /// Units that came back in returns.
    #[serde(default)]
    pub returned_quantity: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusEntry {
    pub status: OrderStatus,
    pub at: Timestamp,
    pub actor: Actor,
    /// Why, when staff said (e.g. a cancellation's reason). Staff only: the
    /// customer's view of the order leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What placing an order returns to the one who placed it: the order and,
/// once, the token that lets them track it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlacedOrder {
    #[serde(flatten)]
    pub order: Order,
    /// 128 random bits in hex. Only its hash is kept: store it now.
    pub tracking_token: String,
}

/// A new product's low-stock threshold unless one is given.
pub const DEFAULT_LOW_STOCK_THRESHOLD: i64 = 5;

/// The admin dashboard's figures. Revenue is money received and kept:
/// orders PAID or FULFILLED less their refunds, by the day they were placed; PENDING orders' money is
/// awaiting payment, apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub orders_today: u64,
    pub revenue_today: Money,
    pub revenue_last_7_days: Money,
    /// PAID, waiting to be fulfilled.
    pub awaiting_fulfilment: u64,
    /// PENDING, waiting for payment.
    pub awaiting_payment: u64,
    /// What the PENDING orders of the last 30 days add up to.
    pub awaiting_payment_total: Money,
    pub low_stock: Vec<Product>,
    /// The last 30 UTC days, oldest first, today last; days without orders included.
    pub days: Vec<DayTotal>,
    /// Every order ever, per status.
    pub by_status: Vec<(OrderStatus, u64)>,
    /// What the amounts are in.
    pub currency: Currency,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayTotal {
    /// When the day begins in the shop's time zone.
    pub day: Timestamp,
    pub orders: u64,
    pub revenue: Money,
}

/// One message of the live feed (`/ws`), as the browser reads it: the
/// server's hub events in their JSON form, `{"event": …, "data": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "kebab-case")]
pub enum LiveMessage {
    OrderUpdated(Box<Order>),
    ProductUpdated(Product),
    /// A product's stock fell to its low-stock threshold or below (admins only).
    LowStock(Product),
    /// Events were missed: refetch what is shown.
    Resync,
}

/// Read with the event's name first, as the server writes it. (Serde's own
/// reading of a tagged message also takes the data before the name, by
/// buffering it: that path alone built the browser a second copy of every
/// order and product deserializer.)
impl<'de> Deserialize<'de> for LiveMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IgnoredAny, MapAccess, Visitor};
        struct Message;
        impl<'de> Visitor<'de> for Message {
            type Value = LiveMessage;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a live message: {\"event\": …, \"data\": …}")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<LiveMessage, M::Error> {
                if map.next_key::<String>()?.as_deref() != Some("event") {
                    return Err(M::Error::custom("a live message starts with its event"));
                }
                let event: String = map.next_value()?;
                let mut data = || -> Result<(), M::Error> {
                    match map.next_key::<String>()?.as_deref() {
                        Some("data") => Ok(()),
                        _ => Err(M::Error::missing_field("data")),
                    }
                };
                let message = match event.as_str() {
                    "order-updated" => {
                        data()?;
                        LiveMessage::OrderUpdated(map.next_value()?)
                    }
                    "product-updated" => {
                        data()?;
                        LiveMessage::ProductUpdated(map.next_value()?)
                    }
                    "low-stock" => {
                        data()?;
                        LiveMessage::LowStock(map.next_value()?)
                    }
                    "resync" => LiveMessage::Resync,
                    other => {
                        return Err(M::Error::unknown_variant(
                            other,
                            &["order-updated", "product-updated", "low-stock", "resync"],
                        ))
                    }
                };
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(message)
            }
        }
        deserializer.deserialize_map(Message)
    }
}

// ---- inputs ----------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCustomer {
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewProduct {
    pub name: String,
    pub sku: String,
    pub stock: i64,
    pub price: Money,
    /// Default 5.
    #[serde(default)]
    pub low_stock_threshold: Option<i64>,
}

/// Changes to a product; absent fields stay as they are. `stock` sets the
/// level outright (a stock count); `stockAdjustment` adds or removes units
/// relative to whatever the level is when the change lands, so it cannot
/// lose a concurrent order's take.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub price: Option<Money>,
    #[serde(default)]
    pub stock: Option<i64>,
    #[serde(default)]
    pub stock_adjustment: Option<i64>,
    #[serde(default)]
    pub low_stock_threshold: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrder {
    pub customer: Id,
    pub items: Vec<NewOrderLine>,
    /// Where the order goes.
    #[serde(default)]
    pub shipping_address: Option<Address>,
    #[serde(default)]
    pub payment_received: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrderLine {
    /// A product id or a SKU.
    pub product: String,
    pub quantity: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Login {
    /// A staff member's email; the first owner's is `admin`, also accepted
    /// as `username`.
    #[serde(alias = "username")]
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusUpdate {
    pub status: OrderStatus,
    /// Recorded in the order's status history; at most 500 characters.
    #[serde(default)]
    pub reason: Option<String>,
}

impl From<OrderStatus> for StatusUpdate {
    fn from(status: OrderStatus) -> Self {
        StatusUpdate {
            status,
            reason: None,
        }
    }
}

/// What the order list is narrowed to; every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub payment_status: Option<PaymentStatus>,
    pub fulfillment_status: Option<FulfillmentStatus>,
    /// Matches the order number exactly (case-insensitive) or a substring of
    /// the customer's name or email.
    pub q: Option<String>,
    pub customer: Option<Id>,
    /// Placed at or after this instant.
    pub from: Option<Timestamp>,
    /// Placed before this instant.
    pub to: Option<Timestamp>,
    /// Oldest first (the packing bench works that way); the page cursor
    /// then leads to newer orders. Newest first otherwise.
    #[serde(default)]
    pub oldest_first: bool,
}

impl OrderFilter {
    /// Whether `order` belongs in a list with this filter: the same rules as
    /// the stores' queries, so a live list can place an arriving order.
    pub fn matches(&self, order: &Order) -> bool {
        let q_matches = match self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            None => true,
            Some(q) => {
                let q = q.to_lowercase();
                order.number.eq_ignore_ascii_case(&q)
                    || order.customer.name.to_lowercase().contains(&q)
                    || order.customer.email.to_lowercase().contains(&q)
            }
        };
        q_matches
            && self.status.is_none_or(|s| s == order.status)
            && self
                .payment_status
                .is_none_or(|s| s == order.payment_status)
            && self
                .fulfillment_status
                .is_none_or(|s| s == order.fulfillment_status)
            && self.customer.is_none_or(|c| c == order.customer.id)
            && self.from.is_none_or(|from| order.created_at >= from)
            && self.to.is_none_or(|to| order.created_at < to)
    }
}

/// One page of a list: newest first, strictly older than `before` (an
/// order list sorted oldest first: strictly newer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub before: Option<Id>,
}

impl Page {
    pub const MAX_LIMIT: u32 = 200;
    pub const DEFAULT_LIMIT: u32 = 50;
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: Page::DEFAULT_LIMIT,
            before: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_see_their_contact_details_masked() {
        assert_eq!(mask_email("ada@example.com"), "a••@example.com");
        assert_eq!(mask_phone("+44 20 7946 0958"), "••• 58");
        assert_eq!(mask_phone("5"), "••• 5");
    }

    #[test]
    fn live_messages_read_back_as_written() {
        let at = Timestamp::from_millis(1_700_000_000_000);
        let product = Product {
            id: Id::from_bytes([7; 12]),
            name: "Mug".into(),
            sku: "MUG".into(),
            stock: 3,
            price: Money::from_cents(1250),
            currency: Default::default(),
            low_stock_threshold: 5,
            created_at: at,
            updated_at: at,
        };
        for message in [
            LiveMessage::ProductUpdated(product.clone()),
            LiveMessage::LowStock(product.clone()),
            LiveMessage::Resync,
        ] {
            let json = serde_json::to_string(&message).unwrap();
            assert!(json.starts_with(r#"{"event":"#), "{json}");
            assert_eq!(serde_json::from_str::<LiveMessage>(&json).unwrap(), message);
        }
        let data = serde_json::to_string(&product).unwrap();
        for refused in [
            format!(r#"{{"data":{data},"event":"product-updated"}}"#),
            format!(r#"{{"event":"product-gone","data":{data}}}"#),
            r#"{"event":"low-stock"}"#.to_string(),
            r#"["resync"]"#.to_string(),
        ] {
            assert!(
                serde_json::from_str::<LiveMessage>(&refused).is_err(),
                "{refused}"
            );
        }
    }
}
