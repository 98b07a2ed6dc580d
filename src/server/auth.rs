//! Who is calling. Staff prove it with the session cookie set by
//! `POST /api/auth/login`, a personal `igf_` API token or
//! `IGNIFLO_ADMIN_TOKEN` (`Authorization: Bearer …`); everyone else is
//! anonymous and may hold tracking tokens for their orders. Each door asks
//! for a permission (`May<door::…>`); the role decides.
//! The axum side of access: the extractors, the session cookie and the
//! guard of the admin pages (the secrets themselves are in `secrets`).

use crate::domain::{Actor, AppError, Permission};
use crate::server::api::error::ApiError;
use crate::server::http::AppState;
use crate::server::secrets::{same_secret, SESSION_HOURS};
use crate::server::service::{Service, StaffCaller};
use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use std::marker::PhantomData;

pub const SESSION_COOKIE: &str = "igniflo_session";

/// What the server needs besides the stores to recognise staff: the
/// optional `IGNIFLO_ADMIN_TOKEN`, whether a TLS-terminating proxy in front
/// may be believed, and the origins cookie-authenticated changes may come
/// from.
#[derive(Clone, Default)]
pub struct AdminAccess {
    pub token: Option<String>,
    pub trust_proxy: bool,
    /// Origins allowed to send cookie-authenticated changes besides our own.
    pub client_url: Option<String>,
}

impl AdminAccess {
    /// True when `token` is the admin token (compared in constant time).
    pub fn admits(&self, token: &str) -> bool {
        self.token
            .as_deref()
            .is_some_and(|expected| same_secret(expected, token))
    }
}

/// The caller of one request: a staff member (by session, API token or
/// `IGNIFLO_ADMIN_TOKEN`) or anyone else, who may hold tracking tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Staff(StaffCaller),
    Anonymous,
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
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
    /// Reads the caller from the request: a bearer token (the admin token,
    /// a staff API token), else a valid session cookie (for changes, only
    /// from our own origin). The rate limiter may have read it already.
    pub async fn identify(
        parts: &Parts,
        access: &AdminAccess,
        service: &Service,
    ) -> Result<Caller, AppError> {
        if let Some(known) = parts.extensions.get::<Caller>() {
            return Ok(known.clone());
        }
        if let Some(token) = bearer(&parts.headers) {
            if access.admits(token) {
                return Ok(Caller::Staff(StaffCaller::admin_token()));
            }
            if let Some(staff) = service.token_caller(token).await? {
                return Ok(Caller::Staff(staff));
            }
        }
        let Some(cookie) = session_cookie(&parts.headers) else {
            return Ok(Caller::Anonymous);
        };
        let Some(staff) = service.session_caller(cookie).await? else {
            return Ok(Caller::Anonymous);
        };
        let reads_only = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !reads_only && !same_origin(parts, access) {
            return Err(AppError::Forbidden);
        }
        Ok(Caller::Staff(staff))
    }

    /// The staff caller, if their role allows `permission`: anyone else is
    /// 401, staff whose role does not allow it 403.
    pub fn may(&self, permission: Permission) -> Result<&StaffCaller, AppError> {
        match self {
            Caller::Staff(staff) if staff.role.may(permission) => Ok(staff),
            Caller::Staff(_) => Err(AppError::Forbidden),
            Caller::Anonymous => Err(AppError::Unauthorized),
        }
    }

    pub fn staff(&self) -> Option<&StaffCaller> {
        match self {
            Caller::Staff(staff) => Some(staff),
            Caller::Anonymous => None,
        }
    }

    /// Whom a change by this caller is recorded as made by.
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Staff(staff) => staff.actor.clone(),
            Caller::Anonymous => Actor::customer(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Caller::identify(parts, &state.access, &state.service).await?)
    }
}

/// A door that asks for one permission, as an extractor: the staff caller
/// whose role allows `P`'s permission, or 401/403 before the body is read.
pub struct May<P: Door>(pub StaffCaller, PhantomData<P>);

/// A permission as a type, for `May`.
pub trait Door {
    const PERMISSION: Permission;
}

macro_rules! doors {
    ($($door:ident),*) => {
        /// The permissions as types, named as `Permission`'s variants.
        pub mod door {
            $(
                pub struct $door;
                impl super::Door for $door {
                    const PERMISSION: crate::domain::Permission = crate::domain::Permission::$door;
                }
            )*
        }
    };
}

doors!(
    SeeOrders,
    Fulfil,
    ManageOrders,
    SeeCustomers,
    SeeStock,
    ManageCatalogue,
    SeeReports,
    ManageStaff,
    ManageWebhooks
);

impl<P: Door> May<P> {
    pub fn actor(&self) -> Actor {
        self.0.actor.clone()
    }
}

impl<P: Door + Send + Sync> FromRequestParts<AppState> for May<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let staff = caller.may(P::PERMISSION)?.clone();
        Ok(May(staff, PhantomData))
    }
}

/// Any signed-in staff member, whatever their role (their own account and
/// tokens).
pub struct AnyStaff(pub StaffCaller);

impl FromRequestParts<AppState> for AnyStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Staff(staff) => Ok(AnyStaff(staff)),
            Caller::Anonymous => Err(AppError::Unauthorized.into()),
        }
    }
}

fn is_https(headers: &HeaderMap, access: &AdminAccess) -> bool {
    access.trust_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
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

/// Full page loads of the admin screens need a signed-in admin; others are
/// sent to the sign-in page. (Server functions check on their own.)
pub async fn guard_admin_pages(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    // Signing in and setting one's password come before being signed in.
    let is_admin_page = (path == "/admin" || path.starts_with("/admin/"))
        && path != "/admin/login"
        && path != "/admin/set-password";
    if is_admin_page && request.method() == Method::GET {
        let (mut parts, body) = request.into_parts();
        let Ok(caller @ Caller::Staff(_)) =
            Caller::identify(&parts, &state.access, &state.service).await
        else {
            return axum::response::Redirect::to("/admin/login").into_response();
        };
        // The screen's data and title ask again: known now.
        parts.extensions.insert(caller);
        return next
            .run(axum::extract::Request::from_parts(parts, body))
            .await;
    }
    next.run(request).await
}
