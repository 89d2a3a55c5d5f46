//! OpenID Connect login against any conformant provider (docs/identity.md).
//!
//! Authorization Code flow with PKCE (S256) only. A login starts at
//! [`Oidc::start_login`], which remembers `state`, `nonce` and the PKCE verifier server-side
//! ([`pending`]) and sends the browser to the provider; [`Oidc::finish_login`] takes the
//! code back, redeems it at the token endpoint and validates the ID token (signature with
//! the provider's cached keys, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`). Back-channel
//! logout tokens are validated by [`Oidc::verify_logout_token`] per OIDC Back-Channel
//! Logout 1.0 §2.6. The REST side (routes, accounts, sessions) is `api::oidc`.
//!
//! JWT checks use `jsonwebtoken` (already Plenum's token library, on aws-lc-rs) and the
//! HTTP calls `reqwest` (rustls on aws-lc-rs). The `openidconnect` crate was not taken: it
//! cannot validate logout tokens, its verifier holds a fixed key set (no re-fetch on an
//! unknown `kid`), and it would add a second crypto stack (RustCrypto RSA/ECDSA, chrono)
//! next to aws-lc-rs.

pub mod http;
pub mod keys;
pub mod pending;

use crate::config::{Config, OidcProvider, RoleRule, mapped_role};
use http::Fetcher;
use keys::{KeyCache, LEEWAY_SECS};
use pending::{PendingError, PendingLogins};
use plenum_protocol::AccountRole;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a fetched discovery document is used before it is read again.
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);
/// Logout tokens issued longer ago than this are refused, and their `jti`s are remembered
/// this long to refuse replays.
pub const LOGOUT_TOKEN_MAX_AGE_SECS: i64 = 10 * 60;
/// Most logout-token ids remembered at once.
const MAX_REMEMBERED_JTIS: usize = 10_000;
/// The `events` member that makes a JWT a logout token.
const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Longest ID token accepted (stored as the logout hint).
const MAX_ID_TOKEN_BYTES: usize = 16 * 1024;

/// Why an OIDC step failed. The API turns these into generic problems; the detail goes to
/// the log only.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("no such OIDC provider")]
    UnknownProvider,
    #[error("provider unavailable: {0}")]
    Provider(String),
    #[error("the token's signing key is not among the provider's keys")]
    UnknownKey,
    #[error("invalid token: {0}")]
    InvalidToken(String),
    #[error(transparent)]
    Pending(#[from] PendingError),
    #[error("the provider refused the login: {0}")]
    Refused(String),
    #[error("this logout token was used already")]
    Replayed,
}

/// The parts of a provider's discovery document Plenum uses.
#[derive(Clone, Debug, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

/// The claims of a validated ID token.
#[derive(Clone, Debug, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    /// One audience or several (jsonwebtoken checked ours is among them).
    aud: Value,
    iat: i64,
    /// Every other claim (groups and whatever a role rule looks at).
    #[serde(flatten)]
    pub other: HashMap<String, Value>,
}

impl IdClaims {
    /// The values of `claim` as strings: a string, each string of an array, or a number or
    /// boolean written out.
    pub fn values(&self, claim: &str) -> Vec<String> {
        let value = match claim {
            "sub" => return vec![self.sub.clone()],
            "email" => return self.email.iter().cloned().collect(),
            "name" => return self.name.iter().cloned().collect(),
            "preferred_username" => return self.preferred_username.iter().cloned().collect(),
            other => self.other.get(other),
        };
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        match value {
            Some(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
            Some(v) => scalar(v).into_iter().collect(),
            None => Vec::new(),
        }
    }
}

/// The role `claims` earn at `provider`: the first matching rule, else its default.
pub fn role_for(provider: &OidcProvider, claims: &IdClaims) -> AccountRole {
    mapped_role(&provider.roles, provider.default_role, |rule: &RoleRule| {
        let claim = rule.claim.as_deref().unwrap_or(&provider.groups_claim);
        claims.values(claim).contains(&rule.value)
    })
}

/// The claims of a validated logout token that say whom to log out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutRequest {
    pub sub: Option<String>,
    pub sid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LogoutClaims {
    iat: i64,
    #[serde(default)]
    exp: Option<i64>,
    jti: String,
    events: serde_json::Map<String, Value>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    nonce: Option<Value>,
}

/// A finished login: who came back, from where, and where the browser goes next.
#[derive(Debug)]
pub struct Completed {
    pub provider: OidcProvider,
    pub claims: IdClaims,
    /// The raw ID token, kept as `id_token_hint` for logging out at the provider.
    pub id_token: String,
    pub return_to: String,
}

/// What the browser is sent to the provider with.
#[derive(Debug)]
pub struct LoginStart {
    pub authorization_url: String,
    /// Value of the binding cookie (see [`pending`]).
    pub binding: String,
}

#[derive(Debug)]
struct Provider {
    config: OidcProvider,
    redirect_uri: String,
    metadata: tokio::sync::Mutex<Option<(Metadata, Instant)>>,
    keys: KeyCache,
}

/// Every configured provider, and the logins in progress.
#[derive(Debug)]
pub struct Oidc {
    providers: Vec<Provider>,
    fetcher: Fetcher,
    pending: PendingLogins,
    /// Logout-token ids seen (provider + jti → when they may be forgotten, Unix seconds).
    seen_jtis: Mutex<HashMap<(String, String), i64>>,
}

impl Oidc {
    pub fn new(config: &Config) -> Self {
        let providers = config
            .identity
            .oidc
            .iter()
            .map(|p| Provider {
                redirect_uri: callback_url(&config.http.public_url, &p.id),
                config: p.clone(),
                metadata: tokio::sync::Mutex::new(None),
                keys: KeyCache::default(),
            })
            .collect();
        Self {
            providers,
            fetcher: Fetcher::default(),
            pending: PendingLogins::default(),
            seen_jtis: Mutex::new(HashMap::new()),
        }
    }

    /// The configured providers, in config order.
    pub fn providers(&self) -> impl Iterator<Item = &OidcProvider> {
        self.providers.iter().map(|p| &p.config)
    }

    fn provider(&self, id: &str) -> Result<&Provider, OidcError> {
        self.providers
            .iter()
            .find(|p| p.config.id == id)
            .ok_or(OidcError::UnknownProvider)
    }

    /// The provider's discovery document, fetched at first use and again after
    /// [`METADATA_LIFETIME`] (a stale copy is used while the provider cannot be reached).
    async fn metadata(&self, provider: &Provider) -> Result<Metadata, OidcError> {
        let mut cached = provider.metadata.lock().await;
        if let Some((metadata, fetched)) = cached.as_ref()
            && fetched.elapsed() < METADATA_LIFETIME
        {
            return Ok(metadata.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            provider.config.issuer.trim_end_matches('/')
        );
        let fresh: Metadata = match self.fetcher.get_json(&url).await {
            Ok(fresh) => fresh,
            Err(error) => {
                if let Some((stale, _)) = cached.as_ref() {
                    tracing::warn!(%error, provider = provider.config.id, "discovery failed; using the last document");
                    return Ok(stale.clone());
                }
                return Err(error);
            }
        };
        check_metadata(&provider.config, &fresh)?;
        *cached = Some((fresh.clone(), Instant::now()));
        Ok(fresh)
    }

    /// Starts a login at `provider_id`; `return_to` is a path on this server.
    pub async fn start_login(
        &self,
        provider_id: &str,
        return_to: String,
        now: Instant,
    ) -> Result<LoginStart, OidcError> {
        let provider = self.provider(provider_id)?;
        let metadata = self.metadata(provider).await?;
        let started = self.pending.start(provider_id, return_to, now)?;
        let scope = provider.config.scopes.join(" ");
        let url = url::Url::parse_with_params(
            &metadata.authorization_endpoint,
            [
                ("response_type", "code"),
                ("client_id", provider.config.client_id.as_str()),
                ("redirect_uri", provider.redirect_uri.as_str()),
                ("scope", scope.as_str()),
                ("state", started.state.as_str()),
                ("nonce", started.nonce.as_str()),
                ("code_challenge", started.challenge.as_str()),
                ("code_challenge_method", "S256"),
            ],
        )
        .map_err(|e| OidcError::Provider(format!("authorization_endpoint: {e}")))?;
        Ok(LoginStart {
            authorization_url: url.into(),
            binding: started.binding,
        })
    }

    /// Finishes a login: the callback's `state` must name a pending login of
    /// `provider_id` started in this browser (`binding`), the code is redeemed and the ID
    /// token validated. `iss` is the callback's RFC 9207 issuer parameter, if sent.
    pub async fn finish_login(
        &self,
        provider_id: &str,
        state: &str,
        code: &str,
        iss: Option<&str>,
        binding: Option<&str>,
        now: Instant,
    ) -> Result<Completed, OidcError> {
        let login = self.pending.finish(state, binding, now)?;
        if login.provider != provider_id {
            return Err(OidcError::Pending(PendingError::UnknownState));
        }
        let provider = self.provider(provider_id)?;
        let config = &provider.config;
        if iss.is_some_and(|iss| iss != config.issuer) {
            return Err(OidcError::Refused(
                "the callback names another issuer (mix-up)".into(),
            ));
        }
        let metadata = self.metadata(provider).await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", provider.redirect_uri.as_str()),
            ("code_verifier", login.verifier.as_str()),
            ("client_id", config.client_id.as_str()),
        ];
        let basic = config
            .client_secret
            .as_ref()
            .map(|secret| (config.client_id.as_str(), secret.expose()));
        #[derive(Deserialize)]
        struct TokenAnswer {
            id_token: Option<String>,
        }
        let answer: TokenAnswer = self
            .fetcher
            .post_form(&metadata.token_endpoint, &form, basic)
            .await?;
        let id_token = answer
            .id_token
            .ok_or_else(|| OidcError::InvalidToken("the token answer has no id_token".into()))?;
        if id_token.len() > MAX_ID_TOKEN_BYTES {
            return Err(OidcError::InvalidToken("the ID token is too large".into()));
        }
        let claims: IdClaims = provider
            .keys
            .verify(
                &self.fetcher,
                &metadata.jwks_uri,
                &id_token,
                &config.issuer,
                &config.client_id,
                true,
            )
            .await?;
        check_id_claims(config, &claims, &login.nonce, unix_now())?;
        Ok(Completed {
            provider: config.clone(),
            claims,
            id_token,
            return_to: login.return_to,
        })
    }

    /// Validates a back-channel logout token from `provider_id` (OIDC Back-Channel Logout
    /// 1.0 §2.6) and returns whom it logs out. Each token works once.
    pub async fn verify_logout_token(
        &self,
        provider_id: &str,
        token: &str,
    ) -> Result<LogoutRequest, OidcError> {
        let provider = self.provider(provider_id)?;
        let config = &provider.config;
        let metadata = self.metadata(provider).await?;
        let claims: LogoutClaims = provider
            .keys
            .verify(
                &self.fetcher,
                &metadata.jwks_uri,
                token,
                &config.issuer,
                &config.client_id,
                false,
            )
            .await?;
        let now = unix_now();
        check_logout_claims(&claims, now)?;
        let mut seen = self.seen_jtis.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, forget_at| *forget_at > now);
        let key = (provider_id.to_owned(), claims.jti.clone());
        if seen.contains_key(&key) {
            return Err(OidcError::Replayed);
        }
        if seen.len() >= MAX_REMEMBERED_JTIS {
            return Err(OidcError::Provider(
                "too many logout tokens in the replay window".into(),
            ));
        }
        seen.insert(key, claims.iat + LOGOUT_TOKEN_MAX_AGE_SECS + leeway());
        Ok(LogoutRequest {
            sub: claims.sub,
            sid: claims.sid,
        })
    }

    /// Where to send the browser to log out at the provider as well (RP-initiated logout),
    /// if the provider has an end-session endpoint.
    pub async fn end_session_url(
        &self,
        provider_id: &str,
        id_token: &str,
        post_logout_redirect_uri: &str,
    ) -> Result<Option<String>, OidcError> {
        let provider = self.provider(provider_id)?;
        let metadata = self.metadata(provider).await?;
        let Some(endpoint) = metadata.end_session_endpoint else {
            return Ok(None);
        };
        let url = url::Url::parse_with_params(
            &endpoint,
            [
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", post_logout_redirect_uri),
                ("client_id", provider.config.client_id.as_str()),
            ],
        )
        .map_err(|e| OidcError::Provider(format!("end_session_endpoint: {e}")))?;
        Ok(Some(url.into()))
    }
}

/// The redirect URI registered at the provider for `provider_id`.
pub fn callback_url(public_url: &str, provider_id: &str) -> String {
    format!("{public_url}/api/v1/auth/oidc/{provider_id}/callback")
}

/// The back-channel logout URI registered at the provider for `provider_id`.
pub fn backchannel_logout_url(public_url: &str, provider_id: &str) -> String {
    format!("{public_url}/api/v1/auth/oidc/{provider_id}/backchannel-logout")
}

fn leeway() -> i64 {
    i64::try_from(LEEWAY_SECS).unwrap_or(60)
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// OIDC Discovery §4.3: the document must name the issuer it was fetched for; PKCE S256
/// must not be ruled out; endpoints must not downgrade to plain http.
fn check_metadata(config: &OidcProvider, metadata: &Metadata) -> Result<(), OidcError> {
    if metadata.issuer != config.issuer {
        return Err(OidcError::Provider(format!(
            "the discovery document names issuer {:?}, configured is {:?}",
            metadata.issuer, config.issuer
        )));
    }
    if let Some(methods) = &metadata.code_challenge_methods_supported
        && !methods.iter().any(|m| m == "S256")
    {
        return Err(OidcError::Provider(
            "the provider does not support PKCE S256".into(),
        ));
    }
    let secure_issuer = config.issuer.starts_with("https://");
    for endpoint in [
        Some(&metadata.authorization_endpoint),
        Some(&metadata.token_endpoint),
        Some(&metadata.jwks_uri),
        metadata.end_session_endpoint.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        if secure_issuer && !endpoint.starts_with("https://") {
            return Err(OidcError::Provider(format!(
                "endpoint {endpoint} is not https"
            )));
        }
    }
    Ok(())
}

/// The ID-token checks jsonwebtoken does not do (OIDC Core §3.1.3.7).
fn check_id_claims(
    config: &OidcProvider,
    claims: &IdClaims,
    nonce: &str,
    now: i64,
) -> Result<(), OidcError> {
    if claims.nonce.as_deref() != Some(nonce) {
        return Err(OidcError::InvalidToken("nonce does not match".into()));
    }
    if (claims.aud.as_array().is_some_and(|all| all.len() > 1) || claims.azp.is_some())
        && claims.azp.as_deref() != Some(config.client_id.as_str())
    {
        return Err(OidcError::InvalidToken("azp is not this client".into()));
    }
    if claims.iat > now + leeway() {
        return Err(OidcError::InvalidToken("issued in the future".into()));
    }
    if claims.sub.is_empty() || claims.sub.len() > 255 {
        return Err(OidcError::InvalidToken(
            "sub must be 1..=255 characters".into(),
        ));
    }
    Ok(())
}

/// OIDC Back-Channel Logout 1.0 §2.6, steps 4–8 (the signature, iss and aud were checked).
fn check_logout_claims(claims: &LogoutClaims, now: i64) -> Result<(), OidcError> {
    let invalid = |why: &str| Err(OidcError::InvalidToken(why.into()));
    if claims.iat > now + leeway() || claims.iat < now - LOGOUT_TOKEN_MAX_AGE_SECS {
        return invalid("iat is not recent");
    }
    if claims.exp.is_some_and(|exp| exp < now - leeway()) {
        return invalid("expired");
    }
    if !claims
        .events
        .get(BACKCHANNEL_EVENT)
        .is_some_and(Value::is_object)
    {
        return invalid("events has no back-channel logout member");
    }
    if claims.nonce.is_some() {
        return invalid("a logout token must not carry a nonce");
    }
    if claims.sub.is_none() && claims.sid.is_none() {
        return invalid("neither sub nor sid");
    }
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return invalid("jti must be 1..=256 characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenum_protocol::DEFAULT_TENANT;
    use serde_json::json;

    fn provider(rules: Vec<RoleRule>) -> OidcProvider {
        OidcProvider {
            id: "corp".into(),
            display_name: "Corp".into(),
            issuer: "https://idp.example".into(),
            client_id: "plenum".into(),
            client_secret: None,
            scopes: vec!["openid".into()],
            groups_claim: "groups".into(),
            roles: rules,
            default_role: AccountRole::None,
            tenant: DEFAULT_TENANT.into(),
        }
    }

    fn claims(extra: Value) -> IdClaims {
        let mut base = json!({"sub": "s1", "aud": "plenum", "iat": 1_800_000_000, "nonce": "n"});
        if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
            base.extend(extra);
        }
        serde_json::from_value(base).unwrap()
    }

    fn rule(claim: Option<&str>, value: &str, role: AccountRole) -> RoleRule {
        RoleRule {
            claim: claim.map(str::to_owned),
            value: value.into(),
            role,
        }
    }

    #[test]
    fn roles_follow_the_first_matching_rule_and_deny_by_default() {
        let p = provider(vec![
            rule(None, "plenum-admins", AccountRole::InstanceAdmin),
            rule(None, "staff", AccountRole::User),
            rule(Some("email_verified"), "true", AccountRole::User),
        ]);
        let cases = [
            (
                json!({"groups": ["staff", "plenum-admins"]}),
                AccountRole::InstanceAdmin,
            ),
            (json!({"groups": ["staff"]}), AccountRole::User),
            (json!({"groups": "staff"}), AccountRole::User),
            (json!({"groups": ["contractors"]}), AccountRole::None),
            (json!({}), AccountRole::None),
            (
                json!({"groups": [], "email_verified": true}),
                AccountRole::User,
            ),
            (json!({"groups": {"staff": true}}), AccountRole::None),
        ];
        for (extra, expected) in cases {
            assert_eq!(role_for(&p, &claims(extra.clone())), expected, "{extra}");
        }
    }

    #[test]
    fn id_claims_checks() {
        let p = provider(Vec::new());
        let now = 1_800_000_000;
        assert!(check_id_claims(&p, &claims(json!({})), "n", now).is_ok());
        let refused = [
            (json!({"nonce": "other"}), "n"),
            (json!({}), "m"),
            (json!({"aud": ["plenum", "other"]}), "n"),
            (json!({"aud": ["plenum", "other"], "azp": "other"}), "n"),
            (json!({"azp": "other"}), "n"),
            (json!({"iat": now + 3600}), "n"),
            (json!({"sub": ""}), "n"),
        ];
        for (extra, nonce) in refused {
            assert!(
                check_id_claims(&p, &claims(extra.clone()), nonce, now).is_err(),
                "{extra}"
            );
        }
        let multi = claims(json!({"aud": ["plenum", "other"], "azp": "plenum"}));
        assert!(check_id_claims(&p, &multi, "n", now).is_ok());
    }

    #[test]
    fn logout_token_checks() {
        let now = 1_800_000_000;
        let token = |extra: Value| -> LogoutClaims {
            let mut base = json!({
                "iat": now, "jti": "j1", "sid": "s",
                "events": {BACKCHANNEL_EVENT: {}}
            });
            if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
                base.extend(extra);
            }
            serde_json::from_value(base).unwrap()
        };
        assert!(check_logout_claims(&token(json!({})), now).is_ok());
        assert!(check_logout_claims(&token(json!({"sid": null, "sub": "u"})), now).is_ok());
        let refused = [
            json!({"sid": null}),
            json!({"nonce": "n"}),
            json!({"events": {}}),
            json!({"events": {BACKCHANNEL_EVENT: "yes"}}),
            json!({"iat": now - LOGOUT_TOKEN_MAX_AGE_SECS - 1}),
            json!({"iat": now + 3600}),
            json!({"exp": now - 3600}),
            json!({"jti": ""}),
        ];
        for extra in refused {
            assert!(
                check_logout_claims(&token(extra.clone()), now).is_err(),
                "{extra}"
            );
        }
    }

    #[test]
    fn metadata_must_name_the_configured_issuer_and_allow_s256() {
        let p = provider(Vec::new());
        let good = Metadata {
            issuer: "https://idp.example".into(),
            authorization_endpoint: "https://idp.example/auth".into(),
            token_endpoint: "https://idp.example/token".into(),
            jwks_uri: "https://idp.example/jwks".into(),
            end_session_endpoint: None,
            code_challenge_methods_supported: Some(vec!["plain".into(), "S256".into()]),
        };
        assert!(check_metadata(&p, &good).is_ok());
        let mut other_issuer = good.clone();
        other_issuer.issuer = "https://evil.example".into();
        assert!(check_metadata(&p, &other_issuer).is_err());
        let mut plain_only = good.clone();
        plain_only.code_challenge_methods_supported = Some(vec!["plain".into()]);
        assert!(check_metadata(&p, &plain_only).is_err());
        let mut downgrade = good;
        downgrade.token_endpoint = "http://idp.example/token".into();
        assert!(check_metadata(&p, &downgrade).is_err());
    }
}
