//! Listeners on a test server's live feeds — the WebSocket at `/ws` and a
//! real socket.io client (npm `socket.io-client`, run by node) — whose every
//! wait has a timeout: a lost event fails the test, it does not hang it.

#![allow(dead_code)]

use super::ADMIN_TOKEN;
use futures_util::StreamExt;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a listener waits for the next event before the test fails.
pub const EVENT_WAIT: Duration = Duration::from_secs(30);

pub type LiveFeed = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket on the live feed of the server at `base` (`http://…`),
/// with `query` (e.g. `?track=TOKEN`), as the admin when `admin`.
pub async fn live_feed(base: &str, query: &str, admin: bool) -> LiveFeed {
    live_feed_as(base, query, admin.then_some(ADMIN_TOKEN)).await
}

/// A WebSocket on the live feed with `bearer` as its token, if any.
pub async fn live_feed_as(base: &str, query: &str, bearer: Option<&str>) -> LiveFeed {
    let url = format!("{}/ws{query}", base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = bearer {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// Whether the server closes the feed within `wait` (events before the
/// close are skipped).
pub async fn closed_within(feed: &mut LiveFeed, wait: Duration) -> bool {
    use tokio_tungstenite::tungstenite::Message;
    tokio::time::timeout(wait, async {
        loop {
            match feed.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// The next event, `{"event": …, "data": …}`.
pub async fn next_event(feed: &mut LiveFeed) -> Value {
    let message = tokio::time::timeout(EVENT_WAIT, feed.next())
        .await
        .expect("an event arrives in time")
        .expect("the feed is open")
        .expect("the feed is readable");
    serde_json::from_str(message.to_text().unwrap()).unwrap()
}

/// The order of the next `order-updated` event, skipping other events.
pub async fn next_order_event(feed: &mut LiveFeed) -> Value {
    loop {
        let event = next_event(feed).await;
        if event["event"] == "order-updated" {
            return event["data"].clone();
        }
    }
}

/// A socket.io client connected with `auth: { token }`, reporting each
/// `order-updated` order it receives; stopped when dropped.
pub struct SocketIoListener {
    node: Child,
    lines: Receiver<String>,
}

impl SocketIoListener {
    /// Connects to the server at `base` and waits until it has.
    pub fn connect(base: &str, token: &str) -> SocketIoListener {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/socketio_listener.mjs");
        let mut node = Command::new("node")
            .arg(script)
            .arg(base)
            .arg(token)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs (the README's test command installs it)");
        let (tx, lines) = std::sync::mpsc::channel::<String>();
        let stdout = node.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let listener = SocketIoListener { node, lines };
        assert_eq!(
            listener.lines.recv_timeout(EVENT_WAIT).as_deref(),
            Ok("connected")
        );
        listener
    }

    /// The next order it receives; fails the test after `EVENT_WAIT`.
    pub fn next_order(&self) -> Value {
        self.next_order_within(EVENT_WAIT)
            .expect("the socket.io client receives an order in time")
    }

    /// The next order it receives within `wait`, if any.
    pub fn next_order_within(&self, wait: Duration) -> Option<Value> {
        let line = self.lines.recv_timeout(wait).ok()?;
        let received: Value = serde_json::from_str(&line).unwrap();
        assert!(
            received.get("disconnected").is_none(),
            "the server closed the connection: {received}"
        );
        Some(received)
    }

    /// Whether the server disconnects it within `wait` (orders before that
    /// are skipped).
    pub fn disconnected_within(&self, wait: Duration) -> bool {
        let deadline = std::time::Instant::now() + wait;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains("\"disconnected\"") => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }
}

impl Drop for SocketIoListener {
    fn drop(&mut self) {
        let _ = self.node.kill();
        let _ = self.node.wait();
    }
}
