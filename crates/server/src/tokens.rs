//! Access tokens: JWTs signed with Ed25519 (EdDSA).
//!
//! `iss` is the configured public URL, `aud` is `"plenum"`. Account tokens (`kind: user`)
//! open the REST API and carry the account's role (`arl`), tenant (`ten`) and login session
//! (`sid`, the refresh-token family, so a logout can revoke them); meeting-scoped tokens
//! (`kind: meeting` for users, `kind: guest` for guests) carry the meeting id (`mtg`) and
//! role and open only that meeting's signaling. Expiry and not-before are checked here
//! against a time passed in (5 s leeway for clock skew), so tests can issue and verify at
//! any instant; the signature, audience and issuer checks are jsonwebtoken's.

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use plenum_protocol::signaling::Role;
use plenum_protocol::{AccountRole, DEFAULT_TENANT, MeetingId, UserId};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;
use time::OffsetDateTime;

/// The audience of every Plenum token.
pub const AUDIENCE: &str = "plenum";
/// Clock skew tolerated when checking `exp`.
pub const LEEWAY_SECS: i64 = 5;

/// What a token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A logged-in account; opens the REST API.
    User,
    /// A guest admitted through an invite; opens one meeting.
    Guest,
    /// A logged-in account's ticket for one meeting.
    Meeting,
    /// An API client (OAuth 2.0 client credentials), limited to its scopes.
    Client,
}

/// The claims of a Plenum access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id, or the random id of a guest.
    pub sub: UserId,
    pub kind: TokenKind,
    /// Display name.
    pub name: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The meeting of a guest or meeting token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtg: Option<MeetingId>,
    /// The role in that meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// For guest tokens: the invite code the guest came in with, so a ban can name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inv: Option<String>,
    /// Not valid before (Unix seconds); Plenum does not set it but honours it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Account tokens: the account role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arl: Option<AccountRole>,
    /// The tenant of the account (absent: the default tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ten: Option<String>,
    /// The login session (refresh-token family) the token was issued in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Client tokens: the granted scopes, space-separated (RFC 8693 `scope`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
}

/// The account an account token is issued for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: UserId,
    pub name: String,
    pub role: AccountRole,
    pub tenant: String,
    /// The login session (refresh-token family id), if the token belongs to one.
    pub session: Option<String>,
}

impl Claims {
    /// Whether this token is scoped to a meeting (what the signaling WebSocket accepts).
    pub fn is_meeting_scoped(&self) -> bool {
        matches!(self.kind, TokenKind::Guest | TokenKind::Meeting)
    }

    /// `exp` as Unix seconds (0 for a nonsensical negative value).
    pub fn expires_at_unix(&self) -> u64 {
        u64::try_from(self.exp).unwrap_or(0)
    }

    /// `exp` as RFC 3339 UTC, as the API and signaling messages show times.
    pub fn expires_at_rfc3339(&self) -> String {
        let at =
            OffsetDateTime::from_unix_timestamp(self.exp).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        crate::api::rfc3339(at)
    }

    /// The account role. Only account tokens carry one; every other token has none.
    pub fn account_role(&self) -> AccountRole {
        match self.kind {
            TokenKind::User => self.arl.unwrap_or(AccountRole::None),
            TokenKind::Guest | TokenKind::Meeting | TokenKind::Client => AccountRole::None,
        }
    }

    /// Whether a client token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.kind == TokenKind::Client
            && self
                .scp
                .as_deref()
                .is_some_and(|granted| granted.split(' ').any(|s| s == scope))
    }

    /// The tenant the subject belongs to (guests: the tenant of the meeting's owner, or
    /// the default tenant).
    pub fn tenant(&self) -> &str {
        self.ten.as_deref().unwrap_or(DEFAULT_TENANT)
    }

    /// The meeting role; verified meeting tokens always carry one, account tokens count
    /// as participants.
    pub fn role_or_default(&self) -> Role {
        self.role.unwrap_or(Role::Participant)
    }
}

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no bearer token")]
    Missing,
    #[error("token expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("the session of this token has ended")]
    Revoked,
    #[error("token belongs to another tenant")]
    WrongTenant,
    #[error("token signature is invalid")]
    InvalidSignature,
    #[error("token is for another audience")]
    WrongAudience,
    #[error("token is from another issuer")]
    WrongIssuer,
    #[error("this kind of token is not accepted here")]
    WrongKind,
    #[error("token is malformed: {0}")]
    Malformed(String),
}

impl TokenError {
    /// Stable machine-readable code for problem bodies and close reasons.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Missing => "token_missing",
            TokenError::Expired => "token_expired",
            TokenError::NotYetValid => "token_not_yet_valid",
            TokenError::Revoked => "token_revoked",
            TokenError::WrongTenant => "token_wrong_tenant",
            TokenError::InvalidSignature => "token_invalid_signature",
            TokenError::WrongAudience => "token_wrong_audience",
            TokenError::WrongIssuer => "token_wrong_issuer",
            TokenError::WrongKind => "token_wrong_kind",
            TokenError::Malformed(_) => "token_malformed",
        }
    }
}

/// Problems with the signing key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read signing key {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write signing key {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("signing key {path} is not an Ed25519 private key in PKCS#8 PEM: {reason}")]
    Invalid { path: String, reason: String },
}

/// A freshly issued token and when it expires.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: OffsetDateTime,
}

/// A key that verifies tokens, named by its `kid`.
struct VerifyingKey {
    kid: String,
    public: Vec<u8>,
    decoding: DecodingKey,
}

/// Issues access tokens with the current Ed25519 key and verifies them with it or with
/// a previous key (kept after a rotation until the tokens it signed have expired). Every
/// token names its key in the `kid` header; the public keys are published as a JWKS.
pub struct TokenService {
    encoding: EncodingKey,
    /// The current key first, then previous ones.
    keys: Vec<VerifyingKey>,
    issuer: String,
    lifetime: Duration,
    validation: Validation,
}

/// The RFC 7638 thumbprint of an Ed25519 public key: its `kid`.
fn thumbprint(public: &[u8]) -> String {
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public);
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn verifying_key(der: &[u8]) -> Result<(VerifyingKey, EncodingKey), String> {
    let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|e| e.to_string())?;
    let public = pair.public_key().as_ref().to_vec();
    Ok((
        VerifyingKey {
            kid: thumbprint(&public),
            decoding: DecodingKey::from_ed_der(&public),
            public,
        },
        EncodingKey::from_ed_der(der),
    ))
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("issuer", &self.issuer)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    /// Builds the service from a PKCS#8 DER Ed25519 private key.
    pub fn from_pkcs8_der(der: &[u8], issuer: &str, lifetime: Duration) -> Result<Self, String> {
        let (key, encoding) = verifying_key(der)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked in `verify_at` against the caller's clock.
        validation.validate_exp = false;
        validation.leeway = 0;
        Ok(Self {
            encoding,
            keys: vec![key],
            issuer: issuer.to_owned(),
            lifetime,
            validation,
        })
    }

    /// Builds the service from PEM text (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(pem: &str, issuer: &str, lifetime: Duration) -> Result<Self, String> {
        let der = pem_to_der(pem)?;
        Self::from_pkcs8_der(&der, issuer, lifetime)
    }

    /// Loads the key at `path`, generating and saving a new one (mode 0600) if the file
    /// does not exist.
    pub fn load_or_generate(
        path: &Path,
        issuer: &str,
        lifetime: Duration,
    ) -> Result<(Self, bool), KeyError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(pem) => Self::from_pem(&pem, issuer, lifetime)
                .map(|s| (s, false))
                .map_err(|reason| KeyError::Invalid {
                    path: shown,
                    reason,
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pem = generate_pem();
                write_private(path, &pem).map_err(|source| KeyError::Write {
                    path: shown.clone(),
                    source,
                })?;
                Self::from_pem(&pem, issuer, lifetime)
                    .map(|s| (s, true))
                    .map_err(|reason| KeyError::Invalid {
                        path: shown,
                        reason,
                    })
            }
            Err(source) => Err(KeyError::Read {
                path: shown,
                source,
            }),
        }
    }

    /// Adds a previous signing key (PKCS#8 PEM) that still verifies the tokens it signed
    /// before a rotation; it signs nothing.
    pub fn add_previous_key(&mut self, pem: &str) -> Result<(), String> {
        let (key, _) = verifying_key(&pem_to_der(pem)?)?;
        if !self.keys.iter().any(|k| k.kid == key.kid) {
            self.keys.push(key);
        }
        Ok(())
    }

    /// The `kid` of the current signing key.
    pub fn key_id(&self) -> &str {
        self.keys.first().map_or("", |k| k.kid.as_str())
    }

    /// The public keys as a JSON Web Key Set (RFC 7517, OKP keys per RFC 8037), for
    /// `/.well-known/jwks.json`.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&k.public),
                    "kid": k.kid,
                    "use": "sig",
                    "alg": "EdDSA",
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// An account token for the REST API.
    pub fn issue_user(&self, account: &Account, now: OffsetDateTime) -> IssuedToken {
        let mut claims = self.claims(account.id, TokenKind::User, &account.name, now);
        claims.arl = Some(account.role);
        claims.ten = Some(account.tenant.clone());
        claims.sid = account.session.clone();
        self.sign_claims(&claims)
    }

    /// A meeting token for the account behind the verified account token `account`: same
    /// subject, name, tenant and session, so ending the session also ends the meeting
    /// connection.
    pub fn issue_meeting_for(
        &self,
        account: &Claims,
        meeting: MeetingId,
        role: Role,
        now: OffsetDateTime,
    ) -> IssuedToken {
        let mut claims = self.claims(account.sub, TokenKind::Meeting, &account.name, now);
        claims.mtg = Some(meeting);
        claims.role = Some(role);
        claims.ten = account.ten.clone();
        claims.sid = account.sid.clone();
        self.sign_claims(&claims)
    }

    /// A registered user's token for one meeting.
    pub fn issue_meeting(
        &self,
        user: UserId,
        name: &str,
        meeting: MeetingId,
        role: Role,
        now: OffsetDateTime,
    ) -> IssuedToken {
        let mut claims = self.claims(user, TokenKind::Meeting, name, now);
        claims.mtg = Some(meeting);
        claims.role = Some(role);
        self.sign_claims(&claims)
    }

    /// A guest's token for one meeting (role guest), remembering the invite used.
    pub fn issue_guest(
        &self,
        guest: UserId,
        name: &str,
        meeting: MeetingId,
        invite_code: &str,
        now: OffsetDateTime,
    ) -> IssuedToken {
        let mut claims = self.claims(guest, TokenKind::Guest, name, now);
        claims.mtg = Some(meeting);
        claims.role = Some(Role::Guest);
        claims.inv = Some(invite_code.to_owned());
        self.sign_claims(&claims)
    }

    /// A token for the API client `client` of `tenant` with `scopes`.
    pub fn issue_client(
        &self,
        client: uuid::Uuid,
        name: &str,
        tenant: &str,
        scopes: &[String],
        now: OffsetDateTime,
    ) -> IssuedToken {
        let mut claims = self.claims(UserId(client), TokenKind::Client, name, now);
        claims.ten = Some(tenant.to_owned());
        claims.scp = Some(scopes.join(" "));
        self.sign_claims(&claims)
    }

    /// The claims every token starts from: ours, fresh, valid for the configured lifetime.
    fn claims(&self, sub: UserId, kind: TokenKind, name: &str, now: OffsetDateTime) -> Claims {
        Claims {
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            sub,
            kind,
            name: name.to_owned(),
            exp: (now + self.lifetime).unix_timestamp(),
            iat: now.unix_timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            mtg: None,
            role: None,
            inv: None,
            nbf: None,
            arl: None,
            ten: None,
            sid: None,
            scp: None,
        }
    }

    fn sign_claims(&self, claims: &Claims) -> IssuedToken {
        let expires_at =
            OffsetDateTime::from_unix_timestamp(claims.exp).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        self.sign(claims, expires_at)
    }

    /// Signs arbitrary claims. Exposed so tests can craft tokens (wrong audience, past
    /// expiry) with the real key.
    pub fn sign(&self, claims: &Claims, expires_at: OffsetDateTime) -> IssuedToken {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.key_id().to_owned());
        let token = jsonwebtoken::encode(&header, claims, &self.encoding)
            .expect("signing with a key that parsed as Ed25519 PKCS#8 cannot fail");
        IssuedToken { token, expires_at }
    }

    /// Verifies a token at the current time.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, OffsetDateTime::now_utc())
    }

    /// Verifies signature, audience, issuer, expiry and not-before (with
    /// [`LEEWAY_SECS`]) and the consistency of kind, meeting and role.
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Claims, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| {
            if names_an_algorithm(token) {
                // A well-formed header with an algorithm we do not know, such as `none`.
                TokenError::InvalidSignature
            } else {
                TokenError::Malformed(e.to_string())
            }
        })?;
        // Only EdDSA, and only with one of our keys: `alg: none`, HMAC keyed with the
        // public key and other algorithms never reach a verifier.
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::InvalidSignature);
        }
        let key = match &header.kid {
            Some(kid) => self.keys.iter().find(|k| &k.kid == kid),
            None => self.keys.first(),
        }
        .ok_or(TokenError::InvalidSignature)?;
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation).map_err(
            |e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::InvalidSignature,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidAlgorithm => TokenError::InvalidSignature,
                _ => TokenError::Malformed(e.to_string()),
            },
        )?;
        let claims = data.claims;
        if claims.exp + LEEWAY_SECS < now.unix_timestamp() {
            return Err(TokenError::Expired);
        }
        // A token issued (or valid only) in the future was not made by this server's clock.
        let starts = claims.nbf.unwrap_or(claims.iat).max(claims.iat);
        if starts - LEEWAY_SECS > now.unix_timestamp() {
            return Err(TokenError::NotYetValid);
        }
        let scoped = claims.mtg.is_some() && claims.role.is_some();
        let consistent = match claims.kind {
            TokenKind::User => claims.mtg.is_none() && claims.role.is_none(),
            TokenKind::Meeting => scoped && claims.role != Some(Role::Guest),
            TokenKind::Guest => scoped && claims.role == Some(Role::Guest),
            TokenKind::Client => {
                claims.mtg.is_none() && claims.role.is_none() && claims.scp.is_some()
            }
        };
        if !consistent {
            return Err(TokenError::Malformed(
                "kind, meeting and role do not fit together".into(),
            ));
        }
        Ok(claims)
    }
}

/// Whether the token's header is JSON naming an `alg` (of any value).
fn names_an_algorithm(token: &str) -> bool {
    let Some(header) = token.split('.').next() else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|header| header.get("alg").is_some_and(serde_json::Value::is_string))
}

/// A new Ed25519 private key as PKCS#8 PEM.
pub fn generate_pem() -> String {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let doc = Ed25519KeyPair::generate_pkcs8(&rng)
        .expect("generating an Ed25519 key from the system RNG does not fail");
    der_to_pem(doc.as_ref())
}

fn der_to_pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for chunk in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let begin = "-----BEGIN PRIVATE KEY-----";
    let end = "-----END PRIVATE KEY-----";
    let start = pem
        .find(begin)
        .ok_or("no -----BEGIN PRIVATE KEY----- block")?
        + begin.len();
    let stop = pem[start..]
        .find(end)
        .ok_or("no -----END PRIVATE KEY----- line")?
        + start;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| format!("bad base64: {e}"))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(issuer: &str) -> TokenService {
        TokenService::from_pem(&generate_pem(), issuer, Duration::from_secs(900)).unwrap()
    }

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn account(id: UserId) -> Account {
        Account {
            id,
            name: "A".into(),
            role: AccountRole::TenantAdmin,
            tenant: "acme".into(),
            session: Some("family".into()),
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let svc = service("http://127.0.0.1:8080");
        let other_key = service("http://127.0.0.1:8080");
        let other_issuer = service("https://elsewhere");
        let user = UserId::random();
        let issued = svc.issue_user(&account(user), t0());
        let claims = svc.verify_at(&issued.token, t0()).unwrap();
        assert_eq!(claims.sub, user);
        assert_eq!(claims.kind, TokenKind::User);
        assert_eq!(claims.account_role(), AccountRole::TenantAdmin);
        assert_eq!(claims.tenant(), "acme");
        assert_eq!(claims.sid.as_deref(), Some("family"));
        assert_eq!(issued.expires_at, t0() + Duration::from_secs(900));

        let mut wrong_aud = claims.clone();
        wrong_aud.aud = "someone-else".into();
        let wrong_aud = svc.sign(&wrong_aud, issued.expires_at).token;
        let exp = issued.expires_at;
        let issued_later = svc.issue_user(&account(user), t0() + Duration::from_secs(60));
        let mut not_before = claims.clone();
        not_before.nbf = Some(claims.iat + 60);
        let not_before = svc.sign(&not_before, issued.expires_at).token;
        // (token, verified at, expected)
        let cases: Vec<(String, OffsetDateTime, Result<(), TokenError>)> = vec![
            (issued.token.clone(), exp, Ok(())),
            (issued.token.clone(), exp + Duration::from_secs(5), Ok(())),
            (
                issued.token.clone(),
                exp + Duration::from_secs(6),
                Err(TokenError::Expired),
            ),
            (
                other_key.issue_user(&account(user), t0()).token,
                t0(),
                Err(TokenError::InvalidSignature),
            ),
            (
                other_issuer.issue_user(&account(user), t0()).token,
                t0(),
                Err(TokenError::InvalidSignature),
            ),
            (wrong_aud, t0(), Err(TokenError::WrongAudience)),
            (
                issued_later.token.clone(),
                t0() + Duration::from_secs(55),
                Ok(()),
            ),
            (
                issued_later.token,
                t0() + Duration::from_secs(54),
                Err(TokenError::NotYetValid),
            ),
            (not_before, t0(), Err(TokenError::NotYetValid)),
            (String::new(), t0(), Err(TokenError::Missing)),
        ];
        for (token, at, expected) in cases {
            assert_eq!(svc.verify_at(&token, at).map(|_| ()), expected, "{token}");
        }
        assert!(matches!(
            svc.verify_at("a.b.c", t0()),
            Err(TokenError::Malformed(_))
        ));
        assert!(matches!(
            svc.verify_at("garbage", t0()),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn scoped_tokens_carry_meeting_and_role() {
        let svc = service("http://127.0.0.1:8080");
        let meeting = MeetingId::random();
        let guest = svc.issue_guest(UserId::random(), "G", meeting, "code", t0());
        let claims = svc.verify_at(&guest.token, t0()).unwrap();
        assert_eq!(
            (claims.kind, claims.mtg, claims.role),
            (TokenKind::Guest, Some(meeting), Some(Role::Guest))
        );
        assert_eq!(claims.inv.as_deref(), Some("code"));
        assert!(claims.is_meeting_scoped());
        assert_eq!(claims.account_role(), AccountRole::None);
        assert_eq!(claims.tenant(), DEFAULT_TENANT);

        // A meeting token that claims to be a user token is refused.
        let mut forged = claims.clone();
        forged.kind = TokenKind::User;
        let forged = svc.sign(&forged, guest.expires_at).token;
        assert!(matches!(
            svc.verify_at(&forged, t0()),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn a_previous_key_still_verifies_after_a_rotation() {
        let old_pem = generate_pem();
        let old = TokenService::from_pem(&old_pem, "x", Duration::from_secs(60)).unwrap();
        let issued_before = old.issue_user(&account(UserId::random()), t0());
        let mut new =
            TokenService::from_pem(&generate_pem(), "x", Duration::from_secs(60)).unwrap();
        assert!(matches!(
            new.verify_at(&issued_before.token, t0()),
            Err(TokenError::InvalidSignature)
        ));
        new.add_previous_key(&old_pem).unwrap();
        assert!(new.verify_at(&issued_before.token, t0()).is_ok());
        let issued_after = new.issue_user(&account(UserId::random()), t0());
        let header = jsonwebtoken::decode_header(&issued_after.token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(new.key_id()));
        assert_ne!(new.key_id(), old.key_id());
        let kids: Vec<_> = new.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kids, [new.key_id(), old.key_id()]);
        // A token naming a key that is not ours is refused.
        let mut forged = jsonwebtoken::Header::new(Algorithm::EdDSA);
        forged.kid = Some("unknown".into());
        let claims = new.verify_at(&issued_after.token, t0()).unwrap();
        let token = jsonwebtoken::encode(&forged, &claims, &new.encoding).unwrap();
        assert!(matches!(
            new.verify_at(&token, t0()),
            Err(TokenError::InvalidSignature)
        ));
    }

    /// A key as `openssl genpkey -algorithm ed25519` writes it (PKCS#8 v1, no public key);
    /// made for this test only.
    const OPENSSL_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEII7uP+6hXFMqwNral1uc+hn7ZSdVvc9TUTzbWGSy6t3+\n-----END PRIVATE KEY-----\n";

    #[test]
    fn openssl_keys_load() {
        let svc = TokenService::from_pem(OPENSSL_KEY, "x", Duration::from_secs(60)).unwrap();
        let issued = svc.issue_user(&account(UserId::random()), t0());
        assert!(svc.verify_at(&issued.token, t0()).is_ok());
    }

    #[test]
    fn pem_round_trip_and_bad_keys() {
        let pem = generate_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(TokenService::from_pem(&pem, "x", Duration::from_secs(60)).is_ok());
        for bad in [
            "",
            "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        ] {
            assert!(
                TokenService::from_pem(bad, "x", Duration::from_secs(60)).is_err(),
                "{bad}"
            );
        }
    }
}
