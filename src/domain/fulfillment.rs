//! What happens to an order after payment: where it goes (its delivery
//! address), the parcels that left (shipments), what came back (returns),
//! the money that went back (refunds), staff notes, and the timeline that
//! puts them in one list. The inputs that create them are here too.

use super::{Actor, Id, Money, OrderStatus, Timestamp};
use serde::{Deserialize, Serialize};

/// Where an order goes: a snapshot taken when it is placed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    pub country: String,
}

impl Address {
    /// The address as a label prints it, one line per line.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.name.clone(), self.line1.clone()];
        lines.extend(self.line2.clone());
        let city = match &self.region {
            Some(region) => format!("{} {}, {region}", self.postal_code, self.city),
            None => format!("{} {}", self.postal_code, self.city),
        };
        lines.push(city);
        lines.push(
            super::countries::name(&self.country)
                .unwrap_or(&self.country)
                .to_string(),
        );
        lines
    }
}

/// Some units of one of the order's lines, in a parcel or a return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParcelItem {
    pub product: Id,
    pub sku: String,
    pub quantity: i64,
}

/// A parcel that left the building.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    #[serde(rename = "_id")]
    pub id: Id,
    pub items: Vec<ParcelItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_url: Option<String>,
    pub at: Timestamp,
    pub actor: Actor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReturnReason {
    Damaged,
    WrongItem,
    NotAsDescribed,
    ChangedMind,
    Other,
}

/// Goods that came back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Return {
    #[serde(rename = "_id")]
    pub id: Id,
    pub items: Vec<ParcelItem>,
    pub reason: ReturnReason,
    /// Staff only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether the units went back on sale.
    pub restock: bool,
    /// The refund taken with the return, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Id>,
    pub at: Timestamp,
    pub actor: Actor,
}

/// Money that went back to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    #[serde(rename = "_id")]
    pub id: Id,
    pub amount: Money,
    /// Staff only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub at: Timestamp,
    pub actor: Actor,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(rename = "_id")]
    pub id: Id,
    pub text: String,
    /// Shown on the customer's tracking page; otherwise staff only.
    pub visible_to_customer: bool,
    pub at: Timestamp,
    pub actor: Actor,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    #[default]
    Unpaid,
    Paid,
    PartiallyRefunded,
    Refunded,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FulfillmentStatus {
    #[default]
    Unfulfilled,
    PartiallyFulfilled,
    Fulfilled,
}

macro_rules! wire_names {
    ($ty:ty { $($variant:ident => $name:literal, $label:literal;)* }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $name),* }
            }

            /// In words, for pages.
            pub fn label(self) -> &'static str {
                match self { $(<$ty>::$variant => $label),* }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                <$ty>::ALL.iter().copied().find(|v| v.as_str() == s).ok_or(())
            }
        }
    };
}

wire_names!(ReturnReason {
    Damaged => "DAMAGED", "Damaged";
    WrongItem => "WRONG_ITEM", "Wrong item";
    NotAsDescribed => "NOT_AS_DESCRIBED", "Not as described";
    ChangedMind => "CHANGED_MIND", "Changed their mind";
    Other => "OTHER", "Other";
});

wire_names!(PaymentStatus {
    Unpaid => "UNPAID", "Unpaid";
    Paid => "PAID", "Paid";
    PartiallyRefunded => "PARTIALLY_REFUNDED", "Partly refunded";
    Refunded => "REFUNDED", "Refunded";
});

wire_names!(FulfillmentStatus {
    Unfulfilled => "UNFULFILLED", "Not shipped";
    PartiallyFulfilled => "PARTIALLY_FULFILLED", "Partly shipped";
    Fulfilled => "FULFILLED", "Shipped";
});

impl PaymentStatus {
    /// What an order's payment comes to: nothing received, received, or
    /// some or all of it refunded.
    pub fn of(payment_received: bool, refunded: Money, total: Money) -> PaymentStatus {
        if !payment_received {
            PaymentStatus::Unpaid
        } else if refunded.cents() == 0 {
            PaymentStatus::Paid
        } else if refunded >= total {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        }
    }
}

impl FulfillmentStatus {
    /// From each line's units shipped and ordered.
    pub fn of(lines: impl IntoIterator<Item = (i64, i64)>) -> FulfillmentStatus {
        let (mut any, mut all) = (false, true);
        for (shipped, ordered) in lines {
            any |= shipped > 0;
            all &= shipped >= ordered;
        }
        match (any, all) {
            (false, _) => FulfillmentStatus::Unfulfilled,
            (true, true) => FulfillmentStatus::Fulfilled,
            (true, false) => FulfillmentStatus::PartiallyFulfilled,
        }
    }
}

/// What kind of event a timeline entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimelineKind {
    Status,
    Shipment,
    Return,
    Refund,
    Note,
}

/// One line of the order's timeline: what happened, when, and who did it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub at: Timestamp,
    pub actor: Actor,
    pub kind: TimelineKind,
    /// The shipment, return, refund or note it records (none for a status move).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// The status an order moved to, for status entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    /// What happened, in a sentence.
    pub summary: String,
}

/// A client's retry key for a command on an existing order (a shipment, a
/// return, a refund), kept with the order so a retry finds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandKey {
    pub key: String,
    pub fingerprint: String,
}

// ---- inputs ----------------------------------------------------------------

/// Units of one order line: `product` is the line's product id or SKU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemQuantity {
    pub product: String,
    pub quantity: i64,
}

/// A parcel to record; without `items`, everything not yet shipped.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewShipment {
    #[serde(default)]
    pub items: Option<Vec<ItemQuantity>>,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// `https://` (or `http://`).
    #[serde(default)]
    pub tracking_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewReturn {
    pub items: Vec<ItemQuantity>,
    pub reason: ReturnReason,
    #[serde(default)]
    pub note: Option<String>,
    /// Put the units back on sale.
    pub restock: bool,
    /// Refund this much with the return.
    #[serde(default)]
    pub refund: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewRefund {
    pub amount: Money,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
    #[serde(default)]
    pub visible_to_customer: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_status_follows_what_was_paid_and_refunded() {
        let cents = Money::from_cents;
        assert_eq!(
            PaymentStatus::of(false, cents(0), cents(100)),
            PaymentStatus::Unpaid
        );
        assert_eq!(
            PaymentStatus::of(true, cents(0), cents(100)),
            PaymentStatus::Paid
        );
        assert_eq!(
            PaymentStatus::of(true, cents(1), cents(100)),
            PaymentStatus::PartiallyRefunded
        );
        assert_eq!(
            PaymentStatus::of(true, cents(100), cents(100)),
            PaymentStatus::Refunded
        );
        assert_eq!(
            PaymentStatus::of(true, cents(0), cents(0)),
            PaymentStatus::Paid
        );
    }

    #[test]
    fn fulfillment_status_follows_every_line() {
        use FulfillmentStatus::*;
        assert_eq!(FulfillmentStatus::of([(0, 2), (0, 1)]), Unfulfilled);
        assert_eq!(FulfillmentStatus::of([(1, 2), (0, 1)]), PartiallyFulfilled);
        assert_eq!(FulfillmentStatus::of([(2, 2), (0, 1)]), PartiallyFulfilled);
        assert_eq!(FulfillmentStatus::of([(2, 2), (1, 1)]), Fulfilled);
    }

    #[test]
    fn wire_names_round_trip() {
        for s in PaymentStatus::ALL {
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert_eq!(s.as_str().parse::<PaymentStatus>(), Ok(*s));
        }
        for s in FulfillmentStatus::ALL {
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for r in ReturnReason::ALL {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
    }
}
