//! `/api/webhooks`: endpoints that receive the shop's events, signed, and
//! each one's deliveries. Admins only.

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, PathId, PathIds};
use super::paging::{paged, PageQuery};
use crate::domain::webhook::{
    Delivery, NewWebhook, WebhookEndpoint, WebhookPatch, WebhookWithSecret,
};
use crate::server::auth::{door, May};
use crate::server::http::AppState;
use crate::server::service::Service;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks", get(list_webhooks).post(add_webhook))
        .route(
            "/api/webhooks/{id}",
            get(get_webhook)
                .patch(change_webhook)
                .delete(delete_webhook),
        )
        .route("/api/webhooks/{id}/rotate-secret", post(rotate_secret))
        .route("/api/webhooks/{id}/ping", post(ping))
        .route("/api/webhooks/{id}/deliveries", get(deliveries))
        .route(
            "/api/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(redeliver),
        )
}

/// Subscribe a URL to events. The answer carries the signing secret, shown
/// only this once. URLs on loopback, private or link-local addresses are
/// refused (422) unless the server allows them.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = WebhookWithSecret), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_webhook(
    _: May<door::ManageWebhooks>,
    State(service): State<Service>,
    ApiJson(input): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    Ok((StatusCode::CREATED, Json(service.add_webhook(input).await?)))
}

/// Every endpoint, oldest first (without secrets).
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, body = [WebhookEndpoint]), (status = 401, body = ErrorBody)))]
pub async fn list_webhooks(
    _: May<door::ManageWebhooks>,
    State(service): State<Service>,
) -> ApiResult<Json<Vec<WebhookEndpoint>>> {
    Ok(Json(service.webhook_endpoints().await?))
}

#[utoipa::path(get, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookEndpoint), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_webhook(
    _: May<door::ManageWebhooks>,
    State(service): State<Service>,
    PathId(id): PathId,
) -> ApiResult<Json<WebhookEndpoint>> {
    Ok(Json(service.webhook_endpoint(id).await?))
}

/// Change the URL, the events or the description, or switch the endpoint
/// off or back on (a disabled endpoint's waiting deliveries are then sent).
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks", request_body = WebhookPatch,
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookEndpoint), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_webhook(
    _: May<door::ManageWebhooks>,
    State(service): State<Service>,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<WebhookPatch>,
) -> ApiResult<Json<WebhookEndpoint>> {
    Ok(Json(service.change_webhook(id, patch).await?))
}

/// Delete the endpoint and its deliveries.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    _: May<door::ManageWebhooks>,
    State(service): State<Service>,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    service.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret, shown this once; the old one stops at once.
#[utoipa::path(post, path = "/api/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookWithSecret), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rotate_secret(
    _: May<door::ManageWebhooks>,
    State(service): State<Service>,
    PathId(id): PathId,
) -> ApiResult<Json<WebhookWithSecret>> {
    Ok(Json(service.rotate_webhook_secret(id).await?))
}

/// Queue a `webhook.ping` event for this endpoint alone.
#[utoipa::path(post, path = "/api/webhooks/{id}/ping", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 202, body = Delivery), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn ping(
    _: May<door::ManageWebhooks>,
    State(service): State<Service>,
    PathId(id): PathId,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    Ok((StatusCode::ACCEPTED, Json(service.ping_webhook(id).await?)))
}

/// The endpoint's deliveries, newest first, each with every attempt made
/// (time, status, latency, the first kilobyte of the answer).
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id"), PageQuery),
    responses((status = 200, body = [Delivery]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deliveries(
    _: May<door::ManageWebhooks>,
    State(service): State<Service>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<PageQuery>,
    uri: Uri,
) -> ApiResult<Response> {
    let page = query.page()?;
    let (_, deliveries) = service.webhook_deliveries(id, page).await?;
    Ok(paged(deliveries, page, &uri, |d| d.id))
}

/// Send a delivery again (same `webhook-id`), now and then retried for
/// another day if it fails.
#[utoipa::path(post, path = "/api/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id"), ("delivery" = String, Path, description = "Delivery id")),
    responses((status = 202), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn redeliver(
    _: May<door::ManageWebhooks>,
    State(service): State<Service>,
    PathIds(id, delivery): PathIds,
) -> ApiResult<StatusCode> {
    service.redeliver(id, delivery).await?;
    Ok(StatusCode::ACCEPTED)
}
