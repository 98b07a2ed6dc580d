//! `/api/products`: the catalogue.

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, PathId};
use crate::domain::{NewProduct, Product, ProductUpdate};
use crate::server::app::AppState;
use crate::server::auth::Admin;
use crate::server::service::Service;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/products", get(list_products).post(add_product))
        .route("/api/products/{id}", get(get_product).patch(update_product))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of a name or SKU.
    q: Option<String>,
}

/// Add a product (admins). The SKU must be unused (409 otherwise).
#[utoipa::path(post, path = "/api/products", tag = "products", request_body = NewProduct,
    responses((status = 201, body = Product), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_product(
    _: Admin,
    State(service): State<Service>,
    ApiJson(input): ApiJson<NewProduct>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    Ok((StatusCode::CREATED, Json(service.add_product(input).await?)))
}

/// The catalogue, sorted by name.
#[utoipa::path(get, path = "/api/products", tag = "products", params(SearchQuery),
    responses((status = 200, body = [Product])))]
pub async fn list_products(
    State(service): State<Service>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<Product>>> {
    Ok(Json(service.products(query.q.as_deref()).await?))
}

#[utoipa::path(get, path = "/api/products/{id}", tag = "products",
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
pub async fn get_product(
    State(service): State<Service>,
    PathId(id): PathId,
) -> ApiResult<Json<Product>> {
    let found = service.product(id).await?;
    Ok(Json(found))
}

/// Change (admins) a product's name or price, set its stock (`stock`) or adjust it
/// relative to the current level (`stockAdjustment`, never below 0).
#[utoipa::path(patch, path = "/api/products/{id}", tag = "products",
    params(("id" = String, Path, description = "Product id")),
    request_body = ProductUpdate,
    responses((status = 200, body = Product), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_product(
    _: Admin,
    State(service): State<Service>,
    PathId(id): PathId,
    ApiJson(update): ApiJson<ProductUpdate>,
) -> ApiResult<Json<Product>> {
    Ok(Json(service.update_product(id, update).await?))
}
