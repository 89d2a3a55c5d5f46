//! The request id: every request gets one, the response echoes it in `x-request-id`, and
//! audit entries and log lines carry it, so an auditor can tie an entry to the logs of
//! every service the request passed through.
//!
//! A client (or a reverse proxy in front of Plenum) may bring its own id; it is kept if it
//! is at most [`MAX_LEN`] characters of `[A-Za-z0-9._-]` — anything else could smuggle
//! control characters or log-forging text into the trail — and replaced otherwise.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore as _;

/// The header that carries the id both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Longest client-supplied id kept.
pub const MAX_LEN: usize = 64;

/// The request's id, as a request extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Whether a client-supplied id is kept as it is.
pub fn is_acceptable(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A fresh id: 16 random bytes in hex.
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    plenum_audit::to_hex(&bytes)
}

/// Middleware: takes an acceptable `x-request-id` or makes one, stores it as a
/// [`RequestId`] extension and sets it on the response.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable(v))
        .map_or_else(generate, str::to_owned);
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    // Acceptable ids and generated ones are plain ASCII, always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(is_acceptable("abc-DEF_1.2"));
        assert!(is_acceptable(&"a".repeat(MAX_LEN)));
        assert!(!is_acceptable(&"a".repeat(MAX_LEN + 1)));
        assert!(!is_acceptable(""));
        for bad in ["a b", "a\nb", "x\u{1b}[31m", "a/b", "ä", "a=b", "a|b"] {
            assert!(!is_acceptable(bad), "{bad:?}");
        }
        let fresh = generate();
        assert_eq!(fresh.len(), 32);
        assert!(is_acceptable(&fresh));
    }
}
