//! Webhook endpoints and deliveries. The outbox is handed on to deliveries
//! by the writer in event order, so an endpoint's queue (`seq`) is the order
//! its events were committed in.

use super::rows::{db_error, id_column, json_column, json_value, parsed};
use super::SqliteStore;
use crate::domain::webhook::{Delivery, DeliveryAttempt, DeliveryState, WebhookEndpoint};
use crate::domain::{Id, Page, Timestamp};
use crate::server::store::{MailDelivery, OutboxStore, Queue, Requeue, StoreResult, MAIL_EVENT};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

const ENDPOINT_COLUMNS: &str =
    "id, url, description, events, active, disabled_reason, secret, created_at, updated_at";
const DELIVERY_COLUMNS: &str =
    "id, endpoint, event_id, event_type, event_at, body, state, due_at, retry_until, attempts";

fn endpoint_row(r: &Row) -> rusqlite::Result<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: id_column(r, 0)?,
        url: r.get(1)?,
        description: r.get(2)?,
        events: json_value(r, 3)?,
        active: r.get(4)?,
        disabled_reason: r.get(5)?,
        secret: r.get(6)?,
        created_at: Timestamp::from_millis(r.get(7)?),
        updated_at: Timestamp::from_millis(r.get(8)?),
    })
}

fn endpoints(c: &Connection) -> StoreResult<Vec<WebhookEndpoint>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
        ))
        .map_err(db_error)?;
    let rows = stmt.query_map([], endpoint_row).map_err(db_error)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_error)
}

fn delivery_row(r: &Row) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: id_column(r, 0)?,
        endpoint: id_column(r, 1)?,
        event_id: r.get(2)?,
        event_type: r.get(3)?,
        event_at: Timestamp::from_millis(r.get(4)?),
        body: r.get(5)?,
        state: parsed(r, 6, "not a delivery state")?,
        due_at: Timestamp::from_millis(r.get(7)?),
        retry_until: Timestamp::from_millis(r.get(8)?),
        attempts: json_value(r, 9)?,
    })
}

fn insert_delivery(c: &Connection, d: &Delivery) -> StoreResult<()> {
    c.prepare_cached(&format!(
        "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            d.id.to_string(),
            d.endpoint.to_string(),
            d.event_id,
            d.event_type,
            d.event_at.millis(),
            d.body,
            d.state.as_str(),
            d.due_at.millis(),
            d.retry_until.millis(),
            json_column(&d.attempts)?,
        ])
    })
    .map(drop)
    .map_err(db_error)
}

impl SqliteStore {
    pub(super) async fn save_attempt(
        &self,
        table: &'static str,
        delivery: Id,
        lease_until: Timestamp,
        attempt: DeliveryAttempt,
        state: DeliveryState,
        due_at: Timestamp,
    ) -> StoreResult<bool> {
        self.writer
            .write(move |c| {
                // A sent or failed email's body is dropped: its tracking
                // link is kept nowhere but in the customer's mailbox.
                let body = if table == "mail_deliveries" && state != DeliveryState::Pending {
                    ", body = ''"
                } else {
                    ""
                };
                c.prepare_cached(&format!(
                    "UPDATE {table} SET state = ?2, due_at = ?3, leased_until = 0, \
                     attempts = json_insert(attempts, '$[#]', json(?4)){body} \
                     WHERE id = ?1 AND leased_until = ?5"
                ))
                .and_then(|mut s| {
                    s.execute(params![
                        delivery.to_string(),
                        state.as_str(),
                        due_at.millis(),
                        json_column(&attempt)?,
                        lease_until.millis(),
                    ])
                })
                .map(|n| n > 0)
                .map_err(db_error)
            })
            .await
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn outbox_backlog(&self) -> StoreResult<(u64, Option<Timestamp>)> {
        self.read(|c| {
            c.query_row(
                "SELECT count(*), min(created_at) FROM outbox_events",
                [],
                |r| {
                    let oldest: Option<i64> = r.get(1)?;
                    Ok((
                        r.get::<_, i64>(0)? as u64,
                        oldest.map(Timestamp::from_millis),
                    ))
                },
            )
            .map_err(db_error)
        })
        .await
    }

    async fn dispatch_outbox(
        &self,
        limit: u32,
        due: Timestamp,
        retry_until: Timestamp,
    ) -> StoreResult<usize> {
        // The writer is everyone's: look before queueing behind orders.
        let waiting: bool = self
            .read(|c| {
                c.query_row("SELECT EXISTS (SELECT 1 FROM outbox_events)", [], |r| {
                    r.get(0)
                })
                .map_err(db_error)
            })
            .await?;
        if !waiting {
            return Ok(0);
        }
        self.writer
            .write(move |c| {
                let subscribers = endpoints(c)?;
                let mut stmt = c
                    .prepare_cached(
                        "SELECT seq, id, type, created_at, body FROM outbox_events \
                         ORDER BY seq LIMIT ?1",
                    )
                    .map_err(db_error)?;
                let events = stmt
                    .query_map([limit], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, String>(4)?,
                        ))
                    })
                    .map_err(db_error)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_error)?;
                let Some(last) = events.last().map(|e| e.0) else {
                    return Ok(0);
                };
                for (_, event_id, kind, at, body) in &events {
                    if kind == MAIL_EVENT {
                        c.prepare_cached(
                            "INSERT INTO mail_deliveries (id, event_id, body, state, due_at, retry_until) \
                             VALUES (?1, ?2, ?3, 'PENDING', ?4, ?5)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![
                                Id::generate().to_string(),
                                event_id,
                                body,
                                due.millis(),
                                retry_until.millis()
                            ])
                        })
                        .map_err(db_error)?;
                        continue;
                    }
                    for endpoint in subscribers.iter().filter(|e| e.subscribes_to(kind)) {
                        insert_delivery(
                            c,
                            &Delivery::new(
                                endpoint.id,
                                event_id.clone(),
                                kind.clone(),
                                Timestamp::from_millis(*at),
                                body.clone(),
                                due,
                                retry_until,
                            ),
                        )?;
                    }
                }
                c.prepare_cached("DELETE FROM outbox_events WHERE seq <= ?1")
                    .and_then(|mut s| s.execute([last]))
                    .map_err(db_error)?;
                Ok(events.len())
            })
            .await
    }

    async fn webhook_endpoints(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        self.read(endpoints).await
    }

    async fn webhook_endpoint(&self, id: Id) -> StoreResult<Option<WebhookEndpoint>> {
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"
            ))
            .and_then(|mut s| s.query_row([id.to_string()], endpoint_row).optional())
            .map_err(db_error)
        })
        .await
    }

    async fn add_webhook_endpoint(&self, e: WebhookEndpoint) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                c.prepare_cached(&format!(
                    "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ))
                .and_then(|mut s| {
                    s.execute(params![
                        e.id.to_string(),
                        e.url,
                        e.description,
                        json_column(&e.events)?,
                        e.active,
                        e.disabled_reason,
                        e.secret,
                        e.created_at.millis(),
                        e.updated_at.millis(),
                    ])
                })
                .map(drop)
                .map_err(db_error)
            })
            .await
    }

    async fn update_webhook_endpoint(
        &self,
        e: WebhookEndpoint,
        read_at: Timestamp,
    ) -> StoreResult<bool> {
        self.writer
            .write(move |c| {
                c.prepare_cached(
                    "UPDATE webhook_endpoints SET url = ?2, description = ?3, events = ?4, \
                     active = ?5, disabled_reason = ?6, secret = ?7, updated_at = ?8 \
                     WHERE id = ?1 AND updated_at = ?9",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        e.id.to_string(),
                        e.url,
                        e.description,
                        json_column(&e.events)?,
                        e.active,
                        e.disabled_reason,
                        e.secret,
                        e.updated_at.millis(),
                        read_at.millis(),
                    ])
                })
                .map(|n| n > 0)
                .map_err(db_error)
            })
            .await
    }

    async fn delete_webhook_endpoint(&self, id: Id) -> StoreResult<bool> {
        self.writer
            .write(move |c| {
                c.execute(
                    "DELETE FROM webhook_endpoints WHERE id = ?1",
                    [id.to_string()],
                )
                .map(|n| n > 0)
                .map_err(db_error)
            })
            .await
    }

    async fn disable_webhook_endpoint(
        &self,
        id: Id,
        url: String,
        reason: String,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                c.execute(
                    "UPDATE webhook_endpoints SET active = 0, disabled_reason = ?3, \
                     updated_at = max(updated_at + 1, ?4) WHERE id = ?1 AND url = ?2",
                    params![id.to_string(), url, reason, at.millis()],
                )
                .map(drop)
                .map_err(db_error)
            })
            .await
    }

    async fn add_delivery(&self, delivery: Delivery) -> StoreResult<()> {
        self.writer
            .write(move |c| insert_delivery(c, &delivery))
            .await
    }

    async fn deliveries(&self, endpoint: Id, page: Page) -> StoreResult<Vec<Delivery>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
                     WHERE endpoint = ?1 AND (?2 IS NULL OR id < ?2) \
                     ORDER BY id DESC LIMIT ?3"
                ))
                .map_err(db_error)?;
            let rows = stmt
                .query_map(
                    params![
                        endpoint.to_string(),
                        page.before.map(|b| b.to_string()),
                        page.limit
                    ],
                    delivery_row,
                )
                .map_err(db_error)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_error)
        })
        .await
    }

    async fn claim_delivery(
        &self,
        endpoint: Id,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<Delivery>> {
        // Most looks find nothing due: they read, and write only to lease.
        const HEAD: &str = "SELECT seq, due_at FROM webhook_deliveries \
             WHERE endpoint = ?1 AND state = 'PENDING' ORDER BY seq LIMIT 1";
        const LEASED: &str = "SELECT EXISTS (SELECT 1 FROM webhook_deliveries \
             WHERE endpoint = ?1 AND state = 'PENDING' AND leased_until > ?2)";
        let due = move |c: &Connection| -> StoreResult<Option<i64>> {
            let head = c
                .prepare_cached(HEAD)
                .and_then(|mut s| {
                    s.query_row([endpoint.to_string()], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                    })
                    .optional()
                })
                .map_err(db_error)?;
            let Some((seq, _)) = head.filter(|(_, due)| *due <= now.millis()) else {
                return Ok(None);
            };
            let busy: bool = c
                .prepare_cached(LEASED)
                .and_then(|mut s| {
                    s.query_row(params![endpoint.to_string(), now.millis()], |r| r.get(0))
                })
                .map_err(db_error)?;
            Ok((!busy).then_some(seq))
        };
        if self.read(due).await?.is_none() {
            return Ok(None);
        }
        self.writer
            .write(move |c| {
                let Some(seq) = due(c)? else {
                    return Ok(None);
                };
                c.prepare_cached(&format!(
                    "UPDATE webhook_deliveries SET leased_until = ?2 WHERE seq = ?1 \
                     RETURNING {DELIVERY_COLUMNS}"
                ))
                .and_then(|mut s| s.query_row(params![seq, lease_until.millis()], delivery_row))
                .map(Some)
                .map_err(db_error)
            })
            .await
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<MailDelivery>> {
        const DUE: &str = "SELECT seq FROM mail_deliveries WHERE state = 'PENDING' \
             AND due_at <= ?1 AND leased_until <= ?1 ORDER BY seq LIMIT 1";
        let due = move |c: &Connection| -> StoreResult<Option<i64>> {
            c.prepare_cached(DUE)
                .and_then(|mut s| s.query_row([now.millis()], |r| r.get(0)).optional())
                .map_err(db_error)
        };
        if self.read(due).await?.is_none() {
            return Ok(None);
        }
        self.writer
            .write(move |c| {
                let Some(seq) = due(c)? else {
                    return Ok(None);
                };
                c.prepare_cached(
                    "UPDATE mail_deliveries SET leased_until = ?2 WHERE seq = ?1 \
                     RETURNING id, event_id, body, retry_until, attempts",
                )
                .and_then(|mut s| {
                    s.query_row(params![seq, lease_until.millis()], |r| {
                        Ok(MailDelivery {
                            id: id_column(r, 0)?,
                            event_id: r.get(1)?,
                            body: r.get(2)?,
                            retry_until: Timestamp::from_millis(r.get(3)?),
                            attempts: json_value(r, 4)?,
                        })
                    })
                })
                .map(Some)
                .map_err(db_error)
            })
            .await
    }

    async fn redeliver(
        &self,
        endpoint: Id,
        delivery: Id,
        now: Timestamp,
        retry_until: Timestamp,
    ) -> StoreResult<Requeue> {
        self.writer
            .write(move |c| {
                let found: Option<(String, i64)> = c
                    .query_row(
                        "SELECT state, leased_until FROM webhook_deliveries \
                         WHERE id = ?2 AND endpoint = ?1",
                        params![endpoint.to_string(), delivery.to_string()],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(db_error)?;
                match found {
                    None => return Ok(Requeue::NotFound),
                    Some((state, leased)) if state == "PENDING" && leased > now.millis() => {
                        return Ok(Requeue::InFlight)
                    }
                    Some(_) => {}
                }
                c.execute(
                    "UPDATE webhook_deliveries SET state = 'PENDING', due_at = ?2, \
                     retry_until = ?3 WHERE id = ?1",
                    params![delivery.to_string(), now.millis(), retry_until.millis()],
                )
                .map_err(db_error)?;
                Ok(Requeue::Queued)
            })
            .await
    }

    async fn forget_deliveries(&self, before: Timestamp) -> StoreResult<u64> {
        self.writer
            .write(move |c| {
                let mut forgotten = 0;
                for table in ["webhook_deliveries", "mail_deliveries"] {
                    forgotten += c
                        .execute(
                            &format!(
                                "DELETE FROM {table} WHERE seq IN (SELECT seq FROM {table} \
                                 WHERE state <> 'PENDING' AND due_at < ?1 LIMIT 1000)"
                            ),
                            [before.millis()],
                        )
                        .map_err(db_error)? as u64;
                }
                Ok(forgotten)
            })
            .await
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
            Queue::Webhooks => "webhook_deliveries",
            Queue::Mail => "mail_deliveries",
        };
        self.save_attempt(table, id, lease_until, attempt, state, due_at)
            .await
    }
}
