//! What every server function shares: the service, who is calling (by the
//! same rules as the REST routes), and how a failure answers — with the
//! REST API's status code, or, for a form a browser posted itself, by
//! sending it back to its page with the error to show.

use crate::domain::{AppError, Permission};
use crate::server::api::error::{status_of, ApiError};
use crate::server::auth::Caller;
use crate::server::http::AppState;
use crate::server::service::{Service, StaffCaller};
use axum::http::{request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::expect_context;

/// The service, for the server function being run.
pub fn service() -> Service {
    expect_context::<AppState>().service
}

/// The caller of the server function being run, by the same rules as the
/// REST routes.
pub async fn caller() -> Result<Caller, AppError> {
    let state = expect_context::<AppState>();
    let parts: Parts = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    Caller::identify(&parts, &state.access, &state.service).await
}

/// Runs `work` for a staff caller whose role allows `permission`; anyone
/// else gets 401, staff without it 403.
pub async fn as_staff<T, F>(
    permission: Permission,
    work: impl FnOnce(Service, StaffCaller) -> F,
) -> Result<T, AppError>
where
    F: std::future::Future<Output = Result<T, AppError>>,
{
    let result = async {
        let staff = caller().await?.may(permission)?.clone();
        work(service(), staff).await
    }
    .await;
    answer(result)
}

/// Runs `work` for any signed-in staff member (their own account and
/// tokens); anyone else gets 401.
pub async fn as_signed_in<T, F>(work: impl FnOnce(Service, StaffCaller) -> F) -> Result<T, AppError>
where
    F: std::future::Future<Output = Result<T, AppError>>,
{
    let result = async {
        let staff = caller()
            .await?
            .staff()
            .cloned()
            .ok_or(AppError::Unauthorized)?;
        work(service(), staff).await
    }
    .await;
    answer(result)
}

/// Sets the session cookie on the server function's answer.
pub async fn set_session_cookie(token: &str) -> Result<(), AppError> {
    let state = expect_context::<AppState>();
    let parts: Parts = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.insert_header(
        axum::http::header::SET_COOKIE,
        crate::server::auth::session_set_cookie(token, &parts.headers, &state.access),
    );
    Ok(())
}

/// Gives a server function's failure the same HTTP status the REST API
/// would (server functions answer 500 for every error otherwise).
pub fn answer<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status_of(e));
        }
    }
    result
}

/// Whether a browser posted the form itself (before hydration, or with
/// JavaScript off): it asks for a page back, where the hydrated page asks
/// for JSON.
fn posted_by_browser() -> bool {
    use axum::http::header::ACCEPT;
    leptos::prelude::use_context::<Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// Sends a browser that posted a form itself on to `page`; the hydrated
/// page gets the server function's answer instead.
pub fn form_success(page: &str) {
    if posted_by_browser() {
        leptos_axum::redirect(page);
    }
}

/// Answers a failed form: the hydrated page (which asked for JSON) gets the
/// REST status code; a browser posting the form itself is sent back to
/// `page` with the error encoded the way `ServerAction` reads it.
pub fn form_failure<T>(page: &str, server_fn_path: &str, error: AppError) -> Result<T, AppError> {
    use leptos::server_fn::error::ServerFnUrlError;
    if !posted_by_browser() {
        return answer(Err(error));
    }
    // Any absolute base will do: only the path, query and fragment are kept.
    match ServerFnUrlError::new(server_fn_path, error.clone())
        .to_url(&format!("http://igniflo.invalid{page}"))
    {
        Ok(url) => {
            let mut back = format!("{}?{}", url.path(), url.query().unwrap_or_default());
            if let Some(fragment) = url.fragment() {
                back = format!("{back}#{fragment}");
            }
            leptos_axum::redirect(&back);
            Err(error)
        }
        Err(_) => answer(Err(error)),
    }
}

/// Server functions answer 500 for errors raised before their body runs,
/// such as unreadable arguments (`AppError::Malformed`); this gives those
/// the status their error calls for, as `answer` does for the rest.
pub async fn status_of_early_failures(response: Response) -> Response {
    use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return ApiError::App(AppError::Internal).into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = status_of(&error);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
