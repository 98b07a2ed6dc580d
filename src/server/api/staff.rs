//! `/api/staff` (owners manage staff), `/api/tokens` (everyone's own API
//! tokens; owners see and revoke all), and the account routes under
//! `/api/auth`: setting a password with a link, changing one's own, one's
//! sessions.

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, PathId};
use super::paging::paged;
use crate::domain::{
    ActivityEntry, ActivityQuery, ApiToken, ChangePassword, CreatedApiToken, NewApiToken,
    NewStaffMember, SetPassword, StaffMember, StaffPatch, StaffSession, StaffWithLink,
};
use crate::server::auth::{door, session_set_cookie, with_cookie, AnyStaff, May};
use crate::server::http::AppState;
use crate::server::service::Service;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/staff", get(list_staff).post(add_staff))
        .route("/api/staff/{id}", patch(change_staff))
        .route("/api/staff/{id}/password-link", post(new_password_link))
        .route("/api/tokens", get(list_tokens).post(create_token))
        .route("/api/tokens/{id}", delete(revoke_token))
        .route("/api/auth/set-password", post(set_password))
        .route("/api/auth/password", post(change_password))
        .route("/api/auth/sessions", get(list_sessions))
        .route("/api/auth/sessions/{id}", delete(end_session))
        .route("/api/activity", get(activity))
}

/// What staff did across the shop, newest first: status moves, shipments,
/// returns, refunds, notes, product changes, each with who did it. Filter
/// by `staff` (a member's id: their own changes and their tokens') and
/// `kind`; paged like the order list.
#[utoipa::path(get, path = "/api/activity", tag = "staff", params(ActivityQuery),
    responses((status = 200, body = [ActivityEntry]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn activity(
    _: May<door::SeeReports>,
    State(service): State<Service>,
    ApiQuery(query): ApiQuery<ActivityQuery>,
    uri: Uri,
) -> ApiResult<Response> {
    let ((staff, kind), page) = (query.filters()?, query.page()?);
    let entries = service.activity(staff, kind, page).await?;
    Ok(paged(entries, page, &uri, |e| e.id))
}

/// Every staff member, in the order they were added (owners).
#[utoipa::path(get, path = "/api/staff", tag = "staff",
    responses((status = 200, body = [StaffMember]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_staff(
    _: May<door::ManageStaff>,
    State(service): State<Service>,
) -> ApiResult<Json<Vec<StaffMember>>> {
    Ok(Json(service.staff().await?))
}

/// Add a staff member (owners). The answer carries their one-time
/// set-password link (24 hours): pass it on to them.
#[utoipa::path(post, path = "/api/staff", tag = "staff", request_body = NewStaffMember,
    responses((status = 201, body = StaffWithLink), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, description = "The email is in use", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_staff(
    _: May<door::ManageStaff>,
    State(service): State<Service>,
    ApiJson(input): ApiJson<NewStaffMember>,
) -> ApiResult<(StatusCode, Json<StaffWithLink>)> {
    Ok((StatusCode::CREATED, Json(service.add_staff(input).await?)))
}

/// Rename a member, change their role, deactivate them (their sessions and
/// tokens end at once) or reactivate them (owners). The last active owner
/// cannot be demoted or deactivated (409 `last_owner`).
#[utoipa::path(patch, path = "/api/staff/{id}", tag = "staff", request_body = StaffPatch,
    params(("id" = String, Path, description = "Staff member id")),
    responses((status = 200, body = StaffMember), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_staff(
    _: May<door::ManageStaff>,
    State(service): State<Service>,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<StaffPatch>,
) -> ApiResult<Json<StaffMember>> {
    Ok(Json(service.change_staff(id, patch).await?))
}

/// A new set-password link for a member (owners); an unused earlier one
/// stops working.
#[utoipa::path(post, path = "/api/staff/{id}/password-link", tag = "staff",
    params(("id" = String, Path, description = "Staff member id")),
    responses((status = 200, body = StaffWithLink), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn new_password_link(
    _: May<door::ManageStaff>,
    State(service): State<Service>,
    PathId(id): PathId,
) -> ApiResult<Json<StaffWithLink>> {
    Ok(Json(service.new_staff_link(id).await?))
}

/// The caller's API tokens (an owner: everyone's), newest first.
#[utoipa::path(get, path = "/api/tokens", tag = "staff",
    responses((status = 200, body = [ApiToken]), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    AnyStaff(staff): AnyStaff,
    State(service): State<Service>,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(service.tokens(&staff).await?))
}

/// Make an API token of the caller's role or a lower one. The answer
/// carries the token (`igf_…`), shown only this once; send it as
/// `Authorization: Bearer …`.
#[utoipa::path(post, path = "/api/tokens", tag = "staff", request_body = NewApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    AnyStaff(staff): AnyStaff,
    State(service): State<Service>,
    ApiJson(input): ApiJson<NewApiToken>,
) -> ApiResult<(StatusCode, Json<CreatedApiToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(service.create_token(&staff, input).await?),
    ))
}

/// Revoke one of the caller's tokens (an owner: anyone's); it is refused
/// from the next request on, and its live connections close.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "staff",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    AnyStaff(staff): AnyStaff,
    State(service): State<Service>,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    service.revoke_token(&staff, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set one's password with the link an owner passed on (once, within 24
/// hours); signs in.
#[utoipa::path(post, path = "/api/auth/set-password", tag = "auth", request_body = SetPassword,
    responses((status = 204, description = "Password set; the session cookie is set"),
              (status = 422, description = "The link is expired, used or unknown, or the password too short", body = ErrorBody)))]
pub async fn set_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SetPassword>,
) -> ApiResult<Response> {
    let token = state.service.set_password_with_link(input).await?;
    let cookie = session_set_cookie(&token, &headers, &state.access);
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), cookie))
}

/// Change one's own password (the current one required): every other
/// session of one's ends; this one goes on with a new cookie.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204, description = "Changed"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    AnyStaff(staff): AnyStaff,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ChangePassword>,
) -> ApiResult<Response> {
    let token = state.service.change_own_password(&staff, input).await?;
    let cookie = session_set_cookie(&token, &headers, &state.access);
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), cookie))
}

/// The caller's open sessions, newest first; `current` marks this one.
#[utoipa::path(get, path = "/api/auth/sessions", tag = "auth",
    responses((status = 200, body = [StaffSession]), (status = 401, body = ErrorBody)))]
pub async fn list_sessions(
    AnyStaff(staff): AnyStaff,
    State(service): State<Service>,
) -> ApiResult<Json<Vec<StaffSession>>> {
    Ok(Json(service.own_sessions(&staff).await?))
}

/// End one of the caller's sessions (signs that browser out).
#[utoipa::path(delete, path = "/api/auth/sessions/{id}", tag = "auth",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 204, description = "Ended"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_session(
    AnyStaff(staff): AnyStaff,
    State(service): State<Service>,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    service.end_own_session(&staff, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
