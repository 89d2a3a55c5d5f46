//! A provider's signing keys (JWKS), cached, and the signature check of the JWTs it
//! issues (ID tokens, logout tokens).
//!
//! A token signed with a key id the cache does not know makes the cache fetch the JWKS
//! again, so a provider can rotate its keys without Plenum restarting; [`RefetchGate`]
//! allows that at most once per [`REFETCH_INTERVAL`], so a flood of tokens with made-up key
//! ids cannot turn Plenum into a load generator against the provider.

use super::OidcError;
use super::http::Fetcher;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Shortest time between two JWKS fetches of one provider.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// Clock skew tolerated in `exp`, `iat` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;

/// Signature algorithms accepted from providers: asymmetric only, so no key confusion
/// with a shared secret is possible and `none` never verifies.
const ACCEPTED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Decides whether a fetch may happen now: at most one per `interval`. Time is an input.
#[derive(Debug)]
pub struct RefetchGate {
    interval: Duration,
    last: Option<Instant>,
}

impl RefetchGate {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: None,
        }
    }

    /// True (and remembers `now`) if the last fetch was at least `interval` ago.
    pub fn try_pass(&mut self, now: Instant) -> bool {
        let open = self
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if open {
            self.last = Some(now);
        }
        open
    }

    /// Forgets the last fetch, so the next one may happen at once.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// The cached JWKS of one provider.
#[derive(Debug)]
pub struct KeyCache {
    keys: RwLock<JwkSet>,
    /// Serialises fetches and rate-limits them; `true` once a fetch succeeded.
    gate: tokio::sync::Mutex<(RefetchGate, bool)>,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self {
            keys: RwLock::new(JwkSet { keys: Vec::new() }),
            gate: tokio::sync::Mutex::new((RefetchGate::new(REFETCH_INTERVAL), false)),
        }
    }
}

impl KeyCache {
    /// The key for a token header: from the cache, or after one (rate-limited) fetch.
    async fn key_for(
        &self,
        fetcher: &Fetcher,
        jwks_uri: &str,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, OidcError> {
        if let Some(key) = self.cached(kid, alg)? {
            return Ok(key);
        }
        let mut guard = self.gate.lock().await;
        let (gate, filled) = &mut *guard;
        // Someone else may have fetched while we waited for the lock.
        if let Some(key) = self.cached(kid, alg)? {
            return Ok(key);
        }
        if !gate.try_pass(Instant::now()) {
            return Err(OidcError::UnknownKey);
        }
        // A failed fetch keeps the gate closed, so retries are rate-limited too.
        let fresh: JwkSet = fetcher.get_json(jwks_uri).await?;
        tracing::info!(
            jwks_uri,
            keys = fresh.keys.len(),
            "fetched the provider's signing keys"
        );
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        if !*filled {
            // Filling the empty cache is not a re-fetch: a key rotation right after the
            // first login must not wait for the interval.
            *filled = true;
            gate.reset();
        }
        self.cached(kid, alg)?.ok_or(OidcError::UnknownKey)
    }

    fn cached(&self, kid: Option<&str>, alg: Algorithm) -> Result<Option<DecodingKey>, OidcError> {
        let set = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let signing =
            |jwk: &&Jwk| !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption));
        let jwk = match kid {
            Some(kid) => set.find(kid).filter(signing),
            // Without a kid the key is only unambiguous if there is one signing key.
            None => {
                let mut candidates = set.keys.iter().filter(signing);
                match (candidates.next(), candidates.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        };
        let Some(jwk) = jwk else {
            return Ok(None);
        };
        if let Some(declared) = jwk.common.key_algorithm
            && format!("{declared:?}") != format!("{alg:?}")
        {
            return Err(OidcError::InvalidToken(format!(
                "the token says {alg:?}, its key is for {declared}"
            )));
        }
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| OidcError::InvalidToken(format!("unusable provider key: {e}")))?;
        Ok(Some(key))
    }

    /// Verifies a JWT's signature with the provider's keys, and its `iss` and `aud`
    /// (jsonwebtoken's checks), and parses its claims. `exp` is checked only if
    /// `require_exp` (logout tokens need not carry one).
    pub async fn verify<C: DeserializeOwned>(
        &self,
        fetcher: &Fetcher,
        jwks_uri: &str,
        token: &str,
        issuer: &str,
        audience: &str,
        require_exp: bool,
    ) -> Result<C, OidcError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| OidcError::InvalidToken(format!("header: {e}")))?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(OidcError::InvalidToken(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let key = self
            .key_for(fetcher, jwks_uri, header.kid.as_deref(), header.alg)
            .await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = require_exp;
        if require_exp {
            validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        } else {
            validation.set_required_spec_claims(&["iss", "aud"]);
        }
        jsonwebtoken::decode::<C>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| OidcError::InvalidToken(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token with this header and an empty payload and signature.
    fn token_with_header(header: &str) -> String {
        use base64::Engine as _;
        let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        format!("{}.{}.", b64(header), b64("{}"))
    }

    #[tokio::test]
    async fn symmetric_and_unsigned_tokens_are_refused_before_any_key_lookup() {
        let cache = KeyCache::default();
        // Nothing listens there: a refusal that needed the keys would be a fetch error.
        let jwks = "http://127.0.0.1:9/jwks";
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256","kid":"k"}"#,
            r#"{"alg":"HS512"}"#,
            r#"{"typ":"JWT"}"#,
        ] {
            let result = cache
                .verify::<serde_json::Value>(
                    &Fetcher::default(),
                    jwks,
                    &token_with_header(header),
                    "https://idp.example",
                    "plenum",
                    true,
                )
                .await;
            assert!(
                matches!(result, Err(OidcError::InvalidToken(_))),
                "{header}: {result:?}"
            );
        }
    }

    #[test]
    fn refetch_gate_opens_once_per_interval() {
        let mut gate = RefetchGate::new(REFETCH_INTERVAL);
        let t0 = Instant::now();
        assert!(gate.try_pass(t0), "the first fetch is always allowed");
        assert!(!gate.try_pass(t0 + Duration::from_secs(1)));
        assert!(!gate.try_pass(t0 + REFETCH_INTERVAL - Duration::from_millis(1)));
        assert!(gate.try_pass(t0 + REFETCH_INTERVAL));
        assert!(!gate.try_pass(t0 + REFETCH_INTERVAL + Duration::from_secs(29)));
        gate.reset();
        assert!(gate.try_pass(t0 + REFETCH_INTERVAL + Duration::from_secs(29)));
    }
}
