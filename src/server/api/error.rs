//! How failures look on the wire: every non-2xx response of `/api/*` is
//! `{"error": "<sentence>", "code": "<snake_case>", "details": …}`. Internal
//! errors were logged where they happened; their bodies say nothing more.

use crate::domain::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A failure of an API request: a domain error, or one of HTTP's own.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    PayloadTooLarge { limit: usize },
    UnsupportedMediaType,
    NoRoute,
    MethodNotAllowed,
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A sentence for people.
    pub error: String,
    /// A stable code for programs, e.g. `out_of_stock`.
    pub code: String,
    /// Facts about the failure: the field, the allowed statuses, the stock left.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Malformed { .. } => StatusCode::BAD_REQUEST,
        AppError::Invalid { .. }
        | AppError::IdempotencyKeyReused
        | AppError::RefundTooLarge { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Duplicate { .. }
        | AppError::OutOfStock { .. }
        | AppError::StockWouldBeNegative { .. }
        | AppError::InvalidTransition { .. }
        | AppError::OrderCannot { .. }
        | AppError::Busy { .. }
        | AppError::LastOwner => StatusCode::CONFLICT,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn body(status: StatusCode, error: String, code: &str, details: serde_json::Value) -> Response {
    let body = ErrorBody {
        error,
        code: code.into(),
        details,
    };
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::App(e) => {
                let mut details = serde_json::to_value(&e).unwrap_or_default();
                if let Some(map) = details.as_object_mut() {
                    map.remove("kind");
                }
                let mut response = body(status_of(&e), e.to_string(), e.code(), details);
                if let AppError::TooManyRequests { retry_after_secs } = e {
                    response.headers_mut().insert(
                        header::RETRY_AFTER,
                        HeaderValue::from_str(&retry_after_secs.to_string())
                            .expect("digits are a header value"),
                    );
                }
                response
            }
            ApiError::PayloadTooLarge { limit } => body(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than {limit} bytes"),
                "payload_too_large",
                serde_json::json!({ "limit": limit }),
            ),
            ApiError::UnsupportedMediaType => body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as JSON with Content-Type: application/json".into(),
                "unsupported_media_type",
                serde_json::Value::Null,
            ),
            ApiError::NoRoute => body(
                StatusCode::NOT_FOUND,
                "There is no such API endpoint".into(),
                "no_route",
                serde_json::Value::Null,
            ),
            ApiError::MethodNotAllowed => body(
                StatusCode::METHOD_NOT_ALLOWED,
                "This endpoint does not accept that method".into(),
                "method_not_allowed",
                serde_json::Value::Null,
            ),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
