//! Per-client-address rate limits (GCRA: each address has a "theoretical
//! arrival time" that every request pushes forward; a request that would push
//! it past the burst allowance is refused with the wait in `Retry-After`).
//! Requests with a staff API token (or the admin token) are held to that
//! token's own limit instead: integrations import in bulk.

use crate::domain::{AppError, Id};
use crate::server::api::error::ApiError;
use crate::server::auth::{bearer, Caller};
use crate::server::config::RateLimits;
use crate::server::http::AppState;
use crate::server::service::{Credential, StaffCaller};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::PoisonError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One limit per key (a client address, a token): `per_minute` requests on
/// average, up to `burst` at once.
pub struct RateLimiter<K = IpAddr> {
    interval: Duration,
    burst: u32,
    /// Refused requests count too, so hammering only lengthens the wait.
    backs_off: bool,
    arrivals: Mutex<HashMap<K, Instant>>,
}

/// Addresses tracked before idle ones are forgotten.
const MAX_TRACKED: usize = 10_000;

impl<K: Hash + Eq> RateLimiter<K> {
    pub fn per_minute(per_minute: u32, burst: u32) -> RateLimiter<K> {
        RateLimiter {
            interval: Duration::from_secs(60) / per_minute.max(1),
            burst: burst.max(1),
            backs_off: false,
            arrivals: Mutex::new(HashMap::new()),
        }
    }

    fn backing_off(mut self) -> RateLimiter<K> {
        self.backs_off = true;
        self
    }

    /// Counts one request from `key`; the error is how long to wait.
    pub fn check(&self, key: K) -> Result<(), Duration> {
        let now = Instant::now();
        let mut arrivals = self.arrivals.lock().unwrap_or_else(PoisonError::into_inner);
        if arrivals.len() >= MAX_TRACKED {
            arrivals.retain(|_, tat| *tat > now);
        }
        let tat = arrivals.get(&key).copied().unwrap_or(now).max(now);
        let next = tat + self.interval;
        let allowance = self.interval * self.burst;
        if next - now > allowance {
            if self.backs_off {
                arrivals.insert(key, next);
            }
            return Err(next - now - allowance);
        }
        arrivals.insert(key, next);
        Ok(())
    }
}

/// The limits the API applies: three per client address, one per token
/// (`None`: `IGNIFLO_ADMIN_TOKEN`).
pub struct Limits {
    public: RateLimiter,
    orders: RateLimiter,
    login: RateLimiter,
    token: RateLimiter<Option<Id>>,
}

impl Limits {
    pub fn new(config: RateLimits) -> Arc<Limits> {
        Arc::new(Limits {
            public: RateLimiter::per_minute(config.public, config.public.div_ceil(6).max(10)),
            orders: RateLimiter::per_minute(config.orders, config.orders.div_ceil(6).max(5)),
            // Sign-in gets a small burst, then one attempt per interval, and
            // every refused attempt pushes the next allowed one further out.
            login: RateLimiter::per_minute(config.login, 5).backing_off(),
            token: RateLimiter::per_minute(config.token, config.token.div_ceil(6).max(10)),
        })
    }

    fn for_request(&self, method: &Method, path: &str) -> Vec<&RateLimiter> {
        let mut limits = vec![&self.public];
        if method == Method::POST {
            if matches!(
                path,
                "/api/orders" | "/api/customers" | "/api/fn/checkout" | "/api/fn/find_order"
            ) {
                limits.push(&self.orders);
            }
            limits.extend(self.sign_in(method, path));
        }
        limits
    }

    /// Guessing passwords or links: limited per address whatever else the
    /// request carries (a token does not lift it).
    fn sign_in(&self, method: &Method, path: &str) -> Option<&RateLimiter> {
        let guesses = matches!(
            path,
            "/api/auth/login"
                | "/api/fn/admin_login"
                | "/api/auth/set-password"
                | "/api/fn/set_staff_password"
        );
        (method == Method::POST && guesses).then_some(&self.login)
    }
}

/// The client's address: the peer, or with `IGNIFLO_TRUST_PROXY` the last
/// `X-Forwarded-For` entry (the one our own proxy appended).
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_proxy: bool,
) -> Option<IpAddr> {
    if trust_proxy {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
}

fn too_many(wait: Duration) -> Response {
    let retry_after_secs = wait.as_secs() + 1;
    ApiError::App(AppError::TooManyRequests { retry_after_secs }).into_response()
}

pub async fn limit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api") {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let ip = client_ip(request.headers(), peer, state.access.trust_proxy);
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    // A token is looked up here, once: the request's doors read the caller
    // from its extensions. An unknown token counts as no token.
    if let Some(token) = bearer(request.headers()) {
        let staff = if state.access.admits(token) {
            Some(StaffCaller::admin_token())
        } else {
            match state.service.token_caller(token).await {
                Ok(found) => found,
                Err(e) => return ApiError::App(e).into_response(),
            }
        };
        if let Some(staff) = staff {
            let key = match staff.credential {
                Credential::Token(id) => Some(id),
                Credential::AdminToken | Credential::Session(_) => None,
            };
            if let Err(wait) = state.limits.token.check(key) {
                return too_many(wait);
            }
            let sign_in = state.limits.sign_in(&method, &path).zip(ip);
            if let Some(Err(wait)) = sign_in.map(|(limiter, ip)| limiter.check(ip)) {
                return too_many(wait);
            }
            request.extensions_mut().insert(Caller::Staff(staff));
            return next.run(request).await;
        }
    }
    if let Some(ip) = ip {
        for limiter in state.limits.for_request(&method, &path) {
            if let Err(wait) = limiter.check(ip) {
                return too_many(wait);
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusal_with_the_wait() {
        let limiter = RateLimiter::per_minute(60, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(ip).is_ok());
        }
        let wait = limiter.check(ip).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(
            limiter.check("192.0.2.2".parse().unwrap()).is_ok(),
            "addresses are limited separately"
        );
    }

    #[test]
    fn hammering_a_backing_off_limit_lengthens_the_wait() {
        let limiter = RateLimiter::per_minute(60, 1).backing_off();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limiter.check(ip).is_ok());
        let first = limiter.check(ip).unwrap_err();
        let later = (0..5)
            .map(|_| limiter.check(ip).unwrap_err())
            .last()
            .unwrap();
        assert!(
            later >= first + Duration::from_secs(4),
            "{first:?} then {later:?}"
        );
    }

    #[test]
    fn forwarded_addresses_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_ip(&headers, Some(peer), false), Some(peer.ip()));
        assert_eq!(
            client_ip(&headers, Some(peer), true),
            Some("198.51.100.7".parse().unwrap())
        );
    }
}
