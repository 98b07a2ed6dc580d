//! The live hub: every order creation and status change (and every stock
//! change) goes out as an event, through a plain WebSocket at `/ws` and
//! through socket.io as `order-updated`, exactly the seed's event name.
//!
//! Each connection reads the hub through its own `Audience`, so deciding who
//! may see which order is one function, not a concern of every door.

use crate::domain::{Id, Order, Product};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use socketioxide::extract::SocketRef;
use socketioxide::SocketIo;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many events a slow connection may fall behind before it is told to resync.
const HUB_CAPACITY: usize = 1024;

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "kebab-case")]
pub enum LiveEvent {
    OrderUpdated(Arc<Order>),
    ProductUpdated(Arc<Product>),
    /// Sent to one connection that fell behind: refetch what you show.
    Resync,
}

impl LiveEvent {
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::OrderUpdated(_) => "order-updated",
            LiveEvent::ProductUpdated(_) => "product-updated",
            LiveEvent::Resync => "resync",
        }
    }

    fn order_id(&self) -> Option<Id> {
        match self {
            LiveEvent::OrderUpdated(o) => Some(o.id),
            _ => None,
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

/// Which events one connection receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every event.
    Everything,
    /// Only these orders' events (and the public catalogue's stock changes).
    Orders(Vec<Id>),
}

impl Audience {
    pub fn sees(&self, event: &LiveEvent) -> bool {
        match (self, event.order_id()) {
            (Audience::Everything, _) | (_, None) => true,
            (Audience::Orders(ids), Some(id)) => ids.contains(&id),
        }
    }
}

/// `GET /ws`: the Leptos client's live feed, one JSON text frame per event
/// (`{"event": "order-updated", "data": {…order…}}`).
pub async fn websocket(State(hub): State<LiveHub>, upgrade: WebSocketUpgrade) -> Response {
    // A small read buffer: clients barely send, and axum zero-fills the whole
    // buffer on every read attempt (see ARCHITECTURE.md, live updates).
    upgrade
        .read_buffer_size(4096)
        .on_upgrade(move |socket| feed_websocket(socket, hub.subscribe(), Audience::Everything))
}

async fn feed_websocket(
    socket: WebSocket,
    mut events: broadcast::Receiver<LiveEvent>,
    audience: Audience,
) {
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            received = events.recv() => {
                let mut batch = Vec::new();
                match received {
                    Ok(event) => batch.push(event),
                    Err(broadcast::error::RecvError::Lagged(_)) => batch.push(LiveEvent::Resync),
                    Err(broadcast::error::RecvError::Closed) => break,
                }
                // Write everything already queued, then flush once.
                while let Ok(event) = events.try_recv() {
                    batch.push(event);
                }
                let mut failed = false;
                for event in batch.iter().filter(|e| audience.sees(e)) {
                    let text = serde_json::to_string(event).expect("events serialize");
                    if sink.feed(Message::Text(text.into())).await.is_err() {
                        failed = true;
                        break;
                    }
                }
                if failed || sink.flush().await.is_err() {
                    break;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Starts the socket.io side: every connection joins the room of what it may
/// see, and one task forwards hub events into those rooms.
pub fn serve_socket_io(io: SocketIo, hub: &LiveHub) {
    io.ns("/", async |socket: SocketRef| {
        socket.join(EVERYTHING_ROOM);
    });
    let mut events = hub.subscribe();
    tokio::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "socket.io forwarder fell behind");
                    LiveEvent::Resync
                }
                Err(broadcast::error::RecvError::Closed) => break,
            };
            let rooms = match event.order_id() {
                Some(id) => vec![EVERYTHING_ROOM.to_string(), order_room(id)],
                None => vec![EVERYTHING_ROOM.to_string()],
            };
            let payload = match &event {
                LiveEvent::OrderUpdated(order) => serde_json::to_value(order.as_ref()),
                LiveEvent::ProductUpdated(product) => serde_json::to_value(product.as_ref()),
                LiveEvent::Resync => Ok(serde_json::Value::Null),
            }
            .expect("events serialize");
            if let Err(e) = io.to(rooms).emit(event.name(), &payload).await {
                tracing::debug!(error = %e, "socket.io broadcast failed");
            }
        }
    });
}

const EVERYTHING_ROOM: &str = "everything";

fn order_room(id: Id) -> String {
    format!("order:{id}")
}
