//! `/api/products`: the catalogue.

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, PathId};
use super::paging::{paged, PageQuery};
use crate::domain::{NewProduct, Product, ProductUpdate, StockMismatch, StockMovement};
use crate::server::auth::{door, May};
use crate::server::http::AppState;
use crate::server::service::Service;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/products", get(list_products).post(add_product))
        .route("/api/products/{id}", get(get_product).patch(update_product))
        .route("/api/products/{id}/movements", get(stock_movements))
        .route("/api/stock/check", get(check_stock))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of a name or SKU.
    q: Option<String>,
    /// `true`: only products at or below their low-stock threshold.
    #[serde(default, rename = "lowStock")]
    #[param(rename = "lowStock")]
    low_stock: bool,
}

/// Add a product (admins). The SKU must be unused (409 otherwise).
#[utoipa::path(post, path = "/api/products", tag = "products", request_body = NewProduct,
    responses((status = 201, body = Product), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_product(
    staff: May<door::ManageCatalogue>,
    State(service): State<Service>,
    ApiJson(input): ApiJson<NewProduct>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    Ok((
        StatusCode::CREATED,
        Json(service.add_product(input, staff.actor()).await?),
    ))
}

/// The catalogue, sorted by name.
#[utoipa::path(get, path = "/api/products", tag = "products", params(SearchQuery),
    responses((status = 200, body = [Product])))]
pub async fn list_products(
    State(service): State<Service>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<Product>>> {
    Ok(Json(
        service
            .products(query.q.as_deref(), query.low_stock)
            .await?,
    ))
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
    staff: May<door::ManageCatalogue>,
    State(service): State<Service>,
    PathId(id): PathId,
    ApiJson(update): ApiJson<ProductUpdate>,
) -> ApiResult<Json<Product>> {
    Ok(Json(
        service.update_product(id, update, staff.actor()).await?,
    ))
}

/// A product's stock ledger (admins), newest first: every change of its
/// stock with the reason, the order if any, who made it and the stock after.
#[utoipa::path(get, path = "/api/products/{id}/movements", tag = "products",
    params(("id" = String, Path, description = "Product id"), PageQuery),
    responses((status = 200, body = [StockMovement]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stock_movements(
    _: May<door::SeeStock>,
    State(service): State<Service>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<PageQuery>,
    uri: Uri,
) -> ApiResult<Response> {
    let page = query.page()?;
    let movements = service.movements(id, page).await?;
    Ok(paged(movements, page, &uri, |m| m.id))
}

/// Whether every product's stock equals the sum of its ledger.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StockCheck {
    /// True when every product agrees with its ledger.
    ok: bool,
    /// The products that do not.
    mismatches: Vec<StockMismatch>,
}

/// Reconcile the stock (admins): every product's stock against the sum of
/// its ledger's movements.
#[utoipa::path(get, path = "/api/stock/check", tag = "products",
    responses((status = 200, body = StockCheck), (status = 401, body = ErrorBody)))]
pub async fn check_stock(
    _: May<door::SeeStock>,
    State(service): State<Service>,
) -> ApiResult<Json<StockCheck>> {
    let mismatches = service.stock_mismatches().await?;
    Ok(Json(StockCheck {
        ok: mismatches.is_empty(),
        mismatches,
    }))
}
