//! `/api/auth/*`: signing the admin in and out.

use super::error::ApiResult;
use super::extract::ApiJson;
use crate::domain::Login;
use crate::server::auth::{
    session_clear_cookie, session_cookie, session_set_cookie, with_cookie, Caller,
};
use crate::server::http::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

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

/// Whether the caller is staff, and if so who and in which role:
/// `{"admin": false}` or `{"admin": true, "name", "role", "actor"}`.
#[utoipa::path(get, path = "/api/auth/session", tag = "auth",
    responses((status = 200, description = "`{\"admin\": true|false, \"name\"?, \"role\"?}`")))]
pub async fn session(caller: Caller) -> Json<serde_json::Value> {
    Json(match caller.staff() {
        Some(staff) => serde_json::json!({
            "admin": true,
            "name": staff.actor.name,
            "role": staff.role,
            "actor": staff.actor,
        }),
        None => serde_json::json!({ "admin": false }),
    })
}
