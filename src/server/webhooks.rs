//! Delivering webhooks. Every change's events wait in the outbox (written in
//! the change's transaction); the sender hands them on to a delivery per
//! subscribed endpoint (and emails to the mail queue), then sends each endpoint's queue in order, one at a
//! time, each endpoint on its own task, so a slow or dead endpoint delays
//! only itself. A delivery is leased while it is sent, so with several
//! instances on MongoDB one sends it, and a dead instance's lease runs out.
//!
//! Requests are signed per the Standard Webhooks specification, follow no
//! redirects, read at most 64 KB of the answer, and never reach loopback,
//! private, link-local or multicast addresses (checked after DNS, at every
//! attempt) unless `IGNIFLO_WEBHOOK_ALLOW_PRIVATE=1`.

use crate::domain::webhook::{
    AfterAttempt, Delivery, DeliveryAttempt, DeliveryState, RetryPolicy, WebhookEndpoint,
};
use crate::domain::{AppError, Id, Timestamp};
use crate::server::metrics::metrics;
use crate::server::store::{Queue, SharedStore};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};

/// An endpoint has this long to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);
/// How much of an answer is read, and how much of it is kept.
const READ_AT_MOST: usize = 64 * 1024;
const KEEP_OF_ANSWER: usize = 1024;
/// A delivery being sent is held this long; then another instance may send it.
const LEASE: Duration = Duration::from_secs(60);
/// Finished deliveries are kept this many days, for the deliveries screen.
const KEEP_DELIVERIES_DAYS: i64 = 30;
/// How often old deliveries are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How long a webhook URL's host may take to resolve when it is saved.
const RESOLVE_WITHIN: Duration = Duration::from_secs(5);
/// How long the sender waits after a commit before handing the outbox on.
const GATHER: Duration = Duration::from_millis(20);
/// Events handed on per outbox transaction.
const DISPATCH_BATCH: u32 = 200;

/// How webhooks are sent (`IGNIFLO_WEBHOOK_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct WebhookSettings {
    /// `IGNIFLO_WEBHOOK_ALLOW_PRIVATE=1`: endpoints may be on loopback or
    /// private networks (tests, an integration on the same host).
    pub allow_private: bool,
    pub retries: RetryPolicy,
}

impl WebhookSettings {
    /// How often the sender looks for due retries and other instances' events.
    fn poll(&self) -> Duration {
        Duration::from_millis(self.retries.first_ms.clamp(100, 1000) as u64)
    }
}

/// A new signing secret: `whsec_` and the base64 of 24 random bytes.
pub fn new_secret() -> Result<String, AppError> {
    let key = crate::server::secrets::random_bytes::<24>()?;
    Ok(format!("whsec_{}", BASE64.encode(key)))
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the
/// secret's decoded bytes (Standard Webhooks).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, AppError> {
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|_| AppError::Internal)?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|_| AppError::Internal)?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

/// Whether an address is one the public internet routes to: not loopback,
/// private, link-local, shared (CGNAT), benchmarking, reserved, multicast,
/// broadcast or unspecified — nor an IPv6 address carrying such an IPv4
/// address (mapped, compatible, NAT64, 6to4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && c == 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
            };
            // ::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d (NAT64).
            if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0)
                || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
            {
                return !v6.is_unspecified()
                    && !v6.is_loopback()
                    && is_public(embedded(s[6], s[7]));
            }
            // 6to4: 2002:a.b.c.d::/48.
            if s[0] == 0x2002 {
                return is_public(embedded(s[1], s[2]));
            }
            !(v6.is_loopback()
                || v6.is_multicast()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1))
        }
    }
}

/// A webhook URL, checked: http or https with a host, and — unless private
/// addresses are allowed — resolving only to public addresses.
pub async fn checked_url(url: &str, allow_private: bool) -> Result<reqwest::Url, AppError> {
    let invalid = |message: String| AppError::invalid("url", message);
    let url = url.trim();
    if url.chars().count() > crate::domain::webhook::MAX_URL_CHARS {
        return Err(invalid(format!(
            "at most {} characters",
            crate::domain::webhook::MAX_URL_CHARS
        )));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        invalid(format!(
            "not a URL ({e}); expected e.g. https://example.com/hooks"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("must start with https:// or http://".into()));
    }
    let Some(host) = parsed.host_str() else {
        return Err(invalid("needs a host".into()));
    };
    if allow_private {
        return Ok(parsed);
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> =
        match tokio::time::timeout(RESOLVE_WITHIN, tokio::net::lookup_host((host, port))).await {
            Ok(Ok(found)) => found.collect(),
            Ok(Err(_)) => return Err(invalid(format!("{host} does not resolve to an address"))),
            Err(_) => {
                return Err(invalid(format!(
                    "{host} did not resolve within {} s",
                    RESOLVE_WITHIN.as_secs()
                )))
            }
        };
    if let Some(private) = addresses.iter().find(|a| !is_public(a.ip())) {
        return Err(invalid(format!(
            "{host} resolves to {}, a loopback, private or link-local address; \
             webhooks go only to public addresses",
            private.ip()
        )));
    }
    if addresses.is_empty() {
        return Err(invalid(format!("{host} does not resolve to an address")));
    }
    Ok(parsed)
}

/// Resolves hosts for deliveries, keeping only public addresses, so a name
/// that moved to a private address since the endpoint was saved is refused.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Sends every instance's webhooks from this one: started once at serve.
pub struct WebhookSender {
    store: SharedStore,
    client: reqwest::Client,
    settings: WebhookSettings,
    /// Endpoints whose queue a task of this instance is sending.
    sending: Mutex<HashSet<Id>>,
    /// Rung when this instance commits a change with events.
    outbox: Arc<Notify>,
}

impl WebhookSender {
    pub fn start(
        store: SharedStore,
        settings: WebhookSettings,
        outbox: Arc<Notify>,
        closing: watch::Receiver<bool>,
    ) {
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(ANSWER_WITHIN)
            .user_agent(concat!("Igniflo-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private {
            client = client.dns_resolver(Arc::new(PublicOnly));
        }
        let client = match client.build() {
            Ok(client) => client,
            Err(e) => {
                tracing::error!(error = %e, "cannot set up the webhook client; webhooks are off");
                return;
            }
        };
        let sender = Arc::new(WebhookSender {
            store,
            client,
            settings,
            sending: Mutex::new(HashSet::new()),
            outbox,
        });
        tokio::spawn(sender.run(closing));
    }

    /// Runs until the shop closes.
    async fn run(self: Arc<Self>, mut closing: watch::Receiver<bool>) {
        let mut swept_at = Instant::now() - SWEEP_EVERY;
        loop {
            self.hand_on_the_outbox().await;
            if swept_at.elapsed() >= SWEEP_EVERY {
                swept_at = Instant::now();
                self.forget_old_deliveries().await;
            }
            match self.store.webhook_endpoints().await {
                Ok(endpoints) => {
                    for endpoint in endpoints.into_iter().filter(|e| e.active) {
                        let idle = self
                            .sending
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(endpoint.id);
                        if idle {
                            tokio::spawn(self.clone().send_queue(endpoint));
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the webhook endpoints"),
            }
            tokio::select! {
                () = crate::server::service::closed(&mut closing) => return,
                // A moment for the changes committing with this one, so
                // a busy shop's events are handed on in batches.
                _ = self.outbox.notified() => tokio::time::sleep(GATHER).await,
                _ = tokio::time::sleep(self.settings.poll()) => {}
            }
        }
    }

    /// Forgets deliveries and emails finished more than
    /// `KEEP_DELIVERIES_DAYS` ago, a batch at a time.
    async fn forget_old_deliveries(&self) {
        let before = Timestamp::now().plus_days(-KEEP_DELIVERIES_DAYS);
        loop {
            match self.store.forget_deliveries(before).await {
                Ok(n) if n >= 1000 => continue,
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot forget old webhook deliveries");
                    return;
                }
            }
        }
    }

    /// Moves every waiting event on: to its webhook deliveries, or, for an
    /// email, to the mail queue (`server::mail` sends it).
    async fn hand_on_the_outbox(&self) {
        loop {
            let now = Timestamp::now();
            let until = retry_until(now, &self.settings.retries);
            match self.store.dispatch_outbox(DISPATCH_BATCH, now, until).await {
                Ok(taken) if taken == DISPATCH_BATCH as usize => continue,
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot hand the outbox on to webhook deliveries");
                    return;
                }
            }
        }
    }

    /// Sends an endpoint's due deliveries, oldest first, until none is due.
    /// The endpoint is read again after each: a change of its URL or
    /// secret, or switching it off, holds from the next request.
    async fn send_queue(self: Arc<Self>, mut endpoint: WebhookEndpoint) {
        let _sending = Sending(&self.sending, endpoint.id);
        loop {
            let now = Timestamp::now();
            let lease_until = Timestamp::from_millis(now.millis() + LEASE.as_millis() as i64);
            let delivery = match self
                .store
                .claim_delivery(endpoint.id, now, lease_until)
                .await
            {
                Ok(Some(delivery)) => delivery,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim a webhook delivery");
                    break;
                }
            };
            let attempt = self.attempt(&endpoint, &delivery).await;
            let after = self.settings.retries.after(
                &delivery.attempts,
                &attempt,
                delivery.retry_until,
                jitter(),
            );
            let (state, due_at, result) = after.outcome(attempt.at);
            metrics().webhook_attempt(result);
            if after == AfterAttempt::Gone {
                // Switched off first: should the attempt then go unrecorded,
                // the delivery is sent again once the endpoint is back on.
                tracing::warn!(endpoint = %endpoint.id, "a webhook endpoint answered 410 Gone; switched it off");
                let reason = "The endpoint answered 410 Gone.".to_string();
                if let Err(e) = self
                    .store
                    .disable_webhook_endpoint(
                        endpoint.id,
                        endpoint.url.clone(),
                        reason,
                        Timestamp::now(),
                    )
                    .await
                {
                    tracing::warn!(error = %e, "cannot switch a gone webhook endpoint off");
                }
            }
            match self
                .store
                .record_attempt(
                    Queue::Webhooks,
                    delivery.id,
                    lease_until,
                    attempt,
                    state,
                    due_at,
                )
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(delivery = %delivery.id, "a webhook attempt outlasted its lease; another instance sends it");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot record a webhook attempt");
                    break;
                }
            }
            if state == DeliveryState::Pending || after == AfterAttempt::Gone {
                break;
            }
            endpoint = match self.store.webhook_endpoint(endpoint.id).await {
                Ok(Some(endpoint)) if endpoint.active => endpoint,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read a webhook endpoint");
                    break;
                }
            };
        }
    }

    /// One signed request to the endpoint, and what came of it.
    async fn attempt(&self, endpoint: &WebhookEndpoint, delivery: &Delivery) -> DeliveryAttempt {
        let at = Timestamp::now();
        let started = Instant::now();
        let answer = self.send(endpoint, delivery, at).await;
        DeliveryAttempt::of(at, started.elapsed().as_millis() as u64, answer)
    }

    async fn send(
        &self,
        endpoint: &WebhookEndpoint,
        delivery: &Delivery,
        at: Timestamp,
    ) -> Result<(u16, String), String> {
        let url = reqwest::Url::parse(&endpoint.url).map_err(|e| e.to_string())?;
        if let Some(ip) = literal_ip(&url) {
            if !self.settings.allow_private && !is_public(ip) {
                return Err(format!("refused: {ip} is not a public address"));
            }
        }
        let seconds = at.millis().div_euclid(1000);
        let signed = signature(
            &endpoint.secret,
            &delivery.event_id,
            seconds,
            &delivery.body,
        )
        .map_err(|_| "the endpoint's secret is not valid base64".to_string())?;
        let mut response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", seconds.to_string())
            .header("webhook-signature", signed)
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let mut read = Vec::new();
        while read.len() < READ_AT_MOST {
            match response.chunk().await {
                Ok(Some(chunk)) => read.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        read.truncate(KEEP_OF_ANSWER);
        Ok((status, String::from_utf8_lossy(&read).into_owned()))
    }
}

/// Marks an endpoint's queue as being sent by this instance until dropped,
/// however the task sending it ends.
struct Sending<'a>(&'a Mutex<HashSet<Id>>, Id);

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.1);
    }
}

/// When a delivery made at `now` stops being retried.
pub fn retry_until(now: Timestamp, retries: &RetryPolicy) -> Timestamp {
    Timestamp::from_millis(now.millis().saturating_add(retries.give_up_after_ms))
}

/// A random number in [0, 1), to spread retries.
pub fn jitter() -> f64 {
    f64::from(crate::server::secrets::random_bytes::<1>().map_or(128, |b| b[0])) / 256.0
}

/// The address a URL names outright (then no DNS is asked, and no
/// resolver can refuse it).
fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// A failed request in a sentence: what went wrong, without the URL.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", ANSWER_WITHIN.as_secs());
    }
    let mut text = if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_example_does() {
        // The specification's own example secret, message id, time and body.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, id, 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:0101::1",
            "fec0::1",
            "198.18.0.1",
            "240.0.0.1",
            "ff02::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
            "64:ff9b::101:101",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked_before_they_are_saved() {
        let refused = |url: &'static str| async move { checked_url(url, false).await.unwrap_err() };
        for url in [
            "http://127.0.0.1/",
            "http://[::1]:8080/x",
            "http://localhost/",
            "http://10.0.0.5/",
        ] {
            assert!(
                matches!(refused(url).await, AppError::Invalid { ref message, .. } if message.contains("public")),
                "{url}"
            );
        }
        for url in ["ftp://example.com/", "not a url", "https:///nohost"] {
            assert!(
                matches!(refused(url).await, AppError::Invalid { .. }),
                "{url}"
            );
        }
        assert!(checked_url("http://127.0.0.1:9/", true).await.is_ok());
    }
}
