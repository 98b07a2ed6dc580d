//! The activity log: what staff and their tokens did across the shop, one
//! entry per thing done, written in the same transaction as the change.

use super::{Actor, Id, TimelineKind, Timestamp};
#[cfg(feature = "ssr")]
use super::{Order, TimelineEntry};
use serde::{Deserialize, Serialize};

/// What an activity entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ActivityKind {
    /// An order's status moved.
    Status,
    Shipment,
    Return,
    Refund,
    Note,
    /// A product added or changed: its details or its stock.
    Product,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 6] = [
        ActivityKind::Status,
        ActivityKind::Shipment,
        ActivityKind::Return,
        ActivityKind::Refund,
        ActivityKind::Note,
        ActivityKind::Product,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Status => "status",
            ActivityKind::Shipment => "shipment",
            ActivityKind::Return => "return",
            ActivityKind::Refund => "refund",
            ActivityKind::Note => "note",
            ActivityKind::Product => "product",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ActivityKind::Status => "Status",
            ActivityKind::Shipment => "Shipment",
            ActivityKind::Return => "Return",
            ActivityKind::Refund => "Refund",
            ActivityKind::Note => "Note",
            ActivityKind::Product => "Product",
        }
    }
}

impl std::str::FromStr for ActivityKind {
    type Err = ();

    fn from_str(s: &str) -> Result<ActivityKind, ()> {
        ActivityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

impl From<TimelineKind> for ActivityKind {
    fn from(kind: TimelineKind) -> ActivityKind {
        match kind {
            TimelineKind::Status => ActivityKind::Status,
            TimelineKind::Shipment => ActivityKind::Shipment,
            TimelineKind::Return => ActivityKind::Return,
            TimelineKind::Refund => ActivityKind::Refund,
            TimelineKind::Note => ActivityKind::Note,
        }
    }
}

/// One thing staff did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    #[serde(rename = "_id")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: Id,
    pub at: Timestamp,
    pub actor: Actor,
    pub kind: ActivityKind,
    /// In a sentence, as the order's timeline or the catalogue says it.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub order: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub product: Option<Id>,
}

#[cfg(feature = "ssr")]
impl ActivityEntry {
    /// What a change did to an order: the entries its timeline gained
    /// from `before` to `after` (an earlier change's entry made in the same
    /// millisecond is not this one's), a status move last: it follows what
    /// caused it (the last parcel makes an order FULFILLED).
    pub fn of_order(
        before: &Order,
        after: &Order,
        at: Timestamp,
        actor: &Actor,
    ) -> Vec<ActivityEntry> {
        let mut earlier: Vec<&TimelineEntry> = before.timeline.iter().collect();
        let mut made: Vec<&TimelineEntry> = after
            .timeline
            .iter()
            .filter(|e| match earlier.iter().position(|old| old == e) {
                Some(i) => {
                    earlier.swap_remove(i);
                    false
                }
                None => true,
            })
            .collect();
        made.sort_by_key(|e| e.kind == TimelineKind::Status);
        made.into_iter()
            .map(|e| ActivityEntry {
                id: Id::generate(),
                at,
                actor: actor.clone(),
                kind: e.kind.into(),
                summary: e.summary.clone(),
                order: Some(after.id),
                order_number: Some(after.number.clone()),
                product: None,
            })
            .collect()
    }

    pub fn of_product(product: Id, at: Timestamp, actor: &Actor, summary: String) -> ActivityEntry {
        ActivityEntry {
            id: Id::generate(),
            at,
            actor: actor.clone(),
            kind: ActivityKind::Product,
            summary,
            order: None,
            order_number: None,
            product: Some(product),
        }
    }
}

/// The activity log's filters and page, as the query string has them
/// (`?staff=ID&kind=shipment&limit=50&cursor=ID`): REST, the server
/// function and the screen read them the same way.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ActivityQuery {
    /// Only what this staff member did (themselves or with their tokens).
    #[serde(default)]
    pub staff: Option<String>,
    /// Only this kind: status, shipment, return, refund, note, product.
    #[serde(default)]
    pub kind: Option<String>,
    /// Page size, 1–200 (default 50).
    #[serde(default)]
    pub limit: Option<String>,
    /// The `cursor` of the previous page's `Link: rel="next"`.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl ActivityQuery {
    /// The filters; a malformed one is a 422 naming it.
    pub fn filters(&self) -> Result<(Option<Id>, Option<ActivityKind>), super::AppError> {
        let staff = super::parse_id_param("staff", &self.staff)?;
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(k.parse().map_err(|()| {
                super::AppError::invalid(
                    "kind",
                    "must be one of status, shipment, return, refund, note, product",
                )
            })?),
        };
        Ok((staff, kind))
    }

    pub fn page(&self) -> Result<super::Page, super::AppError> {
        super::Page::parse(&self.limit, &self.cursor)
    }
}

/// Whether a change by `actor` goes into the activity log: what staff and
/// their tokens do (customers' orders are the order list's).
pub fn is_staff_activity(actor: &Actor) -> bool {
    matches!(
        actor.kind,
        super::ActorKind::Staff | super::ActorKind::Token
    )
}
