//! Extractors that turn every malformed request into our JSON errors:
//! a JSON body of the right type (400 unreadable, 415 not JSON, 413 too big,
//! 422 a value of the wrong type naming its path), query strings, path ids.

use super::error::ApiError;
use crate::domain::{AppError, Id};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;

/// Largest JSON body the API reads. An order of 100 lines is ~10 KiB.
pub const BODY_LIMIT: usize = 64 * 1024;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        read_body(req)
            .await
            .and_then(|bytes| parse_json(&bytes))
            .map(ApiJson)
    }
}

/// The body, up to `BODY_LIMIT`. A longer one is answered 413 — after
/// reading on (and dropping) up to `DRAIN_LIMIT` for at most `DRAIN_WITHIN`:
/// a client still sending when the server closes the connection gets a
/// reset, not the answer (Node's `fetch` and Python's `urllib` report a
/// broken pipe). A body announced as too large before it is sent (with
/// `Expect: 100-continue`, or beyond what would be read on) is refused
/// without reading it.
async fn read_body(req: Request) -> Result<Bytes, ApiError> {
    use futures_util::StreamExt;
    let too_large = ApiError::PayloadTooLarge { limit: BODY_LIMIT };
    let headers = req.headers();
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let announced: Option<usize> = text(header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    let waits_to_send =
        text(header::EXPECT).is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if announced.is_some_and(|n| n > DRAIN_LIMIT || (n > BODY_LIMIT && waits_to_send)) {
        return Err(too_large);
    }
    let mut stream = req.into_body().into_data_stream();
    let mut kept = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Err(ApiError::App(AppError::Malformed {
                message: "the request body could not be read to its end".into(),
            }));
        };
        if kept.len() + chunk.len() > BODY_LIMIT {
            let mut seen = kept.len() + chunk.len();
            let _ = tokio::time::timeout(DRAIN_WITHIN, async {
                while let Some(Ok(chunk)) = stream.next().await {
                    seen += chunk.len();
                    if seen > DRAIN_LIMIT {
                        break;
                    }
                }
            })
            .await;
            return Err(too_large);
        }
        kept.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(kept))
}

/// How much of an oversized body is read (and dropped) before answering
/// 413, and for how long at most.
const DRAIN_LIMIT: usize = 1024 * 1024;
const DRAIN_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads JSON, naming the path of a value that has the wrong type or breaks
/// a rule (`items[0].quantity`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = strip_position(&inner.to_string());
        // An out-of-range number is well-formed JSON with a bad value.
        let bad_value = inner.is_data() || message == "number out of range";
        if !bad_value {
            AppError::Malformed { message }
        } else if path == "." {
            AppError::invalid("body", message)
        } else {
            AppError::invalid(path, message)
        }
    })?;
    Ok(value)
}

/// serde_json appends " at line 1 column 7"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| {
                ApiError::App(AppError::Invalid {
                    field: "query".into(),
                    message: e.to_string(),
                })
            })
    }
}

/// The `:id` of a path, which must be an id.
pub struct PathId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(text) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NoRoute)?;
        path_id(&text).map(PathId)
    }
}

/// The two ids of a path such as `/api/webhooks/{id}/deliveries/{delivery}`.
pub struct PathIds(pub Id, pub Id);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path((first, second)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NoRoute)?;
        Ok(PathIds(path_id(&first)?, path_id(&second)?))
    }
}

fn path_id(text: &str) -> Result<Id, ApiError> {
    text.parse().map_err(|_| {
        ApiError::App(AppError::Malformed {
            message: format!("{text:?} is not an id (24 hex digits)"),
        })
    })
}
