//! Webhook endpoints and deliveries. The outbox is handed on in one
//! transaction per batch (two instances doing it at once conflict, and one
//! runs again); an endpoint's queue is its pending deliveries in the order
//! of their events' times. Claiming a delivery is a `findOneAndUpdate` on
//! its lease, so one instance sends it at a time and a dead instance's
//! lease runs out for another to take.

use super::docs::{date, id, oid, timestamp, OutboxDoc};
use super::errors::db_error;
use super::queries::collect;
use super::transaction::{self, Abort, Checked};
use super::{MongoStore, OUTBOX};
use crate::domain::webhook::{Delivery, DeliveryAttempt, DeliveryState, WebhookEndpoint};
use crate::domain::{AppError, Id, Page, Timestamp};
use crate::server::store::{MailDelivery, OutboxStore, Queue, Requeue, StoreResult, MAIL_EVENT};
use async_trait::async_trait;
use bson::oid::ObjectId;
use bson::{doc, DateTime};
use futures_util::TryStreamExt;
use mongodb::options::ReturnDocument;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

pub(super) const WEBHOOK_ENDPOINTS: &str = "webhook_endpoints";
/// Events are handed on once they are this old (by the clock of the change
/// that wrote them), so a transaction that committed a little after a later
/// one still has its events queued in the order of their times.
const SETTLE_MS: i64 = 2_000;
pub(super) const WEBHOOK_DELIVERIES: &str = "webhook_deliveries";
pub(super) const MAIL_DELIVERIES: &str = "mail_deliveries";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointDoc {
    #[serde(rename = "_id")]
    id: ObjectId,
    url: String,
    description: String,
    events: Vec<String>,
    active: bool,
    disabled_reason: Option<String>,
    secret: String,
    created_at: DateTime,
    updated_at: DateTime,
}

impl From<&WebhookEndpoint> for EndpointDoc {
    fn from(e: &WebhookEndpoint) -> Self {
        EndpointDoc {
            id: oid(e.id),
            url: e.url.clone(),
            description: e.description.clone(),
            events: e.events.clone(),
            active: e.active,
            disabled_reason: e.disabled_reason.clone(),
            secret: e.secret.clone(),
            created_at: date(e.created_at),
            updated_at: date(e.updated_at),
        }
    }
}

impl From<EndpointDoc> for WebhookEndpoint {
    fn from(d: EndpointDoc) -> Self {
        WebhookEndpoint {
            id: id(d.id),
            url: d.url,
            description: d.description,
            events: d.events,
            active: d.active,
            disabled_reason: d.disabled_reason,
            secret: d.secret,
            created_at: timestamp(d.created_at),
            updated_at: timestamp(d.updated_at),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDoc {
    #[serde(rename = "_id")]
    id: ObjectId,
    endpoint: ObjectId,
    event_id: String,
    event_type: String,
    event_at: DateTime,
    body: String,
    state: String,
    due_at: DateTime,
    retry_until: DateTime,
    leased_until: DateTime,
    attempts: Vec<AttemptDoc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttemptDoc {
    at: DateTime,
    status: Option<i32>,
    latency_ms: i64,
    response: String,
    error: Option<String>,
}

/// An email in the mail queue.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailDoc {
    #[serde(rename = "_id")]
    id: ObjectId,
    event_id: String,
    body: String,
    state: String,
    due_at: DateTime,
    retry_until: DateTime,
    leased_until: DateTime,
    attempts: Vec<AttemptDoc>,
}

impl From<MailDoc> for MailDelivery {
    fn from(d: MailDoc) -> Self {
        MailDelivery {
            id: id(d.id),
            event_id: d.event_id,
            body: d.body,
            retry_until: timestamp(d.retry_until),
            attempts: d.attempts.into_iter().map(DeliveryAttempt::from).collect(),
        }
    }
}

impl From<&DeliveryAttempt> for AttemptDoc {
    fn from(a: &DeliveryAttempt) -> Self {
        AttemptDoc {
            at: date(a.at),
            status: a.status.map(i32::from),
            latency_ms: a.latency_ms as i64,
            response: a.response.clone(),
            error: a.error.clone(),
        }
    }
}

impl From<AttemptDoc> for DeliveryAttempt {
    fn from(d: AttemptDoc) -> Self {
        DeliveryAttempt {
            at: timestamp(d.at),
            status: d.status.and_then(|s| u16::try_from(s).ok()),
            latency_ms: d.latency_ms.max(0) as u64,
            response: d.response,
            error: d.error,
        }
    }
}

impl From<&Delivery> for DeliveryDoc {
    fn from(d: &Delivery) -> Self {
        DeliveryDoc {
            id: oid(d.id),
            endpoint: oid(d.endpoint),
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            event_at: date(d.event_at),
            body: d.body.clone(),
            state: d.state.as_str().to_string(),
            due_at: date(d.due_at),
            retry_until: date(d.retry_until),
            leased_until: DateTime::from_millis(0),
            attempts: d.attempts.iter().map(AttemptDoc::from).collect(),
        }
    }
}

impl TryFrom<DeliveryDoc> for Delivery {
    type Error = AppError;

    fn try_from(d: DeliveryDoc) -> Result<Self, AppError> {
        let state = d.state.parse().map_err(|_| {
            tracing::error!(state = %d.state, "a stored delivery has an unknown state");
            AppError::Internal
        })?;
        Ok(Delivery {
            id: id(d.id),
            endpoint: id(d.endpoint),
            event_id: d.event_id,
            event_type: d.event_type,
            event_at: timestamp(d.event_at),
            body: d.body,
            state,
            due_at: timestamp(d.due_at),
            retry_until: timestamp(d.retry_until),
            attempts: d.attempts.into_iter().map(DeliveryAttempt::from).collect(),
        })
    }
}

impl MongoStore {
    fn endpoints(&self) -> Collection<EndpointDoc> {
        self.db.collection(WEBHOOK_ENDPOINTS)
    }

    fn deliveries_collection(&self) -> Collection<DeliveryDoc> {
        self.db.collection(WEBHOOK_DELIVERIES)
    }

    fn mails(&self) -> Collection<MailDoc> {
        self.db.collection(MAIL_DELIVERIES)
    }

    pub(super) async fn save_attempt(
        &self,
        collection: &str,
        delivery: Id,
        lease_until: Timestamp,
        attempt: DeliveryAttempt,
        state: DeliveryState,
        due_at: Timestamp,
    ) -> StoreResult<bool> {
        self.ready().await?;
        let attempt = bson::to_document(&AttemptDoc::from(&attempt)).map_err(|e| {
            tracing::error!(error = %e, "a delivery attempt did not serialize");
            AppError::Internal
        })?;
        let mut set = doc! {
            "state": state.as_str(),
            "dueAt": date(due_at),
            "leasedUntil": DateTime::from_millis(0),
        };
        // A sent or failed email's body is dropped: its tracking link is
        // kept nowhere but in the customer's mailbox.
        if collection == MAIL_DELIVERIES && state != DeliveryState::Pending {
            set.insert("body", "");
        }
        let updated = self
            .db
            .collection::<bson::Document>(collection)
            .update_one(
                doc! { "_id": oid(delivery), "leasedUntil": date(lease_until) },
                doc! { "$set": set, "$push": { "attempts": attempt } },
            )
            .await
            .map_err(db_error)?;
        Ok(updated.matched_count > 0)
    }
}

#[async_trait]
impl OutboxStore for MongoStore {
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<MailDelivery>> {
        self.ready().await?;
        let claimed = self
            .mails()
            .find_one_and_update(
                doc! {
                    "state": DeliveryState::Pending.as_str(),
                    "dueAt": { "$lte": date(now) },
                    "leasedUntil": { "$lte": date(now) },
                },
                doc! { "$set": { "leasedUntil": date(lease_until) } },
            )
            .sort(doc! { "dueAt": 1, "_id": 1 })
            .return_document(ReturnDocument::After)
            .await
            .map_err(db_error)?;
        Ok(claimed.map(MailDelivery::from))
    }

    async fn outbox_backlog(&self) -> StoreResult<(u64, Option<Timestamp>)> {
        self.ready().await?;
        let waiting = self
            .outbox()
            .count_documents(doc! {})
            .await
            .map_err(db_error)?;
        let oldest = self
            .outbox()
            .find_one(doc! {})
            .sort(doc! { "createdAt": 1, "_id": 1 })
            .await
            .map_err(db_error)?;
        Ok((waiting, oldest.map(|e| timestamp(e.created_at))))
    }

    async fn dispatch_outbox(
        &self,
        limit: u32,
        due: Timestamp,
        retry_until: Timestamp,
    ) -> StoreResult<usize> {
        self.ready().await?;
        let settled = date(Timestamp::from_millis(due.millis() - SETTLE_MS));
        // Look before opening a transaction: mostly there is nothing to take.
        let waiting = self
            .outbox()
            .find_one(doc! { "createdAt": { "$lt": settled } })
            .await
            .map_err(db_error)?;
        if waiting.is_none() {
            return Ok(0);
        }
        let Checked(taken) = transaction::run(&self.client, self, move |s, store| {
            Box::pin(async move {
                let events: Vec<OutboxDoc> = store
                    .db
                    .collection::<OutboxDoc>(OUTBOX)
                    .find(doc! { "createdAt": { "$lt": settled } })
                    .sort(doc! { "createdAt": 1, "_id": 1 })
                    .limit(i64::from(limit))
                    .session(&mut *s)
                    .await?
                    .stream(&mut *s)
                    .try_collect()
                    .await?;
                if events.is_empty() {
                    return Ok(Checked(0));
                }
                let endpoints: Vec<WebhookEndpoint> = store
                    .endpoints()
                    .find(doc! { "active": true })
                    .session(&mut *s)
                    .await?
                    .stream(&mut *s)
                    .map_ok(WebhookEndpoint::from)
                    .try_collect()
                    .await?;
                let mails: Vec<MailDoc> = events
                    .iter()
                    .filter(|event| event.kind == MAIL_EVENT)
                    .map(|event| MailDoc {
                        id: ObjectId::new(),
                        event_id: event.id.clone(),
                        body: event.body.clone(),
                        state: DeliveryState::Pending.as_str().to_string(),
                        due_at: date(due),
                        retry_until: date(retry_until),
                        leased_until: DateTime::from_millis(0),
                        attempts: Vec::new(),
                    })
                    .collect();
                if !mails.is_empty() {
                    store.mails().insert_many(mails).session(&mut *s).await?;
                }
                let deliveries: Vec<DeliveryDoc> = events
                    .iter()
                    .flat_map(|event| {
                        endpoints
                            .iter()
                            .filter(|e| e.subscribes_to(&event.kind))
                            .map(move |e| {
                                DeliveryDoc::from(&Delivery::new(
                                    e.id,
                                    event.id.clone(),
                                    event.kind.clone(),
                                    timestamp(event.created_at),
                                    event.body.clone(),
                                    due,
                                    retry_until,
                                ))
                            })
                    })
                    .collect();
                if !deliveries.is_empty() {
                    store
                        .deliveries_collection()
                        .insert_many(deliveries)
                        .session(&mut *s)
                        .await?;
                }
                let ids: Vec<&String> = events.iter().map(|e| &e.id).collect();
                store
                    .outbox()
                    .delete_many(doc! { "_id": { "$in": ids } })
                    .session(&mut *s)
                    .await?;
                Ok::<_, Abort>(Checked(events.len()))
            })
        })
        .await?;
        Ok(taken)
    }

    async fn webhook_endpoints(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        self.ready().await?;
        let found = self
            .endpoints()
            .find(doc! {})
            .sort(doc! { "createdAt": 1, "_id": 1 })
            .await;
        let docs: Vec<EndpointDoc> = collect(found).await?;
        Ok(docs.into_iter().map(WebhookEndpoint::from).collect())
    }

    async fn webhook_endpoint(&self, id: Id) -> StoreResult<Option<WebhookEndpoint>> {
        self.ready().await?;
        let found = self
            .endpoints()
            .find_one(doc! { "_id": oid(id) })
            .await
            .map_err(db_error)?;
        Ok(found.map(WebhookEndpoint::from))
    }

    async fn add_webhook_endpoint(&self, e: WebhookEndpoint) -> StoreResult<()> {
        self.ready().await?;
        self.endpoints()
            .insert_one(EndpointDoc::from(&e))
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn update_webhook_endpoint(
        &self,
        e: WebhookEndpoint,
        read_at: Timestamp,
    ) -> StoreResult<bool> {
        self.ready().await?;
        let replaced = self
            .endpoints()
            .replace_one(
                doc! { "_id": oid(e.id), "updatedAt": date(read_at) },
                EndpointDoc::from(&e),
            )
            .await
            .map_err(db_error)?;
        Ok(replaced.matched_count > 0)
    }

    async fn delete_webhook_endpoint(&self, endpoint: Id) -> StoreResult<bool> {
        self.ready().await?;
        // Together: a dispatch that read the endpoint before cannot leave
        // deliveries behind it.
        let Checked(removed) = transaction::run(&self.client, self, move |s, store| {
            Box::pin(async move {
                let removed = store
                    .endpoints()
                    .delete_one(doc! { "_id": oid(endpoint) })
                    .session(&mut *s)
                    .await?;
                store
                    .deliveries_collection()
                    .delete_many(doc! { "endpoint": oid(endpoint) })
                    .session(&mut *s)
                    .await?;
                Ok::<_, Abort>(Checked(removed.deleted_count > 0))
            })
        })
        .await?;
        Ok(removed)
    }

    async fn disable_webhook_endpoint(
        &self,
        endpoint: Id,
        url: String,
        reason: String,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.ready().await?;
        self.endpoints()
            .update_one(
                doc! { "_id": oid(endpoint), "url": url },
                doc! {
                    "$set": { "active": false, "disabledReason": reason },
                    "$max": { "updatedAt": date(at) },
                },
            )
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn add_delivery(&self, delivery: Delivery) -> StoreResult<()> {
        self.ready().await?;
        self.deliveries_collection()
            .insert_one(DeliveryDoc::from(&delivery))
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn deliveries(&self, endpoint: Id, page: Page) -> StoreResult<Vec<Delivery>> {
        self.ready().await?;
        let mut filter = doc! { "endpoint": oid(endpoint) };
        if let Some(before) = page.before {
            filter.insert("_id", doc! { "$lt": oid(before) });
        }
        let found = self
            .deliveries_collection()
            .find(filter)
            .sort(doc! { "_id": -1 })
            .limit(i64::from(page.limit))
            .await;
        let docs: Vec<DeliveryDoc> = collect(found).await?;
        docs.into_iter().map(Delivery::try_from).collect()
    }

    async fn claim_delivery(
        &self,
        endpoint: Id,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<Delivery>> {
        self.ready().await?;
        let pending = doc! { "endpoint": oid(endpoint), "state": DeliveryState::Pending.as_str() };
        let head = self
            .deliveries_collection()
            .find_one(pending.clone())
            .sort(doc! { "eventAt": 1, "eventId": 1 })
            .await
            .map_err(db_error)?;
        let Some(head) = head.filter(|h| h.due_at <= date(now)) else {
            return Ok(None);
        };
        // One at a time: none while another of the endpoint's is being sent.
        let mut leased = pending;
        leased.insert("leasedUntil", doc! { "$gt": date(now) });
        let busy = self
            .deliveries_collection()
            .find_one(leased)
            .await
            .map_err(db_error)?;
        if busy.is_some() {
            return Ok(None);
        }
        let claimed = self
            .deliveries_collection()
            .find_one_and_update(
                doc! {
                    "_id": head.id,
                    "state": DeliveryState::Pending.as_str(),
                    "dueAt": { "$lte": date(now) },
                    "leasedUntil": { "$lte": date(now) },
                },
                doc! { "$set": { "leasedUntil": date(lease_until) } },
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(db_error)?;
        claimed.map(Delivery::try_from).transpose()
    }

    async fn redeliver(
        &self,
        endpoint: Id,
        delivery: Id,
        now: Timestamp,
        retry_until: Timestamp,
    ) -> StoreResult<Requeue> {
        self.ready().await?;
        let mine = doc! { "_id": oid(delivery), "endpoint": oid(endpoint) };
        let mut idle = mine.clone();
        idle.insert(
            "$or",
            vec![
                doc! { "state": { "$ne": DeliveryState::Pending.as_str() } },
                doc! { "leasedUntil": { "$lte": date(now) } },
            ],
        );
        let updated = self
            .deliveries_collection()
            .update_one(
                idle,
                doc! {
                    "$set": {
                        "state": DeliveryState::Pending.as_str(),
                        "dueAt": date(now),
                        "retryUntil": date(retry_until),
                    }
                },
            )
            .await
            .map_err(db_error)?;
        if updated.matched_count > 0 {
            return Ok(Requeue::Queued);
        }
        let exists = self
            .deliveries_collection()
            .find_one(mine)
            .await
            .map_err(db_error)?;
        Ok(if exists.is_some() {
            Requeue::InFlight
        } else {
            Requeue::NotFound
        })
    }

    async fn forget_deliveries(&self, before: Timestamp) -> StoreResult<u64> {
        self.ready().await?;
        let finished = doc! {
            "state": { "$ne": DeliveryState::Pending.as_str() },
            "dueAt": { "$lt": date(before) },
        };
        let mut forgotten = 0;
        for collection in [WEBHOOK_DELIVERIES, MAIL_DELIVERIES] {
            forgotten += self
                .db
                .collection::<bson::Document>(collection)
                .delete_many(finished.clone())
                .await
                .map_err(db_error)?
                .deleted_count;
        }
        Ok(forgotten)
    }

    async fn record_attempt(
        &self,
        queue: Queue,
        id: Id,
        lease_until: Timestamp,
        attempt: DeliveryAttempt,
        state: DeliveryState,
        due_at: Timestamp,
    ) -> StoreResult<bool> {
        let table = match queue {
            Queue::Webhooks => WEBHOOK_DELIVERIES,
            Queue::Mail => MAIL_DELIVERIES,
        };
        self.save_attempt(table, id, lease_until, attempt, state, due_at)
            .await
    }
}
