//! Webhook endpoints: subscribing URLs, their secrets, and their deliveries
//! (listed, sent again by hand, or a ping). Sending is `server::webhooks`.

use super::Service;
use crate::domain::webhook::{
    self, Delivery, NewWebhook, WebhookEndpoint, WebhookPatch, WebhookWithSecret, PING_EVENT,
};
use crate::domain::{AppError, Id, Page, Timestamp};
use crate::server::store::Requeue;
use crate::server::webhooks::{checked_url, new_secret, retry_until};

impl Service {
    pub async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, AppError> {
        self.store.webhook_endpoints().await
    }

    pub async fn webhook_endpoint(&self, id: Id) -> Result<WebhookEndpoint, AppError> {
        self.store
            .webhook_endpoint(id)
            .await?
            .ok_or_else(|| AppError::not_found("webhook", id))
    }

    /// Subscribes a URL; the answer carries the secret, shown this once.
    pub async fn add_webhook(&self, input: NewWebhook) -> Result<WebhookWithSecret, AppError> {
        let events = webhook::subscription(&input.events)?;
        let description = webhook::description(input.description.as_deref().unwrap_or(""))?;
        let url = checked_url(&input.url, self.webhooks.allow_private).await?;
        let now = Timestamp::now();
        let endpoint = WebhookEndpoint {
            id: Id::generate(),
            url: url.to_string(),
            description,
            events,
            active: true,
            disabled_reason: None,
            secret: new_secret()?,
            created_at: now,
            updated_at: now,
        };
        self.store.add_webhook_endpoint(endpoint.clone()).await?;
        Ok(with_secret(endpoint))
    }

    pub async fn change_webhook(
        &self,
        id: Id,
        patch: WebhookPatch,
    ) -> Result<WebhookEndpoint, AppError> {
        let events = patch
            .events
            .as_deref()
            .map(webhook::subscription)
            .transpose()?;
        let description = patch
            .description
            .as_deref()
            .map(webhook::description)
            .transpose()?;
        let url = match &patch.url {
            Some(url) => Some(
                checked_url(url, self.webhooks.allow_private)
                    .await?
                    .to_string(),
            ),
            None => None,
        };
        let changed = self
            .edit_webhook(id, |endpoint| {
                if let Some(events) = &events {
                    endpoint.events = events.clone();
                }
                if let Some(description) = &description {
                    endpoint.description = description.clone();
                }
                if let Some(url) = &url {
                    endpoint.url = url.clone();
                }
                if let Some(active) = patch.active {
                    endpoint.active = active;
                    if active {
                        endpoint.disabled_reason = None;
                    }
                }
            })
            .await?;
        self.outbox.notify_one();
        Ok(changed)
    }

    /// A new secret for the endpoint; it signs from the next request on.
    pub async fn rotate_webhook_secret(&self, id: Id) -> Result<WebhookWithSecret, AppError> {
        let secret = new_secret()?;
        let rotated = self
            .edit_webhook(id, |endpoint| endpoint.secret = secret.clone())
            .await?;
        Ok(with_secret(rotated))
    }

    /// Applies `edit` to the endpoint as it is now, written only over what
    /// was read: an admin's change and the sender switching the endpoint
    /// off (410) never undo each other, and a deleted endpoint stays gone.
    async fn edit_webhook(
        &self,
        id: Id,
        edit: impl Fn(&mut WebhookEndpoint),
    ) -> Result<WebhookEndpoint, AppError> {
        for _ in 0..super::CHANGE_RETRIES {
            let mut endpoint = self.webhook_endpoint(id).await?;
            let read_at = endpoint.updated_at;
            edit(&mut endpoint);
            endpoint.updated_at =
                Timestamp::from_millis(Timestamp::now().millis().max(read_at.millis() + 1));
            if self
                .store
                .update_webhook_endpoint(endpoint.clone(), read_at)
                .await?
            {
                return Ok(endpoint);
            }
        }
        Err(AppError::Unavailable)
    }

    pub async fn delete_webhook(&self, id: Id) -> Result<(), AppError> {
        if self.store.delete_webhook_endpoint(id).await? {
            Ok(())
        } else {
            Err(AppError::not_found("webhook", id))
        }
    }

    /// An endpoint and its deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        id: Id,
        page: Page,
    ) -> Result<(WebhookEndpoint, Vec<Delivery>), AppError> {
        let endpoint = self.webhook_endpoint(id).await?;
        Ok((endpoint, self.store.deliveries(id, page).await?))
    }

    /// Sends a delivery again: it goes back to its place in the endpoint's
    /// queue (its event's), due now, with a fresh day of retries. A disabled
    /// endpoint's waits until it is switched on.
    pub async fn redeliver(&self, id: Id, delivery: Id) -> Result<(), AppError> {
        self.webhook_endpoint(id).await?;
        let now = Timestamp::now();
        let until = retry_until(now, &self.webhooks.retries);
        match self.store.redeliver(id, delivery, now, until).await? {
            Requeue::Queued => {
                self.outbox.notify_one();
                Ok(())
            }
            Requeue::InFlight => Err(AppError::Busy {
                message: "This delivery is being sent right now; send it again once that attempt is recorded".into(),
            }),
            Requeue::NotFound => Err(AppError::not_found("delivery", delivery)),
        }
    }

    /// Queues a `webhook.ping` event for this endpoint alone.
    pub async fn ping_webhook(&self, id: Id) -> Result<Delivery, AppError> {
        let endpoint = self.webhook_endpoint(id).await?;
        let now = Timestamp::now();
        let event_id = format!("evt_{}", Id::generate());
        let body = serde_json::json!({
            "id": event_id,
            "type": PING_EVENT,
            "createdAt": now,
            "data": { "webhook": endpoint.id },
        })
        .to_string();
        let delivery = Delivery::new(
            endpoint.id,
            event_id,
            PING_EVENT.into(),
            now,
            body,
            now,
            retry_until(now, &self.webhooks.retries),
        );
        self.store.add_delivery(delivery.clone()).await?;
        self.outbox.notify_one();
        Ok(delivery)
    }

    /// Events waiting in the outbox, and when the oldest happened.
    pub async fn outbox_backlog(&self) -> Result<(u64, Option<Timestamp>), AppError> {
        self.store.outbox_backlog().await
    }
}

fn with_secret(endpoint: WebhookEndpoint) -> WebhookWithSecret {
    WebhookWithSecret {
        secret: endpoint.secret.clone(),
        endpoint,
    }
}
