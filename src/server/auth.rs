//! Who is calling. An admin proves it with the session cookie set by
//! `POST /api/auth/login` or with `Authorization: Bearer $IGNIFLO_ADMIN_TOKEN`;
//! everyone else is anonymous and may hold tracking tokens for their orders.
//! Secrets are compared in constant time and stored only as hashes.

use crate::domain::{AppError, Login, Timestamp};
use crate::server::api::error::{ApiError, ApiResult};
use crate::server::api::extract::ApiJson;
use crate::server::http::AppState;
use crate::server::service::Service;
use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "igniflo_session";
/// How long an admin stays signed in.
pub const SESSION_HOURS: i64 = 12;

/// How the server recognises admins: the optional integration token, and
/// whether a TLS-terminating proxy in front may be believed.
#[derive(Clone, Default)]
pub struct AdminAccess {
    pub token: Option<String>,
    pub trust_proxy: bool,
    /// Origins allowed to send cookie-authenticated changes besides our own.
    pub client_url: Option<String>,
}

impl AdminAccess {
    /// True when the request carries the admin bearer token.
    pub fn has_admin_token(&self, headers: &HeaderMap) -> bool {
        let (Some(expected), Some(sent)) = (self.token.as_deref(), bearer(headers)) else {
            return false;
        };
        same_secret(expected, sent)
    }
}

/// The caller of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    Admin,
    Anonymous,
}

/// SHA-256 in hex: how session and tracking tokens are stored and looked up.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `bytes` random bytes in hex. The OS random source failing is an
/// outage, answered as one, never a panic in a request.
pub fn random_token(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| {
        tracing::error!(error = %e, "the OS random source failed");
        AppError::Internal
    })?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Constant-time comparison, so timing does not reveal how much matched.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// Whether a cookie-authenticated change comes from our own pages: the
/// browser's `Origin` (or, failing that, `Referer`) must be this host or
/// `CLIENT_URL`. SameSite=Strict already keeps the cookie off cross-site
/// requests; this refuses them even from browsers that ignore SameSite.
fn same_origin(parts: &Parts, access: &AdminAccess) -> bool {
    let headers = &parts.headers;
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(origin) = origin else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
        .unwrap_or_default();
    (!host.is_empty() && origin_host.eq_ignore_ascii_case(host))
        || access.client_url.as_deref().is_some_and(|allowed| {
            origin
                .trim_end_matches('/')
                .starts_with(allowed.trim_end_matches('/'))
        })
}

impl Caller {
    /// Reads the caller from the request: the bearer token, else a valid
    /// session cookie (for changes, only from our own origin).
    pub async fn identify(
        parts: &Parts,
        access: &AdminAccess,
        service: &Service,
    ) -> Result<Caller, AppError> {
        if access.has_admin_token(&parts.headers) {
            return Ok(Caller::Admin);
        }
        let Some(cookie) = session_cookie(&parts.headers) else {
            return Ok(Caller::Anonymous);
        };
        if !service.admin_session_is_valid(cookie).await? {
            return Ok(Caller::Anonymous);
        }
        let reads_only = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !reads_only && !same_origin(parts, access) {
            return Err(AppError::Forbidden);
        }
        Ok(Caller::Admin)
    }

    pub fn require_admin(self) -> Result<(), AppError> {
        match self {
            Caller::Admin => Ok(()),
            Caller::Anonymous => Err(AppError::Unauthorized),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Caller::identify(parts, &state.access, &state.service).await?)
    }
}

/// An extractor that lets only admins through (401 otherwise).
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Caller::from_request_parts(parts, state)
            .await?
            .require_admin()?;
        Ok(Admin)
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/session", get(session))
}

/// Sign in as the admin; sets the session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = Login,
    responses((status = 204, description = "Signed in; the session cookie is set"),
              (status = 401, body = crate::server::api::error::ErrorBody),
              (status = 429, body = crate::server::api::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(login): ApiJson<Login>,
) -> ApiResult<Response> {
    let token = state.service.sign_in(&login).await?;
    let cookie = session_set_cookie(&token, &headers, &state.access);
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), cookie))
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = session_cookie(&headers) {
        state.service.sign_out(token).await?;
    }
    Ok(with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        session_clear_cookie(),
    ))
}

/// Whether the caller is signed in as the admin.
#[utoipa::path(get, path = "/api/auth/session", tag = "auth",
    responses((status = 200, description = "`{\"admin\": true|false}`")))]
pub async fn session(caller: Caller) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "admin": caller == Caller::Admin }))
}

fn is_https(headers: &HeaderMap, access: &AdminAccess) -> bool {
    access.trust_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// The session cookie: script-proof, never sent cross-site, Secure behind TLS.
pub fn session_set_cookie(token: &str, headers: &HeaderMap, access: &AdminAccess) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        SESSION_HOURS * 3600,
        if is_https(headers, access) {
            "; Secure"
        } else {
            ""
        }
    );
    HeaderValue::from_str(&cookie).expect("session tokens are hex")
}

pub fn session_clear_cookie() -> HeaderValue {
    HeaderValue::from_static("igniflo_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// The caller of the server function being run, by the same rules as the
/// REST routes.
pub async fn caller_of_server_fn() -> Result<Caller, AppError> {
    let state = leptos::prelude::expect_context::<AppState>();
    let parts: Parts = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    Caller::identify(&parts, &state.access, &state.service).await
}

/// Full page loads of the admin screens need a signed-in admin; others are
/// sent to the sign-in page. (Server functions check on their own.)
pub async fn guard_admin_pages(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let is_admin_page = (path == "/admin" || path.starts_with("/admin/")) && path != "/admin/login";
    if is_admin_page && request.method() == Method::GET {
        let (parts, body) = request.into_parts();
        let caller = Caller::identify(&parts, &state.access, &state.service).await;
        if caller != Ok(Caller::Admin) {
            return axum::response::Redirect::to("/admin/login").into_response();
        }
        return next
            .run(axum::extract::Request::from_parts(parts, body))
            .await;
    }
    next.run(request).await
}

/// Argon2id with the crate's default (OWASP) parameters.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source is available");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password for a first start with none configured: 20 characters from a
/// 57-letter alphabet without look-alikes, about 116 bits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut random = [0u8; 20];
    getrandom::fill(&mut random).expect("the OS random source is available");
    random
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Session tokens expire; this is when a new one does.
pub fn session_expiry_from(now: Timestamp) -> Timestamp {
    Timestamp::from_millis(now.millis() + SESSION_HOURS * 3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery staple");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (random_token(16).unwrap(), random_token(16).unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(token_hash("abc").len(), 64);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd"));
        assert_eq!(generate_password().len(), 20);
    }
}
