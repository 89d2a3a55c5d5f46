//! Requests to a provider: a bounded time, no redirects followed, and a bounded answer.

use super::OidcError;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Longest a request to a provider may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read from a provider (discovery documents and key sets are a few KiB).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// The HTTP client for every provider.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
}

impl Default for Fetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Fetcher {
    fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            // A redirect could lead a token request with our client secret elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("plenum/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client's TLS backend (rustls on aws-lc-rs) initialises");
        Self { client }
    }

    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))?;
        read_json(url, response).await
    }

    /// POSTs a form (the token endpoint), with HTTP Basic client authentication if a
    /// secret is given.
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<T, OidcError> {
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form);
        if let Some((id, secret)) = basic {
            // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
            request = request.basic_auth(form_encode(id), Some(form_encode(secret)));
        }
        let response = request
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("POST {url}: {e}")))?;
        read_json(url, response).await
    }
}

async fn read_json<T: DeserializeOwned>(
    url: &str,
    mut response: reqwest::Response,
) -> Result<T, OidcError> {
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| OidcError::Provider(format!("{url}: {e}")))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(OidcError::Provider(format!(
                "{url}: answer larger than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body);
        let shown: String = text.chars().take(300).collect();
        return Err(OidcError::Provider(format!(
            "{url}: HTTP {status}: {shown}"
        )));
    }
    serde_json::from_slice(&body).map_err(|e| OidcError::Provider(format!("{url}: {e}")))
}

fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
