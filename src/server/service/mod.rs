//! The order engine. Every rule lives here or in `domain`: the service loads
//! what a command needs, the domain decides what follows, and the store
//! applies the resulting `Change` atomically. After a commit the service
//! announces what it applied on the live hub (unless the store's own change
//! feed does, for every instance). Routes and server functions parse and
//! authorize, then call in. One module per OMS area.

mod callers;
mod catalogue;
mod customers;
mod dashboard;
mod integration_events;
mod orders;
mod shop;
mod sign_in;
mod staff;
mod webhooks;

pub use callers::{Credential, StaffCaller};
pub use orders::{OrderCommand, Placement, MAX_IDEMPOTENCY_KEY_CHARS};

use crate::domain::{fallen_to_threshold, AppError, Order, Product, StockMovement};
use crate::server::events::{LiveEvent, LiveHub};
use crate::server::mail::{MailSender, MailSettings};
use crate::server::store::SharedStore;
use crate::server::webhooks::WebhookSettings;
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// How often a change decided on data that moved meanwhile (a lost race) is
/// re-read and decided again before the caller is told to retry.
const CHANGE_RETRIES: usize = 5;

/// Returns once the shop closes (`Service::close`), or is gone.
pub async fn closed(closing: &mut watch::Receiver<bool>) {
    let _ = closing.wait_for(|closed| *closed).await;
}

#[derive(Clone)]
pub struct Service {
    store: SharedStore,
    hub: LiveHub,
    /// False when the store feeds the hub from the database's own change
    /// feed, which carries every instance's changes, this one's included:
    /// announcing them here as well would send each twice.
    announces: bool,
    webhooks: WebhookSettings,
    /// Rung after every change this instance commits, so the webhook sender
    /// hands its events on at once.
    outbox: Arc<Notify>,
    /// Email notifications, when an SMTP server is configured.
    mail: Option<Arc<MailSettings>>,
    /// `IGNIFLO_PUBLIC_URL`: the shop's address, put in front of the
    /// set-password links owners pass on.
    public_url: Option<String>,
    /// Set when the shop closes: the webhook and mail senders stop with
    /// their store.
    closing: Arc<watch::Sender<bool>>,
}

impl Service {
    pub fn new(store: SharedStore, hub: LiveHub) -> Service {
        let announces = !store.watch_changes(&hub);
        Service {
            store,
            hub,
            announces,
            webhooks: WebhookSettings::default(),
            outbox: Arc::new(Notify::new()),
            mail: None,
            public_url: None,
            closing: Arc::new(watch::Sender::new(false)),
        }
    }

    /// The shop's public address, for links handed to people.
    pub fn with_public_url(mut self, url: Option<String>) -> Service {
        self.public_url = url;
        self
    }

    /// Writes emails for customers and staff into the outbox from now on,
    /// and starts sending them.
    pub fn send_mail(mut self, settings: MailSettings) -> Result<Service, String> {
        MailSender::start(
            self.store.clone(),
            &settings,
            self.webhooks.retries,
            self.closing.subscribe(),
        )?;
        self.mail = Some(Arc::new(settings));
        Ok(self)
    }

    /// Sets how webhooks are sent, and starts sending them.
    pub fn send_webhooks(mut self, settings: WebhookSettings) -> Service {
        self.webhooks = settings;
        crate::server::webhooks::WebhookSender::start(
            self.store.clone(),
            settings,
            self.outbox.clone(),
            self.closing.subscribe(),
        );
        self
    }

    pub fn hub(&self) -> &LiveHub {
        &self.hub
    }

    pub async fn ready(&self) -> Result<(), AppError> {
        self.store.ping().await
    }

    pub async fn close(&self) {
        self.closing.send_replace(true);
        self.store.close().await
    }

    /// Wakes the webhook sender for the change's events, and tells the live
    /// hub what the change did: the order it wrote, the products whose stock
    /// or details it changed, and each product it took down to its
    /// low-stock threshold.
    fn announce(&self, order: Option<&Order>, products: &[Product], movements: &[StockMovement]) {
        self.outbox.notify_one();
        if !self.announces {
            return;
        }
        if let Some(order) = order {
            self.hub
                .publish(LiveEvent::OrderUpdated(Arc::new(order.clone())));
        }
        for product in products {
            self.hub
                .publish(LiveEvent::ProductUpdated(Arc::new(product.clone())));
        }
        for product in fallen_to_threshold(products, movements) {
            self.hub
                .publish(LiveEvent::LowStock(Arc::new(product.clone())));
        }
    }
}
