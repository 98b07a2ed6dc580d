//! `/api/orders`: place orders, list and read them, move their status.

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, PathId};
use super::paging::paged;
use crate::domain::{
    AppError, NewNote, NewOrder, NewRefund, NewReturn, NewShipment, Order, OrdersQuery, Permission,
    PlacedOrder, StatusUpdate,
};
use crate::server::auth::{door, Caller, May};
use crate::server::http::AppState;
use crate::server::service::{OrderCommand, Service};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/orders", get(list_orders).post(place_order))
        .route("/api/orders/{id}", get(get_order))
        .route("/api/orders/{id}/status", patch(change_status))
        .route("/api/orders/{id}/shipments", post(ship))
        .route("/api/orders/{id}/returns", post(take_return))
        .route("/api/orders/{id}/refunds", post(refund))
        .route("/api/orders/{id}/notes", post(add_note))
}

/// The request's `Idempotency-Key` header, if it sent one.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str().map(str::to_string).map_err(|_| {
                AppError::invalid("Idempotency-Key", "must be visible ASCII characters")
            })
        })
        .transpose()
}

/// 201 with the order a command left, marked when it was a retry's replay.
fn created(done: OrderCommand) -> Response {
    let mut response = (StatusCode::CREATED, Json(done.order)).into_response();
    if done.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Place an order: stock is taken for every line or for none. Anyone may.
///
/// `product` may be a product id or a SKU. Send an `Idempotency-Key` header
/// to make retries safe: the same key and body return the first order. The
/// response's `trackingToken` is the only way to read the order later
/// without being an admin; only its hash is kept (a replay gets a new one).
#[utoipa::path(post, path = "/api/orders", tag = "orders",
    request_body = NewOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Placed (or replayed)", body = PlacedOrder),
        (status = 409, description = "Out of stock", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody),
    ))]
pub async fn place_order(
    State(service): State<Service>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewOrder>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let mut placement = service.place_order(input, key, caller.actor()).await?;
    // A replay returns the order as it is now, which staff may have worked
    // on since: a shopper sees it as its tracking link shows it.
    if placement.replayed && caller.may(Permission::SeeOrders).is_err() {
        placement.placed.order = placement.placed.order.for_customer();
    }
    let location = format!("/api/orders/{}", placement.placed.order.id);
    let replayed = placement.replayed;
    let mut response = (StatusCode::CREATED, Json(placement.placed)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("ids are header-safe"),
    );
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// List orders (admins), newest first, customers and products populated.
///
/// The body is a JSON array (the seed's contract); when more orders match, a
/// `Link: <…>; rel="next"` header carries the next page's address.
#[utoipa::path(get, path = "/api/orders", tag = "orders", params(OrdersQuery),
    responses((status = 200, body = [Order]), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_orders(
    _: May<door::SeeOrders>,
    State(service): State<Service>,
    ApiQuery(query): ApiQuery<OrdersQuery>,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let (filter, page) = (query.filter()?, query.page()?);
    let orders = service.orders(&filter, page).await?;
    Ok(paged(orders, page, &uri, |o| o.id))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackingQuery {
    /// The order's tracking token (or send it as `X-Tracking-Token`).
    token: Option<String>,
}

/// One order: admins see it whole; the holder of its tracking token sees it
/// with the customer's contact details masked; anyone else sees nothing.
#[utoipa::path(get, path = "/api/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "Order id"), TrackingQuery,
           ("X-Tracking-Token" = Option<String>, Header, description = "The order's tracking token")),
    responses((status = 200, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    caller: Caller,
    State(service): State<Service>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<TrackingQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<Order>> {
    if caller.may(Permission::SeeOrders).is_ok() {
        return Ok(Json(service.order(id).await?));
    }
    let token = headers
        .get("x-tracking-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(query.token)
        .ok_or(AppError::Unauthorized)?;
    // A token for another order reveals no more than no token at all.
    let order = service.tracked_order(&token).await?;
    if order.id != id {
        return Err(AppError::not_found("order", id).into());
    }
    Ok(Json(order))
}

/// Move an order's status (admins): PENDING → PAID | CANCELLED, PAID → FULFILLED |
/// CANCELLED. The current status again is a no-op; anything else is a 409
/// naming the allowed next statuses. CANCELLED returns the stock. An optional
/// `reason` (at most 500 characters) is kept in the status history for staff.
#[utoipa::path(patch, path = "/api/orders/{id}/status", tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    request_body = StatusUpdate,
    responses((status = 200, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn change_status(
    staff: May<door::SeeOrders>,
    State(service): State<Service>,
    PathId(id): PathId,
    ApiJson(update): ApiJson<StatusUpdate>,
) -> ApiResult<Json<Order>> {
    if !staff.0.role.may(Permission::to_move_to(update.status)) {
        return Err(AppError::Forbidden.into());
    }
    Ok(Json(
        service.change_status(id, update, staff.actor()).await?,
    ))
}

/// Record a parcel (admins). Only a PAID order ships; `items` (a line's
/// product id or SKU and a quantity) at most what is unshipped of each line,
/// everything unshipped without `items`. Shipping the last units makes the
/// order FULFILLED. `Idempotency-Key` makes retries safe.
#[utoipa::path(post, path = "/api/orders/{id}/shipments", tag = "fulfillment",
    params(("id" = String, Path, description = "Order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = NewShipment,
    responses((status = 201, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Not PAID", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ship(
    staff: May<door::Fulfil>,
    State(service): State<Service>,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewShipment>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    Ok(created(service.ship(id, input, key, staff.actor()).await?))
}

/// Take goods back (admins): shipped, not yet returned units of the order's
/// lines, with a reason. `restock` puts them on sale again (`RETURNED`
/// movements); `refund` sends that much back with them.
#[utoipa::path(post, path = "/api/orders/{id}/returns", tag = "fulfillment",
    params(("id" = String, Path, description = "Order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = NewReturn,
    responses((status = 201, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn take_return(
    staff: May<door::ManageOrders>,
    State(service): State<Service>,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewReturn>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    Ok(created(
        service.take_return(id, input, key, staff.actor()).await?,
    ))
}

/// Send money back (admins): only once payment was received, never more
/// than was paid less what was refunded (a 422 whose `details.refundable`
/// says how much can go back).
#[utoipa::path(post, path = "/api/orders/{id}/refunds", tag = "fulfillment",
    params(("id" = String, Path, description = "Order id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = NewRefund,
    responses((status = 201, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Nothing was paid", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refund(
    staff: May<door::ManageOrders>,
    State(service): State<Service>,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewRefund>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    Ok(created(
        service.refund(id, input, key, staff.actor()).await?,
    ))
}

/// Add a note (admins): 1–2,000 characters, for staff only or, with
/// `visibleToCustomer`, on the customer's tracking page too.
#[utoipa::path(post, path = "/api/orders/{id}/notes", tag = "fulfillment",
    params(("id" = String, Path, description = "Order id")),
    request_body = NewNote,
    responses((status = 201, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_note(
    staff: May<door::Fulfil>,
    State(service): State<Service>,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewNote>,
) -> ApiResult<Response> {
    let order = service.add_note(id, input, staff.actor()).await?;
    Ok((StatusCode::CREATED, Json(order)).into_response())
}
