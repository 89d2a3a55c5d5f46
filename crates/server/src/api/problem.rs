//! RFC 9457 problem responses: the one error type of the HTTP API.

use crate::authz::Denial;
use crate::passwords::PasswordError;
use crate::tokens::TokenError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use plenum_protocol::rest::Problem;
use plenum_store::StoreError;

/// An API error: status, stable code, human detail. Internal causes are logged, never sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// Set when access was denied (a refused token, a missing permission): the response
    /// carries it as an extension, and `authz::record_denials` audits it.
    pub denial: Option<Box<Denial>>,
    /// Seconds to send as `Retry-After` (a locked login, a rate limit).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            denial: None,
            retry_after: None,
        }
    }

    /// Adds `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Marks the error as an access denial to be audited.
    pub fn denied(mut self, denial: Denial) -> Self {
        self.denial = Some(Box::new(denial));
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", detail)
    }

    /// The account behind a still-valid token no longer exists.
    pub fn account_gone() -> Self {
        Self::unauthorized("account_gone", "account no longer exists")
    }

    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "request body exceeds 64 KiB",
        )
    }

    /// Logs the cause and answers a bare 500.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem())
            .expect("a Problem of strings and a number always serializes");
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(denial) = self.denial {
            response.extensions_mut().insert(*denial);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("not found"),
            StoreError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "already exists")
            }
            other => ApiError::internal(&other),
        }
    }
}

/// Turns a store error into an API error, answering [`StoreError::NotFound`] with
/// `missing()` instead of the generic 404: `.map_err(not_found_as(ApiError::account_gone))`.
pub fn not_found_as(missing: impl FnOnce() -> ApiError) -> impl FnOnce(StoreError) -> ApiError {
    move |e| match e {
        StoreError::NotFound => missing(),
        other => other.into(),
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        ApiError::unauthorized(e.code(), e.to_string()).denied(Denial {
            claims: None,
            resource: None,
            reason: e.code(),
        })
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        ApiError::internal(&e)
    }
}
