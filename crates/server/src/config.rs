//! Configuration: loaded once at start into typed structs, then passed down.
//!
//! Layers, later ones winning: built-in defaults → TOML file → `PLENUM_<SECTION>__<KEY>`
//! environment variables → command-line flags. Every layer is first flattened into dotted
//! keys (`http.bind`) with the place it came from, so a bad value is reported with the file
//! (or variable, or flag), the key and the reason. Unknown keys are errors, in the file and
//! in `PLENUM_*__*` variables alike. `PLENUM_<SECTION>__<KEY>_FILE=path` reads the value of
//! that key from a file (for secrets such as a database URL with a password).
//!
//! docs/configuration.md is the reference of every key.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod branding;

pub use branding::{BrandColors, BrandingConfig, LoginText, Logo, LogoKind, Rgb};

pub mod audit;
mod identity;
pub mod retention;
pub mod security;
pub mod siem;

pub use identity::{
    GroupLookup, IdentityConfig, LdapConfig, LdapSecurity, OidcProvider, RoleRule, Secret,
    mapped_role,
};

/// Longest access-token lifetime we accept: a stolen access token cannot be revoked, so
/// its life is kept short.
pub const MAX_ACCESS_LIFETIME: Duration = Duration::from_secs(3600);
/// Longest refresh-token lifetime (a login session without activity).
pub const MAX_REFRESH_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// Shortest token lifetime; below this clients would refresh constantly.
pub const MIN_LIFETIME: Duration = Duration::from_secs(30);

/// The validated configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub http: HttpConfig,
    pub media: MediaConfig,
    pub store: StoreConfig,
    pub tokens: TokenConfig,
    pub web: WebConfig,
    pub log: LogConfig,
    /// Product name, logo, colours and login text for the web client.
    pub branding: BrandingConfig,
    /// External identity sources: OIDC providers and LDAP (docs/identity.md).
    pub identity: IdentityConfig,
    /// Live export of the audit trail (docs/siem.md).
    pub siem: siem::SiemConfig,
    /// Brute-force protection of logins.
    pub security: security::SecurityConfig,
    /// Signed checkpoints of the audit trail and their keys.
    pub audit: audit::AuditConfig,
    /// How long each kind of data is kept.
    pub retention: retention::RetentionConfig,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    pub bind: SocketAddr,
    /// Scheme, host and port the browser uses, without a trailing slash; invite URLs are
    /// built from it and it is the tokens' issuer.
    pub public_url: String,
    /// Send the refresh cookie without `Secure` (and without the `__Host-` prefix, which
    /// requires it). Only for plain-http deployments on a trusted network.
    pub insecure_cookies: bool,
    /// Longest time a request may take to be read and answered; a client that trickles
    /// its request slower is cut off (408).
    pub request_timeout: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaConfig {
    /// UDP address of the media socket.
    pub bind: SocketAddr,
    /// Addresses announced to browsers as ICE candidates; never empty after validation
    /// (defaults to the bind IP).
    pub announce: Vec<IpAddr>,
    /// Media threads, each with its own UDP socket on `bind`'s port + its index.
    pub threads: NonZeroUsize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreConfig {
    pub data_dir: PathBuf,
    pub database_url: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenConfig {
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
    /// Ed25519 private key (PKCS#8 PEM); generated on first start if absent.
    pub signing_key_file: PathBuf,
    /// Former signing keys that still verify the tokens they signed (key rotation).
    pub previous_signing_key_files: Vec<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebConfig {
    pub assets_dir: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter directive such as `info` or `plenum_server=debug,info`.
    pub level: String,
}

/// Where a value came from; part of every error message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(String),
    Cli(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "the defaults"),
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Cli(flag) => write!(f, "command-line flag {flag}"),
        }
    }
}

/// A configuration error: where, which key, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("config error in {origin}: {key}: {reason}")]
pub struct ConfigError {
    pub origin: Origin,
    /// Dotted key, or a short description such as `TOML syntax` for file-level errors.
    pub key: String,
    pub reason: String,
}

/// The keys the configuration knows, with their value kinds. The order here is the order
/// of docs/configuration.md.
const KEYS: &[(&str, Kind)] = &[
    ("http.bind", Kind::Text),
    ("http.public_url", Kind::Text),
    ("http.insecure_cookies", Kind::Bool),
    ("http.request_timeout", Kind::Duration),
    ("media.bind", Kind::Text),
    ("media.announce", Kind::List),
    ("media.threads", Kind::Integer),
    ("store.data_dir", Kind::Text),
    ("store.database_url", Kind::Text),
    ("tokens.access_lifetime", Kind::Duration),
    ("tokens.refresh_lifetime", Kind::Duration),
    ("tokens.signing_key_file", Kind::Text),
    ("tokens.previous_signing_key_files", Kind::List),
    ("web.assets_dir", Kind::Text),
    ("log.format", Kind::Text),
    ("log.level", Kind::Text),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Bool,
    List,
    /// Text like `15m`, or an integer number of seconds.
    Duration,
    /// A whole number.
    Integer,
    /// An array of tables (`[[oidc.providers]]`); only a TOML file can supply one.
    Tables,
}

/// A value as a layer supplied it, before validation.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    Text(String),
    Bool(bool),
    Integer(i64),
    List(Vec<String>),
    Tables(Vec<toml::Table>),
}

/// One layer of configuration: dotted key → value and origin.
#[derive(Clone, Debug, Default)]
pub struct Layer {
    values: BTreeMap<String, (RawValue, Origin)>,
}

impl Layer {
    /// Sets a key; used for command-line flags.
    pub fn set(&mut self, key: &str, value: RawValue, origin: Origin) {
        self.values.insert(key.to_owned(), (value, origin));
    }

    /// Reads a TOML file into a layer. Unknown keys and non-table sections are errors.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let origin = Origin::File(path.to_owned());
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            origin: origin.clone(),
            key: "file".into(),
            reason: format!("cannot read: {e}"),
        })?;
        Self::from_toml(&text, origin)
    }

    /// Parses TOML text (from `origin`) into a layer.
    pub fn from_toml(text: &str, origin: Origin) -> Result<Self, ConfigError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
            origin: origin.clone(),
            key: "TOML syntax".into(),
            reason: e.message().to_owned() + &span_hint(text, e.span()),
        })?;
        let mut layer = Layer::default();
        for (section, value) in table {
            let toml::Value::Table(entries) = value else {
                return Err(ConfigError {
                    origin,
                    key: section,
                    reason: "unknown key (expected one of the sections http, media, store, tokens, web, log, branding, oidc, ldap, siem, security, audit, retention)".into(),
                });
            };
            for (name, value) in entries {
                let key = format!("{section}.{name}");
                let kind = kind_of(&key).ok_or_else(|| unknown_key(&origin, &key))?;
                let raw = from_toml_value(value, kind).map_err(|reason| ConfigError {
                    origin: origin.clone(),
                    key: key.clone(),
                    reason,
                })?;
                layer.values.insert(key, (raw, origin.clone()));
            }
        }
        Ok(layer)
    }

    /// Reads `PLENUM_<SECTION>__<KEY>` (and `..._FILE`) variables from `vars`. Variables
    /// without a double underscore (such as `PLENUM_CONFIG`) are not config keys.
    pub fn from_env<I>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut layer = Layer::default();
        // Sorted so that the first error reported does not depend on the environment's order.
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .filter(|(name, _)| name.starts_with("PLENUM_") && name.contains("__"))
            .collect();
        for (name, value) in vars {
            let origin = Origin::Env(name.clone());
            let rest = &name["PLENUM_".len()..];
            let Some((section, key)) = rest.split_once("__") else {
                continue;
            };
            let dotted = format!("{}.{}", section.to_lowercase(), key.to_lowercase());
            let (dotted, value) = match kind_of(&dotted) {
                Some(_) => (dotted, value),
                None => match dotted
                    .strip_suffix("_file")
                    .filter(|k| kind_of(k).is_some())
                {
                    Some(base) => {
                        let text = std::fs::read_to_string(&value).map_err(|e| ConfigError {
                            origin: origin.clone(),
                            key: base.to_owned(),
                            reason: format!("cannot read {value}: {e}"),
                        })?;
                        // Secret files usually end with a newline that is not part of the value.
                        (
                            base.to_owned(),
                            text.trim_end_matches(['\n', '\r']).to_owned(),
                        )
                    }
                    None => return Err(unknown_key(&origin, &dotted)),
                },
            };
            let kind = kind_of(&dotted).ok_or_else(|| unknown_key(&origin, &dotted))?;
            let raw = from_text(&value, kind).map_err(|reason| ConfigError {
                origin: origin.clone(),
                key: dotted.clone(),
                reason,
            })?;
            layer.values.insert(dotted, (raw, origin));
        }
        Ok(layer)
    }

    /// Overlays `other` on `self`: keys set in `other` win.
    pub fn merge(mut self, other: Layer) -> Layer {
        self.values.extend(other.values);
        self
    }
}

fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(range) => {
            // Counted in bytes: a span need not start on a character boundary.
            let before = text
                .as_bytes()
                .get(..range.start)
                .unwrap_or(text.as_bytes());
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

fn kind_of(key: &str) -> Option<Kind> {
    KEYS.iter()
        .chain(branding::KEYS)
        .chain(identity::KEYS)
        .chain(siem::KEYS)
        .chain(security::KEYS)
        .chain(audit::KEYS)
        .chain(retention::KEYS)
        .find(|(k, _)| *k == key)
        .map(|(_, kind)| *kind)
}

fn unknown_key(origin: &Origin, key: &str) -> ConfigError {
    ConfigError {
        origin: origin.clone(),
        key: key.to_owned(),
        reason: "unknown key".into(),
    }
}

fn from_toml_value(value: toml::Value, kind: Kind) -> Result<RawValue, String> {
    match (kind, value) {
        (Kind::Text, toml::Value::String(s)) => Ok(RawValue::Text(s)),
        (Kind::Bool, toml::Value::Boolean(b)) => Ok(RawValue::Bool(b)),
        (Kind::Duration, toml::Value::String(s)) => Ok(RawValue::Text(s)),
        (Kind::Duration, toml::Value::Integer(i)) => Ok(RawValue::Integer(i)),
        (Kind::List, toml::Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                toml::Value::String(s) => Ok(s),
                other => Err(format!(
                    "expected a list of strings, found {}",
                    other.type_str()
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(RawValue::List),
        (Kind::List, toml::Value::String(s)) => Ok(RawValue::List(split_list(&s))),
        (Kind::Integer, toml::Value::Integer(i)) => Ok(RawValue::Integer(i)),
        (Kind::Tables, toml::Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                toml::Value::Table(table) => Ok(table),
                other => Err(format!(
                    "expected a list of tables, found {}",
                    other.type_str()
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(RawValue::Tables),
        (kind, other) => Err(format!(
            "expected {}, found {}",
            kind_name(kind),
            other.type_str()
        )),
    }
}

fn from_text(text: &str, kind: Kind) -> Result<RawValue, String> {
    match kind {
        Kind::Text | Kind::Duration => Ok(RawValue::Text(text.to_owned())),
        Kind::List => Ok(RawValue::List(split_list(text))),
        Kind::Bool => parse_bool(text).map(RawValue::Bool),
        Kind::Integer => text
            .trim()
            .parse()
            .map(RawValue::Integer)
            .map_err(|_| format!("expected a whole number, found {text:?}")),
        Kind::Tables => Err("a list of tables can only be set in the config file".into()),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "a string",
        Kind::Bool => "a boolean",
        Kind::List => "a list of strings",
        Kind::Duration => "a duration such as \"15m\"",
        Kind::Integer => "a whole number",
        Kind::Tables => "a list of tables",
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, found {text:?}")),
    }
}

/// Parses `90s`, `15m`, `1h30m`, `2d` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {c:?} (use s, m, h or d)"
                ));
            }
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("invalid duration {text:?}: a number must precede {c:?}"))?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("invalid duration {text:?}: too large"))?;
    }
    if !digits.is_empty() {
        return Err(format!(
            "invalid duration {text:?}: the last number has no unit"
        ));
    }
    Ok(Duration::from_secs(total))
}

/// Shows a duration the way a person would write it in the config.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s > 0 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s > 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// Everything that feeds a configuration.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The TOML file, if any.
    pub file: Option<PathBuf>,
    /// Environment variables (normally `std::env::vars()`).
    pub env: Vec<(String, String)>,
    /// Command-line flags, already turned into a layer.
    pub cli: Layer,
}

impl Config {
    /// Loads defaults → file → environment → flags and validates the result.
    pub fn load(sources: Sources) -> Result<Config, ConfigError> {
        let mut layer = Layer::default();
        if let Some(path) = &sources.file {
            layer = layer.merge(Layer::from_file(path)?);
        }
        layer = layer.merge(Layer::from_env(sources.env)?);
        layer = layer.merge(sources.cli);
        Self::from_layer(&layer)
    }

    /// Validates merged values, filling in defaults.
    pub fn from_layer(layer: &Layer) -> Result<Config, ConfigError> {
        let v = Values(layer);

        let http_bind: SocketAddr = v
            .text("http.bind")?
            .map(|(s, o)| parse_socket(&s).map_err(|r| err(o, "http.bind", r)))
            .transpose()?
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let public_url = match v.text("http.public_url")? {
            Some((s, o)) => normalize_public_url(&s).map_err(|r| err(o, "http.public_url", r))?,
            None => {
                if http_bind.ip().is_unspecified() {
                    let origin = v.origin("http.bind");
                    return Err(err(
                        origin,
                        "http.public_url",
                        format!(
                            "must be set when http.bind ({http_bind}) is an unspecified address: it is the address browsers use"
                        ),
                    ));
                }
                format!("http://{http_bind}")
            }
        };
        let insecure_cookies = v.bool("http.insecure_cookies")?.unwrap_or(false);
        if !insecure_cookies {
            let (scheme, host) = split_url(&public_url);
            if scheme == "http" && !is_loopback_host(&host) {
                return Err(err(
                    v.origin("http.public_url"),
                    "http.public_url",
                    format!(
                        "{public_url} is plain http on a non-loopback host, where browsers drop the Secure refresh cookie; serve it over https, or set http.insecure_cookies = true on a trusted network"
                    ),
                ));
            }
        }

        let request_timeout = v
            .duration("http.request_timeout")?
            .unwrap_or((Duration::from_secs(30), Origin::Default));
        if request_timeout.0 < Duration::from_secs(1)
            || request_timeout.0 > Duration::from_secs(600)
        {
            return Err(err(
                request_timeout.1,
                "http.request_timeout",
                format!("{} is outside 1s..10m", format_duration(request_timeout.0)),
            ));
        }

        let media_bind: SocketAddr = v
            .text("media.bind")?
            .map(|(s, o)| parse_socket(&s).map_err(|r| err(o, "media.bind", r)))
            .transpose()?
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 10000)));
        let announce: Vec<IpAddr> = match v.list("media.announce")? {
            Some((items, o)) => items
                .iter()
                .map(|s| {
                    s.parse::<IpAddr>().map_err(|_| {
                        err(
                            o.clone(),
                            "media.announce",
                            format!("{s:?} is not an IP address"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        if let Some(ip) = announce.iter().find(|ip| ip.is_unspecified()) {
            return Err(err(
                v.origin("media.announce"),
                "media.announce",
                format!("{ip} cannot be announced: browsers need a concrete address"),
            ));
        }
        let announce = if announce.is_empty() {
            if media_bind.ip().is_unspecified() {
                return Err(err(
                    v.origin("media.bind"),
                    "media.announce",
                    format!(
                        "must list the addresses browsers reach the media socket at, because media.bind ({media_bind}) is an unspecified address"
                    ),
                ));
            }
            vec![media_bind.ip()]
        } else {
            announce
        };

        let media_threads = media_threads(&v, media_bind)?;

        let data_dir = v
            .text("store.data_dir")?
            .map(|(s, o)| non_empty_path(s, o, "store.data_dir"))
            .transpose()?
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = match v.text("store.database_url")? {
            Some((s, o)) => {
                let known = ["sqlite:", "postgres:", "postgresql:"];
                if !known.iter().any(|scheme| s.starts_with(scheme)) {
                    return Err(err(
                        o,
                        "store.database_url",
                        format!(
                            "{} is neither a sqlite:// nor a postgres:// URL",
                            plenum_store::redact_url(&s)
                        ),
                    ));
                }
                s
            }
            None => format!("sqlite://{}", data_dir.join("plenum.db").display()),
        };

        let access_lifetime = v
            .duration("tokens.access_lifetime")?
            .unwrap_or((Duration::from_secs(15 * 60), Origin::Default));
        check_lifetime(
            &access_lifetime,
            "tokens.access_lifetime",
            MAX_ACCESS_LIFETIME,
        )?;
        let refresh_lifetime = v
            .duration("tokens.refresh_lifetime")?
            .unwrap_or((Duration::from_secs(12 * 3600), Origin::Default));
        check_lifetime(
            &refresh_lifetime,
            "tokens.refresh_lifetime",
            MAX_REFRESH_LIFETIME,
        )?;
        if refresh_lifetime.0 < access_lifetime.0 {
            return Err(err(
                refresh_lifetime.1,
                "tokens.refresh_lifetime",
                format!(
                    "{} is shorter than tokens.access_lifetime ({})",
                    format_duration(refresh_lifetime.0),
                    format_duration(access_lifetime.0)
                ),
            ));
        }
        let signing_key_file = v
            .text("tokens.signing_key_file")?
            .map(|(s, o)| non_empty_path(s, o, "tokens.signing_key_file"))
            .transpose()?
            .unwrap_or_else(|| data_dir.join("signing-key.pem"));

        let assets_dir = v
            .text("web.assets_dir")?
            .map(|(s, o)| non_empty_path(s, o, "web.assets_dir"))
            .transpose()?
            .unwrap_or_else(|| PathBuf::from("web/dist"));

        let format = match v.text("log.format")? {
            None => LogFormat::Text,
            Some((s, o)) => match s.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(err(
                        o,
                        "log.format",
                        format!("expected text or json, found {s:?}"),
                    ));
                }
            },
        };
        let level = match v.text("log.level")? {
            None => "info".to_owned(),
            Some((s, o)) => {
                tracing_subscriber::EnvFilter::try_new(&s)
                    .map_err(|e| err(o, "log.level", format!("invalid filter {s:?}: {e}")))?;
                s
            }
        };

        let audit = audit::from_values(&v, &public_url, &data_dir)?;
        Ok(Config {
            http: HttpConfig {
                bind: http_bind,
                public_url,
                insecure_cookies,
                request_timeout: request_timeout.0,
            },
            media: MediaConfig {
                bind: media_bind,
                announce,
                threads: media_threads,
            },
            store: StoreConfig {
                data_dir,
                database_url,
            },
            tokens: TokenConfig {
                access_lifetime: access_lifetime.0,
                refresh_lifetime: refresh_lifetime.0,
                signing_key_file,
                previous_signing_key_files: v
                    .list("tokens.previous_signing_key_files")?
                    .map(|(files, _)| files.into_iter().map(PathBuf::from).collect())
                    .unwrap_or_default(),
            },
            web: WebConfig { assets_dir },
            log: LogConfig { format, level },
            branding: branding::from_values(&v)?,
            identity: identity::from_values(&v)?,
            siem: siem::from_values(&v)?,
            security: security::from_values(&v)?,
            audit,
            retention: retention::from_values(&v)?,
        })
    }
}

/// Typed reads from a merged layer, each error carrying the value's origin.
struct Values<'a>(&'a Layer);

impl Values<'_> {
    fn origin(&self, key: &str) -> Origin {
        self.0
            .values
            .get(key)
            .map(|(_, o)| o.clone())
            .unwrap_or(Origin::Default)
    }

    fn text(&self, key: &str) -> Result<Option<(String, Origin)>, ConfigError> {
        match self.0.values.get(key) {
            None => Ok(None),
            Some((RawValue::Text(s), o)) => Ok(Some((s.clone(), o.clone()))),
            Some((other, o)) => Err(err(
                o.clone(),
                key,
                format!("expected a string, found {other:?}"),
            )),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.0.values.get(key) {
            None => Ok(None),
            Some((RawValue::Bool(b), _)) => Ok(Some(*b)),
            Some((RawValue::Text(s), o)) => {
                parse_bool(s).map(Some).map_err(|r| err(o.clone(), key, r))
            }
            Some((other, o)) => Err(err(
                o.clone(),
                key,
                format!("expected a boolean, found {other:?}"),
            )),
        }
    }

    fn list(&self, key: &str) -> Result<Option<(Vec<String>, Origin)>, ConfigError> {
        match self.0.values.get(key) {
            None => Ok(None),
            Some((RawValue::List(items), o)) => Ok(Some((items.clone(), o.clone()))),
            Some((RawValue::Text(s), o)) => Ok(Some((split_list(s), o.clone()))),
            Some((other, o)) => Err(err(
                o.clone(),
                key,
                format!("expected a list, found {other:?}"),
            )),
        }
    }

    fn integer(&self, key: &str) -> Result<Option<(i64, Origin)>, ConfigError> {
        match self.0.values.get(key) {
            None => Ok(None),
            Some((RawValue::Integer(i), o)) => Ok(Some((*i, o.clone()))),
            Some((RawValue::Text(s), o)) => s
                .trim()
                .parse()
                .map(|i| Some((i, o.clone())))
                .map_err(|_| err(o.clone(), key, format!("{s:?} is not a whole number"))),
            Some((other, o)) => Err(err(
                o.clone(),
                key,
                format!("expected a whole number, found {other:?}"),
            )),
        }
    }

    fn tables(&self, key: &str) -> Result<Option<(Vec<toml::Table>, Origin)>, ConfigError> {
        match self.0.values.get(key) {
            None => Ok(None),
            Some((RawValue::Tables(tables), o)) => Ok(Some((tables.clone(), o.clone()))),
            Some((other, o)) => Err(err(
                o.clone(),
                key,
                format!("expected a list of tables, found {other:?}"),
            )),
        }
    }

    fn duration(&self, key: &str) -> Result<Option<(Duration, Origin)>, ConfigError> {
        match self.0.values.get(key) {
            None => Ok(None),
            Some((RawValue::Text(s), o)) => parse_duration(s)
                .map(|d| Some((d, o.clone())))
                .map_err(|r| err(o.clone(), key, r)),
            Some((RawValue::Integer(i), o)) => u64::try_from(*i)
                .map(|s| Some((Duration::from_secs(s), o.clone())))
                .map_err(|_| err(o.clone(), key, format!("{i} is negative"))),
            Some((other, o)) => Err(err(
                o.clone(),
                key,
                format!("expected a duration, found {other:?}"),
            )),
        }
    }
}

fn err(origin: Origin, key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        origin,
        key: key.to_owned(),
        reason: reason.into(),
    }
}

fn check_lifetime(value: &(Duration, Origin), key: &str, max: Duration) -> Result<(), ConfigError> {
    let (d, origin) = value;
    if *d > max {
        return Err(err(
            origin.clone(),
            key,
            format!(
                "{} exceeds the maximum of {}",
                format_duration(*d),
                format_duration(max)
            ),
        ));
    }
    if *d < MIN_LIFETIME {
        return Err(err(
            origin.clone(),
            key,
            format!(
                "{} is below the minimum of {}",
                format_duration(*d),
                format_duration(MIN_LIFETIME)
            ),
        ));
    }
    Ok(())
}

/// Most media threads: far beyond any core count Plenum is sized for, small enough that
/// a typo cannot open thousands of ports.
const MAX_MEDIA_THREADS: i64 = 256;

/// `media.threads`: 1..=256, default the number of cores; with a fixed `media.bind` port,
/// thread `i` binds port + `i`, so the last port must exist.
fn media_threads(v: &Values, bind: SocketAddr) -> Result<NonZeroUsize, ConfigError> {
    let Some((n, origin)) = v.integer("media.threads")? else {
        return Ok(std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    };
    let threads = usize::try_from(n)
        .ok()
        .and_then(NonZeroUsize::new)
        .filter(|_| n <= MAX_MEDIA_THREADS)
        .ok_or_else(|| {
            err(
                origin.clone(),
                "media.threads",
                format!("{n} is not within 1..={MAX_MEDIA_THREADS}"),
            )
        })?;
    let last_port = i64::from(bind.port()) + n - 1;
    if bind.port() != 0 && last_port > i64::from(u16::MAX) {
        return Err(err(
            origin,
            "media.threads",
            format!(
                "{n} threads need UDP ports {}..={last_port} (media.bind's port + thread), past 65535",
                bind.port()
            ),
        ));
    }
    Ok(threads)
}

fn non_empty_path(s: String, origin: Origin, key: &str) -> Result<PathBuf, ConfigError> {
    if s.trim().is_empty() {
        return Err(err(origin, key, "must not be empty"));
    }
    Ok(PathBuf::from(s))
}

fn parse_socket(s: &str) -> Result<SocketAddr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{s:?} is not an address like 127.0.0.1:8080 or [::1]:8080"))
}

/// Checks a public URL is `http(s)://host[:port]` (an optional trailing slash is dropped).
fn normalize_public_url(s: &str) -> Result<String, String> {
    let trimmed = s.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| format!("{s:?} must start with http:// or https://"))?;
    if rest.is_empty() {
        return Err(format!("{s:?} has no host"));
    }
    if rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "{s:?} must be only scheme, host and port (no path, query or credentials)"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Splits a normalized public URL into scheme and host (without port or brackets).
pub(crate) fn split_url(url: &str) -> (String, String) {
    let (scheme, authority) = url.split_once("://").unwrap_or(("", url));
    let host = if let Some(inner) = authority.strip_prefix('[') {
        inner.split(']').next().unwrap_or("").to_owned()
    } else {
        authority.split(':').next().unwrap_or("").to_owned()
    };
    (scheme.to_owned(), host)
}

fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        let cases = [
            ("15m", Some(900)),
            ("1h", Some(3600)),
            ("1h30m", Some(5400)),
            ("90s", Some(90)),
            ("2d", Some(172_800)),
            ("600", Some(600)),
            ("", None),
            ("m", None),
            ("15", Some(15)),
            ("15x", None),
            ("1h5", None),
            ("99999999999999999999d", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_duration(text).ok().map(|d| d.as_secs()),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn public_urls() {
        let cases = [
            ("http://127.0.0.1:8080", Some("http://127.0.0.1:8080")),
            (
                "https://meet.example.org/",
                Some("https://meet.example.org"),
            ),
            ("ftp://x", None),
            ("https://", None),
            ("https://a/b", None),
            ("https://u@a", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                normalize_public_url(text).ok().as_deref(),
                expected,
                "{text}"
            );
        }
        assert_eq!(split_url("http://[::1]:80"), ("http".into(), "::1".into()));
        assert!(is_loopback_host("localhost"));
        assert!(is_loopback_host("127.0.0.2"));
        assert!(!is_loopback_host("10.0.0.1"));
    }
}
