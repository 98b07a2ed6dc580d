//! The browser's end of the live feed: a WebSocket to `/ws` opened after
//! hydration, read until it drops, then reopened with growing pauses. Every
//! (re)connection is reported as `Resync`, since events may have been missed
//! while it was down. On the server this does nothing.

use crate::domain::LiveMessage;

/// Follows the live feed for as long as the calling component lives.
/// `tracking_tokens` are the orders an anonymous visitor may follow; admins'
/// session cookies go along with the handshake by themselves.
pub fn follow_live_feed(tracking_tokens: Vec<String>, on_message: impl Fn(LiveMessage) + 'static) {
    #[cfg(feature = "hydrate")]
    browser::follow(tracking_tokens, on_message);
    #[cfg(not(feature = "hydrate"))]
    let _ = (tracking_tokens, on_message);
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::LiveMessage;
    use futures_util::StreamExt;
    use gloo_net::websocket::{futures::WebSocket, Message};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    const FIRST_PAUSE_MS: u32 = 500;
    const LONGEST_PAUSE_MS: u32 = 10_000;

    pub fn follow(tracking_tokens: Vec<String>, on_message: impl Fn(LiveMessage) + 'static) {
        let stopped = Arc::new(AtomicBool::new(false));
        let stop = stopped.clone();
        leptos::prelude::on_cleanup(move || stop.store(true, Ordering::Relaxed));
        leptos::task::spawn_local(async move {
            let mut pause = FIRST_PAUSE_MS;
            while !stopped.load(Ordering::Relaxed) {
                if let Ok(socket) = WebSocket::open(&feed_url(&tracking_tokens)) {
                    let (_, mut messages) = socket.split();
                    on_message(LiveMessage::Resync);
                    while let Some(Ok(message)) = messages.next().await {
                        if stopped.load(Ordering::Relaxed) {
                            return;
                        }
                        pause = FIRST_PAUSE_MS;
                        if let Message::Text(text) = message {
                            if let Ok(parsed) = serde_json::from_str::<LiveMessage>(&text) {
                                on_message(parsed);
                            }
                        }
                    }
                }
                gloo_timers::future::TimeoutFuture::new(pause).await;
                pause = (pause * 2).min(LONGEST_PAUSE_MS);
            }
        });
    }

    fn feed_url(tracking_tokens: &[String]) -> String {
        let location = web_sys::window().expect("a browser window").location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        let track = tracking_tokens.join(",");
        format!("{scheme}://{host}/ws?track={track}")
    }
}
