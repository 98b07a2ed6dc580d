//! The REST API: the seed's contract (`/api/customers`, `/api/products`,
//! `/api/orders`, `PATCH /api/orders/:id/status`), one module per resource,
//! each a thin adapter over the service. Its OpenAPI document is generated
//! from the handlers and served at `/api/openapi.json`.

pub mod auth;
pub mod customers;
pub mod error;
pub mod export;
pub mod extract;
pub mod orders;
pub mod paging;
pub mod products;
pub mod staff;
pub mod webhooks;

use crate::server::http::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use error::ApiError;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Igniflo",
        description = "Order management: customers, products, orders and their statuses, and webhooks announcing what happens to them."
    ),
    paths(
        customers::register_customer,
        customers::list_customers,
        customers::get_customer,
        products::add_product,
        products::list_products,
        products::get_product,
        products::update_product,
        products::stock_movements,
        products::check_stock,
        orders::place_order,
        orders::list_orders,
        orders::get_order,
        orders::change_status,
        orders::ship,
        orders::take_return,
        orders::refund,
        orders::add_note,
        export::export_orders,
        webhooks::add_webhook,
        webhooks::list_webhooks,
        webhooks::get_webhook,
        webhooks::change_webhook,
        webhooks::delete_webhook,
        webhooks::rotate_secret,
        webhooks::ping,
        webhooks::deliveries,
        webhooks::redeliver,
        auth::login,
        auth::logout,
        auth::session,
        staff::list_staff,
        staff::add_staff,
        staff::change_staff,
        staff::new_password_link,
        staff::list_tokens,
        staff::create_token,
        staff::revoke_token,
        staff::set_password,
        staff::change_password,
        staff::list_sessions,
        staff::end_session,
        staff::activity,
    ),
    components(schemas(error::ErrorBody))
)]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    let api = Router::new()
        .merge(customers::router())
        .merge(products::router())
        .merge(orders::router())
        .merge(export::router())
        .merge(webhooks::router())
        .merge(auth::router())
        .merge(staff::router())
        .route(
            "/api/openapi.json",
            get(|| async { Json(ApiDoc::openapi()) }),
        )
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT));
    Router::new()
        .merge(api)
        .route("/api", get(|| async { ApiError::NoRoute }))
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async { ApiError::NoRoute }),
        )
}
