//! Access tokens: JWTs signed with Ed25519 (EdDSA).
//!
//! `iss` is the configured public URL, `aud` is `"plenum"`. Account tokens (`kind: user`)
//! open the REST API; meeting-scoped tokens (`kind: meeting` for users, `kind: guest` for
//! guests) carry the meeting id (`mtg`) and role and open only that meeting's signaling.
//! Expiry is checked here against a time passed in (5 s leeway for clock skew), so tests
//! can issue and verify at any instant; the signature, audience and issuer checks are
//! jsonwebtoken's.

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use plenum_protocol::signaling::Role;
use plenum_protocol::{MeetingId, UserId};
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

/// Issues and verifies access tokens with one Ed25519 key.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    lifetime: Duration,
    validation: Validation,
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
        let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|e| e.to_string())?;
        let public = pair.public_key().as_ref().to_vec();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked in `verify_at` against the caller's clock.
        validation.validate_exp = false;
        validation.leeway = 0;
        Ok(Self {
            encoding: EncodingKey::from_ed_der(der),
            decoding: DecodingKey::from_ed_der(&public),
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

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// An account token for the REST API.
    pub fn issue_user(&self, user: UserId, name: &str, now: OffsetDateTime) -> IssuedToken {
        self.issue(user, TokenKind::User, name, None, None, None, now)
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
        self.issue(
            user,
            TokenKind::Meeting,
            name,
            Some(meeting),
            Some(role),
            None,
            now,
        )
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
        self.issue(
            guest,
            TokenKind::Guest,
            name,
            Some(meeting),
            Some(Role::Guest),
            Some(invite_code.to_owned()),
            now,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn issue(
        &self,
        sub: UserId,
        kind: TokenKind,
        name: &str,
        mtg: Option<MeetingId>,
        role: Option<Role>,
        inv: Option<String>,
        now: OffsetDateTime,
    ) -> IssuedToken {
        let expires_at = now + self.lifetime;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            sub,
            kind,
            name: name.to_owned(),
            exp: expires_at.unix_timestamp(),
            iat: now.unix_timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            mtg,
            role,
            inv,
        };
        self.sign(&claims, expires_at)
    }

    /// Signs arbitrary claims. Exposed so tests can craft tokens (wrong audience, past
    /// expiry) with the real key.
    pub fn sign(&self, claims: &Claims, expires_at: OffsetDateTime) -> IssuedToken {
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.encoding)
            .expect("signing with a key that parsed as Ed25519 PKCS#8 cannot fail");
        IssuedToken { token, expires_at }
    }

    /// Verifies a token at the current time.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, OffsetDateTime::now_utc())
    }

    /// Verifies signature, audience, issuer, expiry (with [`LEEWAY_SECS`]) and the
    /// consistency of kind, meeting and role.
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Claims, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::InvalidSignature,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidAlgorithm => TokenError::InvalidSignature,
                _ => TokenError::Malformed(e.to_string()),
            })?;
        let claims = data.claims;
        if claims.exp + LEEWAY_SECS < now.unix_timestamp() {
            return Err(TokenError::Expired);
        }
        let scoped = claims.mtg.is_some() && claims.role.is_some();
        let consistent = match claims.kind {
            TokenKind::User => claims.mtg.is_none() && claims.role.is_none(),
            TokenKind::Meeting => scoped && claims.role != Some(Role::Guest),
            TokenKind::Guest => scoped && claims.role == Some(Role::Guest),
        };
        if !consistent {
            return Err(TokenError::Malformed(
                "kind, meeting and role do not fit together".into(),
            ));
        }
        Ok(claims)
    }
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

    #[test]
    fn round_trip_and_refusals() {
        let svc = service("http://127.0.0.1:8080");
        let other_key = service("http://127.0.0.1:8080");
        let other_issuer = service("https://elsewhere");
        let user = UserId::random();
        let issued = svc.issue_user(user, "Alice", t0());
        let claims = svc.verify_at(&issued.token, t0()).unwrap();
        assert_eq!(claims.sub, user);
        assert_eq!(claims.kind, TokenKind::User);
        assert_eq!(issued.expires_at, t0() + Duration::from_secs(900));

        let mut wrong_aud = claims.clone();
        wrong_aud.aud = "someone-else".into();
        let wrong_aud = svc.sign(&wrong_aud, issued.expires_at).token;
        let exp = issued.expires_at;
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
                other_key.issue_user(user, "A", t0()).token,
                t0(),
                Err(TokenError::InvalidSignature),
            ),
            (
                other_issuer.issue_user(user, "A", t0()).token,
                t0(),
                Err(TokenError::InvalidSignature),
            ),
            (wrong_aud, t0(), Err(TokenError::WrongAudience)),
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

        // A meeting token that claims to be a user token is refused.
        let mut forged = claims.clone();
        forged.kind = TokenKind::User;
        let forged = svc.sign(&forged, guest.expires_at).token;
        assert!(matches!(
            svc.verify_at(&forged, t0()),
            Err(TokenError::Malformed(_))
        ));
    }

    /// A key as `openssl genpkey -algorithm ed25519` writes it (PKCS#8 v1, no public key);
    /// made for this test only.
    const OPENSSL_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEII7uP+6hXFMqwNral1uc+hn7ZSdVvc9TUTzbWGSy6t3+\n-----END PRIVATE KEY-----\n";

    #[test]
    fn openssl_keys_load() {
        let svc = TokenService::from_pem(OPENSSL_KEY, "x", Duration::from_secs(60)).unwrap();
        let issued = svc.issue_user(UserId::random(), "A", t0());
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
