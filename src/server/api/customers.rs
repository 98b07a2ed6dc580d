//! `/api/customers`: who orders.

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, PathId};
use crate::domain::parse_id_param;
use crate::domain::{AppError, Customer, NewCustomer, Page};
use crate::server::auth::{door, May};
use crate::server::http::AppState;
use crate::server::service::Service;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/customers",
            get(list_customers).post(register_customer),
        )
        .route("/api/customers/{id}", get(get_customer))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomersQuery {
    /// Part of a name or email.
    q: Option<String>,
    /// Page size, 1–200 (default 50).
    limit: Option<u32>,
    /// The id of the last customer of the previous page.
    cursor: Option<String>,
}

/// Register a customer. The email must be unused (409 otherwise).
#[utoipa::path(post, path = "/api/customers", tag = "customers", request_body = NewCustomer,
    responses((status = 201, body = Customer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_customer(
    State(service): State<Service>,
    ApiJson(input): ApiJson<NewCustomer>,
) -> ApiResult<(StatusCode, Json<Customer>)> {
    Ok((
        StatusCode::CREATED,
        Json(service.register_customer(input).await?),
    ))
}

/// Customers, newest first. Admins only.
#[utoipa::path(get, path = "/api/customers", tag = "customers", params(CustomersQuery),
    responses((status = 200, body = [Customer]), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_customers(
    _: May<door::SeeCustomers>,
    State(service): State<Service>,
    ApiQuery(query): ApiQuery<CustomersQuery>,
) -> ApiResult<Json<Vec<Customer>>> {
    let limit = query.limit.unwrap_or(Page::DEFAULT_LIMIT);
    if !(1..=Page::MAX_LIMIT).contains(&limit) {
        return Err(
            AppError::invalid("limit", format!("must be from 1 to {}", Page::MAX_LIMIT)).into(),
        );
    }
    let page = Page {
        limit,
        before: parse_id_param("cursor", &query.cursor)?,
    };
    Ok(Json(service.customers(query.q.as_deref(), page).await?))
}

#[utoipa::path(get, path = "/api/customers/{id}", tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, body = Customer), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_customer(
    _: May<door::SeeCustomers>,
    State(service): State<Service>,
    PathId(id): PathId,
) -> ApiResult<Json<Customer>> {
    Ok(Json(service.customer(id).await?))
}
