//! Webhooks: the endpoints integrations subscribe, and each event's delivery
//! to one of them with every attempt made. The rules that need no I/O live
//! here: which events an endpoint takes, what a valid subscription is, and
//! when a failed delivery is tried again.

use super::{AppError, Id, Timestamp};
use serde::{Deserialize, Serialize};

/// Every event type an endpoint may subscribe to; `*` takes them all.
pub const EVENT_TYPES: [&str; 8] = [
    "order.created",
    "order.paid",
    "order.shipment_created",
    "order.fulfilled",
    "order.return_created",
    "order.cancelled",
    "order.refunded",
    "product.low_stock",
];

/// The event a ping sends: delivered only to the endpoint pinged.
pub const PING_EVENT: &str = "webhook.ping";

/// Longest URL and description an endpoint keeps.
pub const MAX_URL_CHARS: usize = 2000;
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// A URL that receives the events it subscribes to, signed with its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    pub id: Id,
    pub url: String,
    pub description: String,
    /// Event types, or `["*"]`.
    pub events: Vec<String>,
    /// Inactive endpoints receive nothing; events meanwhile are not kept for them.
    pub active: bool,
    /// Why the shop stopped sending (the receiver answered 410 Gone), if it did.
    pub disabled_reason: Option<String>,
    /// `whsec_` and the base64 of the key's bytes; never shown after it is
    /// made (nor read back: the pages get endpoints without it).
    #[serde(skip_serializing, default)]
    pub secret: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST /api/webhooks`: a new subscription.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH /api/webhooks/:id`: what changes; the rest stays.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
    /// `true` switches a disabled endpoint back on (its waiting deliveries
    /// are sent); `false` pauses it.
    #[serde(default)]
    pub active: Option<bool>,
}

/// An endpoint with its signing secret: the answer to creating it or
/// rotating its secret, the only times the secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: verify the `webhook-signature` header with it.
    pub secret: String,
}

impl WebhookEndpoint {
    /// Whether an event of type `kind` goes to this endpoint.
    pub fn subscribes_to(&self, kind: &str) -> bool {
        let announced = EVENT_TYPES.contains(&kind);
        self.active && announced && self.events.iter().any(|e| e == "*" || e == kind)
    }
}

/// The event types of a subscription, checked: known types or `*`, each
/// once, at least one. Errors name `events[i]`.
pub fn subscription(events: &[String]) -> Result<Vec<String>, AppError> {
    if events.is_empty() {
        return Err(AppError::invalid(
            "events",
            "subscribe to at least one event type, or \"*\" for all",
        ));
    }
    let mut kept: Vec<String> = Vec::new();
    for (i, kind) in events.iter().enumerate() {
        let kind = kind.trim();
        if kind != "*" && !EVENT_TYPES.contains(&kind) {
            return Err(AppError::invalid(
                format!("events[{i}]"),
                format!(
                    "unknown event type {kind:?}; expected \"*\" or one of {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        if !kept.iter().any(|k| k == kind) {
            kept.push(kind.to_string());
        }
    }
    Ok(kept)
}

/// A description, trimmed and bounded.
pub fn description(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::invalid(
            "description",
            format!("at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(text.to_string())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryState {
    /// Waiting for its first attempt or its next retry.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Retries ran out, or the endpoint said it is gone (410).
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "PENDING",
            DeliveryState::Delivered => "DELIVERED",
            DeliveryState::Failed => "FAILED",
        }
    }
}

impl std::str::FromStr for DeliveryState {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or(())
    }
}

/// One event on its way to one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: Id,
    pub endpoint: Id,
    /// The event's id (`evt_…`): the `webhook-id` header on every attempt.
    pub event_id: String,
    pub event_type: String,
    /// When the event happened.
    pub event_at: Timestamp,
    /// The JSON sent, exactly as signed.
    pub body: String,
    pub state: DeliveryState,
    /// When the next attempt is due (while pending).
    pub due_at: Timestamp,
    /// Retries stop after this; sending by hand starts a new window.
    pub retry_until: Timestamp,
    /// Oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

impl Delivery {
    /// An event's delivery to one endpoint, not yet attempted.
    #[cfg(feature = "ssr")]
    pub fn new(
        endpoint: Id,
        event_id: String,
        event_type: String,
        event_at: Timestamp,
        body: String,
        due_at: Timestamp,
        retry_until: Timestamp,
    ) -> Delivery {
        Delivery {
            id: Id::generate(),
            endpoint,
            event_id,
            event_type,
            event_at,
            body,
            state: DeliveryState::Pending,
            due_at,
            retry_until,
            attempts: Vec::new(),
        }
    }
}

/// One request to the endpoint and what came of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    pub at: Timestamp,
    /// The HTTP status, if the endpoint answered at all.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// The first kilobyte of the answer's body.
    pub response: String,
    /// Why there was no answer (timed out, refused, a private address).
    pub error: Option<String>,
}

impl DeliveryAttempt {
    /// An attempt made `at` that took `latency_ms`: the answer's status and
    /// the start of its text, or why there was none.
    pub fn of(at: Timestamp, latency_ms: u64, answer: Result<(u16, String), String>) -> Self {
        let (status, response, error) = match answer {
            Ok((status, response)) => (Some(status), response, None),
            Err(error) => (None, String::new(), Some(error)),
        };
        DeliveryAttempt {
            at,
            status,
            latency_ms,
            response,
            error,
        }
    }

    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What a delivery becomes after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    /// Tried again at this time.
    Retry(Timestamp),
    Failed,
    /// The endpoint answered 410 Gone: the delivery failed and the endpoint
    /// is switched off.
    Gone,
}

/// How long the retries of failed deliveries wait: `first` before the first
/// retry, doubling each time, and never past `retry_until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_ms: i64,
    pub give_up_after_ms: i64,
}

impl Default for RetryPolicy {
    /// About 10 s, then 20 s, 40 s, … for a day: 13 retries.
    fn default() -> Self {
        RetryPolicy {
            first_ms: 10_000,
            give_up_after_ms: 24 * 60 * 60 * 1000,
        }
    }
}

impl RetryPolicy {
    /// What follows `attempt`, given the delivery's `earlier` attempts
    /// (oldest first) and the end of its retry window. The wait doubles with
    /// each failure in a row within the window; `jitter` in [0, 1) spreads it
    /// by up to a fifth either way, so endpoints that fail together are not
    /// retried together.
    pub fn after(
        &self,
        earlier: &[DeliveryAttempt],
        attempt: &DeliveryAttempt,
        retry_until: Timestamp,
        jitter: f64,
    ) -> AfterAttempt {
        if attempt.succeeded() {
            return AfterAttempt::Delivered;
        }
        if attempt.status == Some(410) {
            return AfterAttempt::Gone;
        }
        let window_start = retry_until.millis() - self.give_up_after_ms;
        let failed_before = earlier
            .iter()
            .rev()
            .take_while(|a| a.at.millis() >= window_start && !a.succeeded())
            .count() as u32;
        let doubled = self.first_ms.saturating_mul(1i64 << failed_before.min(30));
        let spread = (doubled as f64 * (0.8 + 0.4 * jitter.clamp(0.0, 1.0))) as i64;
        let next = attempt.at.millis().saturating_add(spread.max(1));
        if next > retry_until.millis() {
            AfterAttempt::Failed
        } else {
            AfterAttempt::Retry(Timestamp::from_millis(next))
        }
    }
}

impl AfterAttempt {
    /// The delivery's state and next due time after an attempt made `at`,
    /// and the word the metrics count it under.
    pub fn outcome(self, at: Timestamp) -> (DeliveryState, Timestamp, &'static str) {
        match self {
            AfterAttempt::Delivered => (DeliveryState::Delivered, at, "delivered"),
            AfterAttempt::Retry(next) => (DeliveryState::Pending, next, "retrying"),
            AfterAttempt::Failed => (DeliveryState::Failed, at, "failed"),
            AfterAttempt::Gone => (DeliveryState::Failed, at, "gone"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(at: i64, status: Option<u16>) -> DeliveryAttempt {
        DeliveryAttempt {
            at: Timestamp::from_millis(at),
            status,
            latency_ms: 5,
            response: String::new(),
            error: None,
        }
    }

    #[test]
    fn retries_double_from_ten_seconds_for_a_day() {
        let policy = RetryPolicy::default();
        let until = Timestamp::from_millis(policy.give_up_after_ms);
        let mut at = 0;
        let (mut waits, mut earlier) = (Vec::new(), Vec::new());
        loop {
            let failed = attempt(at, Some(500));
            match policy.after(&earlier, &failed, until, 0.5) {
                AfterAttempt::Retry(next) => {
                    waits.push((next.millis() - at) / 1000);
                    at = next.millis();
                    earlier.push(failed);
                }
                AfterAttempt::Failed => break,
                other => panic!("a 500 is retried or given up, not {other:?}"),
            }
        }
        assert_eq!(waits[..4], [10, 20, 40, 80]);
        assert_eq!(waits.len(), 13, "{waits:?}");
        assert!(at <= policy.give_up_after_ms);
    }

    #[test]
    fn jitter_spreads_a_retry_by_a_fifth_either_way() {
        let policy = RetryPolicy::default();
        let until = Timestamp::from_millis(i64::MAX / 2);
        let wait = |jitter| match policy.after(&[], &attempt(0, None), until, jitter) {
            AfterAttempt::Retry(next) => next.millis(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (wait(0.0), wait(0.5), wait(0.999_999)),
            (8_000, 10_000, 11_999)
        );
    }

    #[test]
    fn success_gone_and_other_answers() {
        let policy = RetryPolicy::default();
        let until = Timestamp::from_millis(1_000_000);
        let after = |status| policy.after(&[], &attempt(0, status), until, 0.5);
        assert_eq!(after(Some(204)), AfterAttempt::Delivered);
        assert_eq!(after(Some(410)), AfterAttempt::Gone);
        assert!(matches!(after(Some(301)), AfterAttempt::Retry(_)));
        assert!(matches!(after(Some(404)), AfterAttempt::Retry(_)));
    }

    #[test]
    fn subscriptions_take_known_types_or_everything() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            subscription(&list(&["order.paid", " order.paid", "*"])),
            Ok(list(&["order.paid", "*"]))
        );
        assert!(matches!(
            subscription(&list(&["order.paid", "order.shipped"])),
            Err(AppError::Invalid { field, .. }) if field == "events[1]"
        ));
        assert!(subscription(&[]).is_err());
        let endpoint = WebhookEndpoint {
            id: Id::generate(),
            url: "https://example.com/hook".into(),
            description: String::new(),
            events: list(&["order.paid"]),
            active: true,
            disabled_reason: None,
            secret: String::new(),
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        };
        assert!(endpoint.subscribes_to("order.paid"));
        assert!(!endpoint.subscribes_to("order.created"));
        let everything = WebhookEndpoint {
            events: list(&["*"]),
            ..endpoint.clone()
        };
        assert!(everything.subscribes_to("product.low_stock"));
        assert!(!everything.subscribes_to("mail"), "emails are not webhooks");
        let off = WebhookEndpoint {
            active: false,
            ..endpoint
        };
        assert!(!off.subscribes_to("order.paid"));
    }
}
