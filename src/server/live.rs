//! The live hub: every order creation and status change (and every stock
//! change) goes out as an event, through a plain WebSocket at `/ws` and
//! through socket.io as `order-updated`, exactly the seed's event name.
//!
//! Each connection reads the hub through its own `Audience`, so deciding who
//! may see which order is one function, not a concern of every door.

use crate::domain::{Id, Permission};
use crate::server::api::error::ApiResult;
use crate::server::api::extract::ApiQuery;
use crate::server::auth::{AdminAccess, Caller};
pub use crate::server::events::{LiveEvent, LiveHub};
use crate::server::http::AppState;
use crate::server::metrics::metrics;
use crate::server::service::{Service, StaffCaller};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use socketioxide::extract::{Data, SocketRef};
use socketioxide::{SendError, SocketError, SocketIo};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, Notify};

/// Which events one connection receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every event: staff (every role sees orders), whose credential is
    /// asked again now and then.
    Staff(StaffCaller),
    /// Only these orders' events (and the public catalogue's stock changes).
    Orders(Vec<Id>),
}

impl Audience {
    /// Staff see everything; anyone else, the orders whose tracking tokens
    /// they present (each unknown token is ignored).
    pub async fn of(caller: Caller, tracking_tokens: &[String], service: &Service) -> Audience {
        if let Ok(staff) = caller.may(Permission::SeeOrders) {
            return Audience::Staff(staff.clone());
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
            (Audience::Staff(_), _) => Some(event.clone()),
            (Audience::Orders(ids), LiveEvent::OrderUpdated(order)) => ids
                .contains(&order.id)
                .then(|| LiveEvent::OrderUpdated(Arc::new(order.as_ref().clone().for_customer()))),
            (Audience::Orders(_), LiveEvent::LowStock(_)) => None,
            (Audience::Orders(_), other) => Some(other.clone()),
        }
    }

    /// Whether the connection may stay open: a staff connection closes once
    /// its token is revoked, its session ended or its member deactivated.
    async fn still_admitted(&self, service: &Service) -> bool {
        match self {
            // Unanswered is no: a connection whose access cannot be
            // confirmed closes (the client reconnects and asks again).
            Audience::Staff(staff) => service.still_admitted(staff).await.unwrap_or(false),
            Audience::Orders(_) => true,
        }
    }
}

/// How often a staff connection's credential is asked again.
const ADMISSION_RECHECK: Duration = Duration::from_secs(5);

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
        .on_upgrade(move |socket| feed_websocket(socket, events, audience, state.service)))
}

async fn feed_websocket(
    socket: WebSocket,
    mut events: broadcast::Receiver<LiveEvent>,
    audience: Audience,
    service: Service,
) {
    let _counted = metrics().live_connection("websocket");
    let (mut sink, mut stream) = socket.split();
    let mut recheck = tokio::time::interval(ADMISSION_RECHECK);
    recheck.tick().await;
    loop {
        tokio::select! {
            _ = recheck.tick() => {
                if !audience.still_admitted(&service).await {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            }
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

/// Starts the socket.io side: each connection gets the hub's events through
/// its own `Audience`, by the same rule as the WebSocket (admins, by the
/// admin token or their session cookie, see everything; a tracking token's
/// holder their order; everyone the catalogue).
pub fn serve_socket_io(io: SocketIo, hub: &LiveHub, service: Service, access: AdminAccess) {
    let hub = hub.clone();
    io.ns(
        "/",
        async move |socket: SocketRef, Data(auth): Data<SocketAuth>| {
            let gone = Arc::new(Notify::new());
            let notify = gone.clone();
            socket.on_disconnect(async move || notify.notify_one());
            let events = hub.subscribe();
            let token = auth.token.unwrap_or_default();
            let by_token = if access.admits(&token) {
                Some(StaffCaller::admin_token())
            } else {
                service.token_caller(&token).await.ok().flatten()
            };
            let caller = match by_token {
                Some(staff) => Caller::Staff(staff),
                None => Caller::identify(socket.req_parts(), &access, &service)
                    .await
                    .unwrap_or(Caller::Anonymous),
            };
            let audience = Audience::of(caller, &[token], &service).await;
            let counted = metrics().live_connection("socketio");
            tokio::spawn(async move {
                feed_socket_io(socket, events, audience, gone, service).await;
                drop(counted);
            });
        },
    );
}

/// Forwards the hub to one socket until it disconnects. A burst that
/// fills the socket's buffer drops events for it, so it is told to resync
/// as soon as there is room again.
async fn feed_socket_io(
    socket: SocketRef,
    mut events: broadcast::Receiver<LiveEvent>,
    audience: Audience,
    gone: Arc<Notify>,
    service: Service,
) {
    let mut missed = false;
    let mut recheck = tokio::time::interval(ADMISSION_RECHECK);
    recheck.tick().await;
    loop {
        let event = tokio::select! {
            _ = recheck.tick() => {
                if audience.still_admitted(&service).await {
                    continue;
                }
                let _ = socket.disconnect();
                break;
            }
            received = events.recv() => match received {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(_)) => LiveEvent::Resync,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = gone.notified() => break,
        };
        let Some(event) = audience.view(&event) else {
            continue;
        };
        if missed {
            missed = emit(&socket, &LiveEvent::Resync).is_err();
        }
        match emit(&socket, &event) {
            Ok(()) => {}
            Err(SendError::Socket(SocketError::Closed)) => break,
            Err(e) => {
                tracing::debug!(error = %e, "a socket.io client missed an event");
                missed = true;
            }
        }
    }
}

fn emit(socket: &SocketRef, event: &LiveEvent) -> Result<(), SendError> {
    match event {
        LiveEvent::OrderUpdated(order) => socket.emit(event.name(), order.as_ref()),
        LiveEvent::ProductUpdated(product) | LiveEvent::LowStock(product) => {
            socket.emit(event.name(), product.as_ref())
        }
        LiveEvent::Resync => socket.emit(event.name(), &()),
    }
}
