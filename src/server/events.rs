//! The live hub: every committed change goes out as an event to whoever is
//! listening — the WebSocket and socket.io doors (`live`) and, later, the
//! webhook worker. Knows nothing of who may see what.

use crate::domain::{Order, Product};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many events a slow connection may fall behind before it is told to resync.
const HUB_CAPACITY: usize = 1024;

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "kebab-case")]
pub enum LiveEvent {
    OrderUpdated(Arc<Order>),
    ProductUpdated(Arc<Product>),
    /// A product's stock fell to its low-stock threshold (admins only).
    LowStock(Arc<Product>),
    /// Sent to one connection that fell behind: refetch what you show.
    Resync,
}

impl LiveEvent {
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::OrderUpdated(_) => "order-updated",
            LiveEvent::ProductUpdated(_) => "product-updated",
            LiveEvent::LowStock(_) => "low-stock",
            LiveEvent::Resync => "resync",
        }
    }
}

#[derive(Clone)]
pub struct LiveHub {
    events: broadcast::Sender<LiveEvent>,
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub {
            events: broadcast::channel(HUB_CAPACITY).0,
        }
    }
}

impl LiveHub {
    pub fn publish(&self, event: LiveEvent) {
        // No receiver is fine: nobody is watching.
        let _ = self.events.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.events.subscribe()
    }
}
