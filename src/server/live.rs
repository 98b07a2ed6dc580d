//! The live hub: every order creation and status change (and every stock
//! change) goes out as an event, through a plain WebSocket at `/ws` and
//! through socket.io as `order-updated`, exactly the seed's event name.
//!
//! Each connection reads the hub through its own `Audience`, so deciding who
//! may see which order is one function, not a concern of every door.

use crate::domain::{Id, Order, Product};
use crate::server::api::error::ApiResult;
use crate::server::api::extract::ApiQuery;
use crate::server::auth::{session_cookie, AdminAccess, Caller};
use crate::server::http::AppState;
use crate::server::service::Service;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use socketioxide::extract::{Data, SocketRef};
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

/// Which events one connection receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every event.
    Everything,
    /// Only these orders' events (and the public catalogue's stock changes).
    Orders(Vec<Id>),
}

impl Audience {
    /// Admins see everything; anyone else, the orders whose tracking tokens
    /// they present (each unknown token is ignored).
    pub async fn of(caller: Caller, tracking_tokens: &[String], service: &Service) -> Audience {
        if caller == Caller::Admin {
            return Audience::Everything;
        }
        let mut orders = Vec::new();
        for token in tracking_tokens.iter().take(MAX_TRACKED_ORDERS) {
            if let Ok(order) = service.tracked_order(token).await {
                orders.push(order.id);
            }
        }
        Audience::Orders(orders)
    }

    /// The event as this audience may see it, or None if it may not.
    pub fn view(&self, event: &LiveEvent) -> Option<LiveEvent> {
        match (self, event) {
            (Audience::Everything, _) => Some(event.clone()),
            (Audience::Orders(ids), LiveEvent::OrderUpdated(order)) => ids
                .contains(&order.id)
                .then(|| LiveEvent::OrderUpdated(Arc::new(order.as_ref().clone().for_customer()))),
            (Audience::Orders(_), LiveEvent::LowStock(_)) => None,
            (Audience::Orders(_), other) => Some(other.clone()),
        }
    }
}

/// Most orders one connection may follow by tracking token.
const MAX_TRACKED_ORDERS: usize = 50;

#[derive(Deserialize, Default)]
pub struct LiveQuery {
    /// Tracking tokens, comma-separated, for the orders to follow.
    #[serde(default)]
    track: String,
}

/// `GET /ws`: the Leptos client's live feed, one JSON text frame per event
/// (`{"event": "order-updated", "data": {…order…}}`). Admins (session cookie
/// or bearer token) get every event; others add `?track=TOKEN,TOKEN` to
/// follow their own orders.
pub async fn websocket(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<LiveQuery>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    let tokens: Vec<String> = query
        .track
        .split(',')
        .map(str::to_string)
        .filter(|t| !t.is_empty())
        .collect();
    let audience = Audience::of(caller, &tokens, &state.service).await;
    let events = state.hub.subscribe();
    // A small read buffer: clients barely send, and axum zero-fills the whole
    // buffer on every read attempt (see ARCHITECTURE.md, live updates).
    Ok(upgrade
        .read_buffer_size(4096)
        .on_upgrade(move |socket| feed_websocket(socket, events, audience)))
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
                for event in batch.iter().filter_map(|e| audience.view(e)) {
                    let text = serde_json::to_string(&event).expect("events serialize");
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

/// The socket.io handshake's `auth`: `{ token }`, the admin token or an
/// order's tracking token.
#[derive(Deserialize, Default)]
struct SocketAuth {
    #[serde(default)]
    token: Option<String>,
}

/// Starts the socket.io side: each connection joins the rooms of what it may
/// see (admins: everything; tracking-token holders: their order), everyone
/// the catalogue; one task forwards hub events into those rooms.
pub fn serve_socket_io(io: SocketIo, hub: &LiveHub, service: Service, access: AdminAccess) {
    io.ns(
        "/",
        async move |socket: SocketRef, Data(auth): Data<SocketAuth>| {
            socket.join(CATALOGUE_ROOM);
            let headers = &socket.req_parts().headers;
            let token = auth.token.unwrap_or_default();
            let is_admin = access
                .token
                .as_deref()
                .is_some_and(|t| crate::server::auth::same_secret(t, &token))
                || match session_cookie(headers) {
                    Some(cookie) => service
                        .admin_session_is_valid(cookie)
                        .await
                        .unwrap_or(false),
                    None => false,
                };
            if is_admin {
                socket.join(EVERYTHING_ROOM);
            } else if let Ok(order) = service.tracked_order(&token).await {
                socket.join(order_room(order.id));
            }
        },
    );
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
            let sent = match &event {
                LiveEvent::OrderUpdated(order) => {
                    let customer_view = order.as_ref().clone().for_customer();
                    let to_admins = io
                        .to(EVERYTHING_ROOM)
                        .emit(event.name(), order.as_ref())
                        .await;
                    let to_customer = io
                        .to(order_room(order.id))
                        .except(EVERYTHING_ROOM)
                        .emit(event.name(), &customer_view)
                        .await;
                    to_admins.and(to_customer)
                }
                LiveEvent::ProductUpdated(product) => {
                    io.to(CATALOGUE_ROOM)
                        .emit(event.name(), product.as_ref())
                        .await
                }
                LiveEvent::LowStock(product) => {
                    io.to(EVERYTHING_ROOM)
                        .emit(event.name(), product.as_ref())
                        .await
                }
                LiveEvent::Resync => io.emit(event.name(), &()).await,
            };
            if let Err(e) = sent {
                tracing::debug!(error = %e, "socket.io broadcast failed");
            }
        }
    });
}

const EVERYTHING_ROOM: &str = "everything";
const CATALOGUE_ROOM: &str = "catalogue";

fn order_room(id: Id) -> String {
    format!("order:{id}")
}
