//! The HTTP application: Leptos pages, the REST API, the live doors and the
//! operational endpoints on one axum router, with request logging, panic
//! catching, CORS, compression and caching rules around it.

use crate::app::{shell, App};
use crate::domain::Permission;
use crate::pages::titles::RecordTitle;
use crate::server::api;
use crate::server::api::error::ApiError;
use crate::server::auth::{self, AdminAccess, Caller};
use crate::server::config::Config;
use crate::server::live::{self, LiveHub};
use crate::server::metrics::metrics;
use crate::server::page_titles;
use crate::server::rate_limit::{self, Limits};
use crate::server::secrets::same_secret;
use crate::server::service::Service;
use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::CorsLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub service: Service,
    pub hub: LiveHub,
    pub access: AdminAccess,
    pub limits: Arc<Limits>,
    /// What the shop tells customers about paying (`IGNIFLO_PAYMENT_INSTRUCTIONS`).
    pub payment_instructions: Option<Arc<str>>,
    /// The country the checkout's address starts with (`IGNIFLO_DEFAULT_COUNTRY`).
    pub default_country: Arc<str>,
    /// The token that may read `/metrics` (`IGNIFLO_METRICS_TOKEN`).
    #[from_ref(skip)]
    pub metrics_token: Option<Arc<str>>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, service: Service, config: &Config) -> AppState {
        AppState {
            leptos_options,
            hub: service.hub().clone(),
            service,
            access: AdminAccess {
                token: config.admin_token.clone(),
                trust_proxy: config.trust_proxy,
                client_url: config.client_url.clone(),
            },
            limits: Limits::new(config.limits),
            payment_instructions: config.payment_instructions.as_deref().map(Arc::from),
            default_country: Arc::from(config.default_country.as_str()),
            metrics_token: config.metrics_token.as_deref().map(Arc::from),
        }
    }
}

/// What responses may load: nothing from other origins, no page may frame
/// ours, and no inline script runs. Pages replace it with `page_policy`.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; \
     frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

/// A page's policy: as above, plus the inline scripts Leptos wrote into this
/// page (the hydration script, resolved resources), which carry this
/// response's nonce.
fn page_policy(nonce: &str) -> String {
    CONTENT_SECURITY_POLICY.replacen(
        "script-src 'self'",
        &format!("script-src 'self' 'nonce-{nonce}'"),
        1,
    )
}

/// The context every page is rendered in: the app's state, and the
/// response's Content-Security-Policy with the page's nonce.
fn page_context(state: AppState) -> impl Fn() + Clone + Send + 'static {
    move || {
        provide_context(state.clone());
        if let Some(parts) = use_context::<axum::http::request::Parts>() {
            if let Some(title) = parts.extensions.get::<RecordTitle>() {
                provide_context(title.clone());
            }
        }
        let nonce = leptos::nonce::use_nonce();
        let response = use_context::<leptos_axum::ResponseOptions>();
        if let (Some(nonce), Some(response)) = (nonce, response) {
            if let Ok(policy) = HeaderValue::from_str(&page_policy(&nonce.to_string())) {
                response.insert_header(header::CONTENT_SECURITY_POLICY, policy);
            }
        }
    }
}

pub fn router(state: AppState, config: &Config) -> Router {
    let routes = generate_route_list(App);
    let (socket_io_layer, io) = socketioxide::SocketIo::new_layer();
    live::serve_socket_io(io, &state.hub, state.service.clone(), state.access.clone());
    let leptos_options = state.leptos_options.clone();
    let hashed_site_files = leptos_options.hash_files;
    Router::new()
        .route("/healthz", get(|| async { Json(serde_json::json!({ "status": "ok" })) }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(serve_metrics))
        .route("/ws", get(live::websocket))
        .merge(api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            page_context(state.clone()),
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            page_context(state.clone()),
            shell,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), page_titles::name_the_record))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::guard_admin_pages))
        .layer(axum::middleware::map_response(crate::server::server_fns::status_of_early_failures))
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::limit))
        .with_state(state)
        .layer(socket_io_layer)
        .layer(cors(config))
        // Brotli 5 rather than its default 4 here: /admin with 50 orders is
        // 6.2 KB instead of 7.2 KB, for 0.2 ms more work (measured with
        // Node's zlib on the page).
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::App(crate::domain::AppError::Internal).into_response()
        }))
        // Outside the panic catcher, so a handler's panic counts as its 500.
        .layer(axum::middleware::from_fn(count_request))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_request(())
                .on_response(|res: &Response, latency: Duration, _span: &Span| {
                    tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_secs_f64() * 1000.0, "served");
                })
                .on_failure(()),
        )
        .layer(axum::middleware::from_fn(move |request, next| {
            caching_and_security_headers(request, next, hashed_site_files)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
}

/// Files under `/pkg/` carry their content's hash in their names
/// (cargo-leptos' `hash-files`), so a browser may keep them for a year; a new
/// build has new names. Everything else (pages, API answers, files without a
/// hash) is revalidated before each use.
///
/// Every answer says `nosniff`. The headers that only a document obeys
/// (framing, referrer, content policy) go on everything but those hashed
/// files: a screen loads a dozen or more WASM pieces, and each header on
/// them is paid for on every one.
async fn caching_and_security_headers(
    request: Request<Body>,
    next: Next,
    hashed_site_files: bool,
) -> Response {
    let hashed_file = hashed_site_files && request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let immutable = hashed_file && response.status().is_success();
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if immutable {
        set(header::CACHE_CONTROL, "public, max-age=31536000, immutable");
        // The file is sent precompressed, and the file server does not say
        // that the body depends on `Accept-Encoding`: a shared cache must
        // keep the encodings apart. Validators are of no use on what never
        // changes.
        headers.insert(
            header::VARY,
            HeaderValue::from_static("accept-encoding, origin"),
        );
        headers.remove(header::LAST_MODIFIED);
        headers.remove(header::ACCEPT_RANGES);
    } else {
        set(header::CACHE_CONTROL, "no-cache");
        set(header::X_FRAME_OPTIONS, "DENY");
        // Same-origin only: a tracking link never leaves the site in a
        // Referer, while our own form posts keep their Origin (with
        // no-referrer a browser sends `Origin: null`, and a console form
        // posted without JavaScript would be refused as cross-site).
        set(header::REFERRER_POLICY, "same-origin");
        set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    }
    response
}

/// Listens on `addr` for the router. Answers go out as soon as they are
/// written (`TCP_NODELAY`): a compressed, streamed page is written in small
/// pieces, and Nagle's algorithm would hold each behind the client's delayed
/// acknowledgement (40 ms on Linux; measured on `/admin` with 50 orders).
pub async fn listen(
    addr: std::net::SocketAddr,
) -> std::io::Result<axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)>> {
    use axum::serve::ListenerExt;
    fn send_at_once(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    Ok(listener.tap_io(send_at_once as fn(&mut tokio::net::TcpStream)))
}

/// Counts each answered request by its route's template (bounded: never
/// the path a client sent) and times it to its first byte.
async fn count_request(request: Request<Body>, next: Next) -> Response {
    let started = std::time::Instant::now();
    // Any token is a method to hyper: only the standard ones get a series.
    let method = match *request.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    metrics().http_request(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics`: Prometheus' text format, to staff who read reports and
/// to the holder of `IGNIFLO_METRICS_TOKEN`; 401 (or 403) to anyone else.
async fn serve_metrics(State(state): State<AppState>, request: Request<Body>) -> Response {
    let (parts, _) = request.into_parts();
    let metrics_token = state.metrics_token.as_deref().is_some_and(|expected| {
        auth::bearer(&parts.headers).is_some_and(|sent| same_secret(expected, sent))
    });
    if !metrics_token {
        let allowed = Caller::identify(&parts, &state.access, &state.service)
            .await
            .and_then(|caller| caller.may(Permission::SeeReports).map(drop));
        if let Err(refused) = allowed {
            return ApiError::App(refused).into_response();
        }
    }
    if let Ok((waiting, oldest)) = state.service.outbox_backlog().await {
        let waited = oldest.map_or(0, |at| {
            (crate::domain::Timestamp::now().millis() - at.millis()).max(0) as u64
        });
        metrics().outbox(waiting, Duration::from_millis(waited));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics().render(),
    )
        .into_response()
}

/// `GET /readyz`: 200 when the store answers, 503 when it does not.
async fn readyz(State(service): State<Service>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), service.ready()).await {
        Ok(Ok(())) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "error": "The database is not answering", "code": "unavailable", "details": null })),
        )
            .into_response(),
    }
}

/// CORS for the one origin named by `CLIENT_URL`; none means same origin only.
fn cors(config: &Config) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::PATCH])
        .allow_headers([
            axum::http::header::CONTENT_TYPE,
            axum::http::header::AUTHORIZATION,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-tracking-token"),
        ]);
    match config
        .client_url
        .as_deref()
        .and_then(|u| HeaderValue::from_str(u.trim_end_matches('/')).ok())
    {
        Some(origin) => layer.allow_origin(tower_http::cors::AllowOrigin::list([origin])),
        None => layer,
    }
}

/// 16 random hex digits per request, for correlating log lines.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).ok()?;
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        HeaderValue::from_str(&text).ok().map(RequestId::new)
    }
}
