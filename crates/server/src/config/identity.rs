//! `[[oidc.providers]]` and `[ldap]`: external identity sources (docs/identity.md).
//!
//! Both map what the source says about a person (groups, claims) to one account role with
//! an ordered list of rules: the first rule that matches decides, and a person no rule
//! matches gets `default_role`, which is `none` unless configured (deny by default, SEC-05).

use super::{ConfigError, Kind, Origin, Values, err, format_duration, is_loopback_host, split_url};
use plenum_protocol::{AccountRole, DEFAULT_TENANT};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use std::fmt;
use std::time::Duration;

/// The keys of this module, merged into the parent's key list.
pub(super) const KEYS: &[(&str, Kind)] = &[
    ("oidc.providers", Kind::Tables),
    ("ldap.url", Kind::Text),
    ("ldap.starttls", Kind::Bool),
    ("ldap.allow_plain", Kind::Bool),
    ("ldap.ca_file", Kind::Text),
    ("ldap.timeout", Kind::Duration),
    ("ldap.bind_dn", Kind::Text),
    ("ldap.bind_password", Kind::Text),
    ("ldap.bind_password_file", Kind::Text),
    ("ldap.user_base", Kind::Text),
    ("ldap.user_filter", Kind::Text),
    ("ldap.id_attribute", Kind::Text),
    ("ldap.display_name_attribute", Kind::Text),
    ("ldap.email_attribute", Kind::Text),
    ("ldap.group_membership", Kind::Text),
    ("ldap.member_of_attribute", Kind::Text),
    ("ldap.group_base", Kind::Text),
    ("ldap.group_filter", Kind::Text),
    ("ldap.group_member_attribute", Kind::Text),
    ("ldap.nested_groups_depth", Kind::Integer),
    ("ldap.ad_matching_rule_in_chain", Kind::Bool),
    ("ldap.roles", Kind::Tables),
    ("ldap.default_role", Kind::Text),
    ("ldap.tenant", Kind::Text),
];

/// Most OIDC providers one instance may list.
pub const MAX_OIDC_PROVIDERS: usize = 16;
/// Most role rules per identity source.
pub const MAX_ROLE_RULES: usize = 64;
/// Deepest nesting of LDAP groups that is followed.
pub const MAX_NESTED_GROUPS_DEPTH: i64 = 10;

/// A secret from the config (client secret, bind password): never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The external identity sources.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentityConfig {
    /// In the order of the config file, which is the order of the login page.
    pub oidc: Vec<OidcProvider>,
    pub ldap: Option<LdapConfig>,
}

/// One rule of a role mapping: whoever has `value` in `claim` (or, without a claim, in
/// the groups) gets `role`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRule {
    /// The claim to look at; `None` means the provider's groups claim (or, for LDAP, the
    /// group DNs).
    pub claim: Option<String>,
    pub value: String,
    pub role: AccountRole,
}

/// The role of the first rule `matches` accepts, else `default`.
pub fn mapped_role(
    rules: &[RoleRule],
    default: AccountRole,
    matches: impl Fn(&RoleRule) -> bool,
) -> AccountRole {
    rules
        .iter()
        .find(|rule| matches(rule))
        .map_or(default, |rule| rule.role)
}

/// An OpenID Connect provider (`[[oidc.providers]]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcProvider {
    /// Short name used in URLs and stored with linked accounts: `[a-z0-9_-]{1,32}`.
    pub id: String,
    /// What the login page shows.
    pub display_name: String,
    /// The issuer exactly as the provider names itself (`iss`); discovery is read from
    /// `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// `None` for a public client (PKCE alone).
    pub client_secret: Option<Secret>,
    /// Always contains `openid`.
    pub scopes: Vec<String>,
    /// The ID-token claim listing the person's groups.
    pub groups_claim: String,
    pub roles: Vec<RoleRule>,
    pub default_role: AccountRole,
    /// The tenant new accounts from this provider belong to.
    pub tenant: String,
}

/// How the LDAP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LdapSecurity {
    /// `ldaps://`: TLS from the first byte.
    Ldaps,
    /// `ldap://` upgraded with StartTLS before anything is sent.
    StartTls,
    /// `ldap://` in the clear; only with `ldap.allow_plain = true`.
    Plain,
}

/// Where a person's groups come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupLookup {
    /// The user entry's `memberOf` (or the configured attribute); nested groups through the
    /// same attribute of each group entry.
    MemberOf { attribute: String },
    /// Groups under `base` matching `filter` whose `member_attribute` names the user's DN
    /// (nested: names a group found before).
    Search {
        base: String,
        filter: String,
        member_attribute: String,
    },
}

/// `[ldap]`: bind authentication against LDAP or Active Directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LdapConfig {
    pub url: String,
    pub security: LdapSecurity,
    /// The CA certificates (from `ldap.ca_file`, PEM) that sign the server's certificate;
    /// empty means the system's roots.
    pub ca_certs: Vec<CertificateDer<'static>>,
    /// Limit for one sign-in at the directory (connecting, searches, binds).
    pub timeout: Duration,
    /// The service account that searches for users (anonymous search when absent).
    pub bind_dn: Option<String>,
    pub bind_password: Option<Secret>,
    pub user_base: String,
    /// Filter with one `{username}` placeholder, replaced by the RFC 4515-escaped input.
    pub user_filter: String,
    /// Attribute that identifies a person for good (entryUUID, objectGUID).
    pub id_attribute: String,
    pub display_name_attribute: String,
    pub email_attribute: String,
    pub groups: GroupLookup,
    /// How many levels of groups within groups are followed (0: direct groups only).
    pub nested_groups_depth: u8,
    /// Active Directory: ask for all transitive groups at once with the
    /// LDAP_MATCHING_RULE_IN_CHAIN filter (needs group search).
    pub ad_matching_rule_in_chain: bool,
    /// Rules on group DNs (compared case-insensitively).
    pub roles: Vec<RoleRule>,
    pub default_role: AccountRole,
    pub tenant: String,
}

/// Reads and validates both sections.
pub(super) fn from_values(v: &Values<'_>) -> Result<IdentityConfig, ConfigError> {
    let oidc = match v.tables("oidc.providers")? {
        None => Vec::new(),
        Some((tables, origin)) => oidc_providers(tables, &origin)?,
    };
    let ldap = ldap(v)?;
    Ok(IdentityConfig { oidc, ldap })
}

fn oidc_providers(
    tables: Vec<toml::Table>,
    origin: &Origin,
) -> Result<Vec<OidcProvider>, ConfigError> {
    if tables.len() > MAX_OIDC_PROVIDERS {
        return Err(err(
            origin.clone(),
            "oidc.providers",
            format!("at most {MAX_OIDC_PROVIDERS} providers"),
        ));
    }
    let mut providers: Vec<OidcProvider> = Vec::with_capacity(tables.len());
    for (index, table) in tables.into_iter().enumerate() {
        let t = Table::new(table, format!("oidc.providers[{index}]"), origin);
        t.only(&[
            "id",
            "display_name",
            "issuer",
            "client_id",
            "client_secret",
            "client_secret_file",
            "scopes",
            "groups_claim",
            "roles",
            "default_role",
            "tenant",
        ])?;
        let id = t.required_text("id")?;
        let id_ok = (1..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(t.error("id", format!("{id:?} must be 1–32 of a-z, 0-9, - and _")));
        }
        if id == "ldap" {
            return Err(t.error("id", "\"ldap\" names the LDAP source"));
        }
        if providers.iter().any(|p| p.id == id) {
            return Err(t.error("id", format!("{id:?} is used by an earlier provider")));
        }
        let issuer = t.required_text("issuer")?;
        check_issuer(&issuer).map_err(|reason| t.error("issuer", reason))?;
        let client_secret = match (t.text("client_secret")?, t.text("client_secret_file")?) {
            (Some(_), Some(_)) => {
                return Err(t.error(
                    "client_secret",
                    "set client_secret or client_secret_file, not both",
                ));
            }
            (Some(secret), None) => Some(Secret::new(secret)),
            (None, Some(path)) => Some(Secret::new(
                read_secret_file(&path).map_err(|r| t.error("client_secret_file", r))?,
            )),
            (None, None) => None,
        };
        let mut scopes = t
            .strings("scopes")?
            .unwrap_or_else(|| vec!["profile".into(), "email".into()]);
        if let Some(bad) = scopes
            .iter()
            .find(|s| s.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic() && b != b'"'))
        {
            return Err(t.error("scopes", format!("{bad:?} is not a scope token")));
        }
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        let display_name = t.text("display_name")?.unwrap_or_else(|| id.clone());
        providers.push(OidcProvider {
            display_name,
            issuer,
            client_id: t.required_text("client_id")?,
            client_secret,
            scopes,
            groups_claim: t.text("groups_claim")?.unwrap_or_else(|| "groups".into()),
            roles: role_rules(&t, true)?,
            default_role: t.role("default_role")?.unwrap_or(AccountRole::None),
            tenant: t
                .text("tenant")?
                .unwrap_or_else(|| DEFAULT_TENANT.to_owned()),
            id,
        });
    }
    Ok(providers)
}

/// An issuer must be https, except on a loopback host (tests, a provider on the same
/// machine), and carry no query or fragment (OIDC Discovery §2).
fn check_issuer(issuer: &str) -> Result<(), String> {
    let rest = issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
        .ok_or_else(|| format!("{issuer:?} must start with https://"))?;
    if rest.is_empty() || rest.contains(['?', '#', ' ', '@']) {
        return Err(format!(
            "{issuer:?} must be a URL without query, fragment or credentials"
        ));
    }
    let authority = rest.split('/').next().unwrap_or("");
    let (scheme, host) = split_url(&format!(
        "{}://{authority}",
        if issuer.starts_with("https") {
            "https"
        } else {
            "http"
        }
    ));
    if scheme == "http" && !is_loopback_host(&host) {
        return Err(format!(
            "{issuer:?} is plain http on a non-loopback host; providers must use https"
        ));
    }
    Ok(())
}

fn ldap(v: &Values<'_>) -> Result<Option<LdapConfig>, ConfigError> {
    let Some((url, url_origin)) = v.text("ldap.url")? else {
        let stray = KEYS
            .iter()
            .map(|(k, _)| *k)
            .find(|k| k.starts_with("ldap.") && v.0.values.contains_key(*k));
        return match stray {
            Some(key) => Err(err(
                v.origin(key),
                "ldap.url",
                format!("must be set when {key} is (the LDAP source is off without it)"),
            )),
            None => Ok(None),
        };
    };
    let starttls = v.bool("ldap.starttls")?;
    let allow_plain = v.bool("ldap.allow_plain")?.unwrap_or(false);
    let security = if url.starts_with("ldaps://") {
        if starttls == Some(true) {
            return Err(err(
                v.origin("ldap.starttls"),
                "ldap.starttls",
                "StartTLS is for ldap:// URLs; ldaps:// is TLS already",
            ));
        }
        LdapSecurity::Ldaps
    } else if url.starts_with("ldap://") {
        if starttls.unwrap_or(true) {
            LdapSecurity::StartTls
        } else if allow_plain {
            LdapSecurity::Plain
        } else {
            return Err(err(
                v.origin("ldap.starttls"),
                "ldap.starttls",
                "passwords would cross the network in the clear; use ldaps://, StartTLS, or set ldap.allow_plain = true",
            ));
        }
    } else {
        return Err(err(
            url_origin,
            "ldap.url",
            format!("{url:?} must start with ldaps:// or ldap://"),
        ));
    };
    let ca_certs = match v.text("ldap.ca_file")? {
        None => Vec::new(),
        Some((path, o)) => read_ca_file(&path).map_err(|r| err(o, "ldap.ca_file", r))?,
    };
    let timeout = match v.duration("ldap.timeout")? {
        None => Duration::from_secs(10),
        Some((d, o)) if d.is_zero() || d > Duration::from_secs(60) => {
            return Err(err(
                o,
                "ldap.timeout",
                format!("{} is outside 1s..1m", format_duration(d)),
            ));
        }
        Some((d, _)) => d,
    };
    let bind_dn = v.text("ldap.bind_dn")?.map(|(s, _)| s);
    let bind_password = match (
        v.text("ldap.bind_password")?,
        v.text("ldap.bind_password_file")?,
    ) {
        (Some(_), Some((_, o))) => {
            return Err(err(
                o,
                "ldap.bind_password_file",
                "set ldap.bind_password or ldap.bind_password_file, not both",
            ));
        }
        (Some((s, _)), None) => Some(Secret::new(s)),
        (None, Some((path, o))) => Some(Secret::new(
            read_secret_file(&path).map_err(|r| err(o, "ldap.bind_password_file", r))?,
        )),
        (None, None) => None,
    };
    if bind_dn.is_some() != bind_password.is_some() {
        return Err(err(
            v.origin("ldap.bind_dn"),
            "ldap.bind_dn",
            "ldap.bind_dn and ldap.bind_password go together",
        ));
    }
    let required = |key: &str| -> Result<String, ConfigError> {
        match v.text(key)? {
            Some((s, _)) if !s.trim().is_empty() => Ok(s),
            _ => Err(err(v.origin(key), key, "must be set when ldap.url is")),
        }
    };
    let text_or = |key: &str, default: &str| -> Result<String, ConfigError> {
        Ok(v.text(key)?.map_or_else(|| default.to_owned(), |(s, _)| s))
    };
    let user_base = required("ldap.user_base")?;
    let user_filter = text_or(
        "ldap.user_filter",
        "(&(objectClass=person)(uid={username}))",
    )?;
    if user_filter.matches("{username}").count() != 1 {
        return Err(err(
            v.origin("ldap.user_filter"),
            "ldap.user_filter",
            "must contain {username} exactly once",
        ));
    }
    let ad_matching_rule_in_chain = v.bool("ldap.ad_matching_rule_in_chain")?.unwrap_or(false);
    let groups = match v.text("ldap.group_membership")? {
        None => GroupLookup::MemberOf {
            attribute: text_or("ldap.member_of_attribute", "memberOf")?,
        },
        Some((mode, o)) => match mode.as_str() {
            "member_of" => GroupLookup::MemberOf {
                attribute: text_or("ldap.member_of_attribute", "memberOf")?,
            },
            "group_search" => GroupLookup::Search {
                base: required("ldap.group_base")?,
                filter: text_or(
                    "ldap.group_filter",
                    "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))",
                )?,
                member_attribute: text_or("ldap.group_member_attribute", "member")?,
            },
            other => {
                return Err(err(
                    o,
                    "ldap.group_membership",
                    format!("expected member_of or group_search, found {other:?}"),
                ));
            }
        },
    };
    if ad_matching_rule_in_chain && !matches!(groups, GroupLookup::Search { .. }) {
        return Err(err(
            v.origin("ldap.ad_matching_rule_in_chain"),
            "ldap.ad_matching_rule_in_chain",
            "needs ldap.group_membership = \"group_search\"",
        ));
    }
    let nested_groups_depth = match v.integer("ldap.nested_groups_depth")? {
        None => 0,
        Some((d, o)) => u8::try_from(d)
            .ok()
            .filter(|d| i64::from(*d) <= MAX_NESTED_GROUPS_DEPTH)
            .ok_or_else(|| {
                err(
                    o,
                    "ldap.nested_groups_depth",
                    format!("{d} is outside 0..={MAX_NESTED_GROUPS_DEPTH}"),
                )
            })?,
    };
    let roles = match v.tables("ldap.roles")? {
        None => Vec::new(),
        Some((tables, origin)) => {
            if tables.len() > MAX_ROLE_RULES {
                return Err(err(
                    origin,
                    "ldap.roles",
                    format!("at most {MAX_ROLE_RULES} rules"),
                ));
            }
            tables
                .into_iter()
                .enumerate()
                .map(|(i, table)| {
                    let t = Table::new(table, format!("ldap.roles[{i}]"), &origin);
                    t.only(&["group", "role"])?;
                    Ok(RoleRule {
                        claim: None,
                        value: t.required_text("group")?,
                        role: t.role("role")?.ok_or_else(|| t.error("role", "missing"))?,
                    })
                })
                .collect::<Result<_, ConfigError>>()?
        }
    };
    let default_role = match v.text("ldap.default_role")? {
        None => AccountRole::None,
        Some((s, o)) => s
            .parse()
            .map_err(|e: plenum_protocol::roles::UnknownRole| {
                err(o, "ldap.default_role", e.to_string())
            })?,
    };
    Ok(Some(LdapConfig {
        url,
        security,
        ca_certs,
        timeout,
        bind_dn,
        bind_password,
        user_base,
        user_filter,
        id_attribute: text_or("ldap.id_attribute", "entryUUID")?,
        display_name_attribute: text_or("ldap.display_name_attribute", "displayName")?,
        email_attribute: text_or("ldap.email_attribute", "mail")?,
        groups,
        nested_groups_depth,
        ad_matching_rule_in_chain,
        roles,
        default_role,
        tenant: text_or("ldap.tenant", DEFAULT_TENANT)?,
    }))
}

fn role_rules(t: &Table<'_>, allow_claim: bool) -> Result<Vec<RoleRule>, ConfigError> {
    let Some(value) = t.table.get("roles") else {
        return Ok(Vec::new());
    };
    let toml::Value::Array(items) = value else {
        return Err(t.error("roles", "expected a list of tables"));
    };
    if items.len() > MAX_ROLE_RULES {
        return Err(t.error("roles", format!("at most {MAX_ROLE_RULES} rules")));
    }
    let mut rules = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let toml::Value::Table(table) = item else {
            return Err(t.error("roles", "expected a list of tables"));
        };
        let rule = Table::new(table.clone(), format!("{}.roles[{i}]", t.prefix), t.origin);
        let (claim, value) = if allow_claim {
            rule.only(&["group", "claim", "value", "role"])?;
            match (
                rule.text("group")?,
                rule.text("claim")?,
                rule.text("value")?,
            ) {
                (Some(group), None, None) => (None, group),
                (None, Some(claim), Some(value)) => (Some(claim), value),
                _ => {
                    return Err(rule.error("group", "a rule has either group, or claim and value"));
                }
            }
        } else {
            rule.only(&["group", "role"])?;
            (None, rule.required_text("group")?)
        };
        let role = rule
            .role("role")?
            .ok_or_else(|| rule.error("role", "missing"))?;
        rules.push(RoleRule { claim, value, role });
    }
    Ok(rules)
}

fn read_ca_file(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{path} is not PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{path} holds no CERTIFICATE block"));
    }
    Ok(certs)
}

fn read_secret_file(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|text| text.trim_end_matches(['\n', '\r']).to_owned())
        .map_err(|e| format!("cannot read {path}: {e}"))
}

/// One table of an array of tables, with error messages that name `prefix.key`.
struct Table<'a> {
    table: toml::Table,
    prefix: String,
    origin: &'a Origin,
}

impl<'a> Table<'a> {
    fn new(table: toml::Table, prefix: String, origin: &'a Origin) -> Self {
        Self {
            table,
            prefix,
            origin,
        }
    }

    fn error(&self, key: &str, reason: impl Into<String>) -> ConfigError {
        err(
            self.origin.clone(),
            &format!("{}.{key}", self.prefix),
            reason,
        )
    }

    fn only(&self, allowed: &[&str]) -> Result<(), ConfigError> {
        match self.table.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(key) => Err(self.error(key, "unknown key")),
            None => Ok(()),
        }
    }

    fn text(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(toml::Value::String(_)) => Err(self.error(key, "must not be empty")),
            Some(other) => Err(self.error(
                key,
                format!("expected a string, found {}", other.type_str()),
            )),
        }
    }

    fn required_text(&self, key: &str) -> Result<String, ConfigError> {
        self.text(key)?.ok_or_else(|| self.error(key, "missing"))
    }

    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    toml::Value::String(s) => Ok(s.clone()),
                    other => Err(self.error(
                        key,
                        format!("expected a list of strings, found {}", other.type_str()),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.error(
                key,
                format!("expected a list of strings, found {}", other.type_str()),
            )),
        }
    }

    fn role(&self, key: &str) -> Result<Option<AccountRole>, ConfigError> {
        self.text(key)?
            .map(|s| {
                s.parse().map_err(|e: plenum_protocol::roles::UnknownRole| {
                    self.error(key, e.to_string())
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Layer, Origin};
    use plenum_protocol::AccountRole;

    fn load(toml: &str) -> Result<Config, super::ConfigError> {
        Config::from_layer(&Layer::from_toml(toml, Origin::Default)?)
    }

    fn refused(toml: &str) -> (String, String) {
        let error = load(toml).unwrap_err();
        (error.key, error.reason)
    }

    const PROVIDER: &str = "[[oidc.providers]]\nid = \"corp\"\nissuer = \"https://idp.example\"\nclient_id = \"plenum\"\n";

    #[test]
    fn providers_load_with_defaults() {
        let config = load(&format!(
            "{PROVIDER}roles = [{{ group = \"staff\", role = \"user\" }}, {{ claim = \"dept\", value = \"it\", role = \"tenant_admin\" }}]\n"
        ))
        .unwrap();
        let p = &config.identity.oidc[0];
        assert_eq!(p.display_name, "corp");
        assert_eq!(p.scopes, ["openid", "profile", "email"]);
        assert_eq!(p.groups_claim, "groups");
        assert_eq!(p.default_role, AccountRole::None);
        assert_eq!(p.roles[1].claim.as_deref(), Some("dept"));
        assert!(p.client_secret.is_none());
        assert!(config.identity.ldap.is_none());
    }

    #[test]
    fn bad_providers_name_the_key() {
        let cases = [
            (
                PROVIDER.replace("https://idp.example", "http://idp.example"),
                "oidc.providers[0].issuer",
            ),
            (
                format!("{PROVIDER}colour = \"red\"\n"),
                "oidc.providers[0].colour",
            ),
            (
                PROVIDER.replace("\"corp\"", "\"Corp!\""),
                "oidc.providers[0].id",
            ),
            (format!("{PROVIDER}{PROVIDER}"), "oidc.providers[1].id"),
            (
                format!("{PROVIDER}roles = [{{ group = \"x\", role = \"root\" }}]\n"),
                "oidc.providers[0].roles[0].role",
            ),
            (
                format!(
                    "{PROVIDER}roles = [{{ group = \"x\", claim = \"y\", role = \"user\" }}]\n"
                ),
                "oidc.providers[0].roles[0].group",
            ),
            (
                format!("{PROVIDER}client_secret = \"a\"\nclient_secret_file = \"/x\"\n"),
                "oidc.providers[0].client_secret",
            ),
        ];
        for (toml, key) in cases {
            assert_eq!(refused(&toml).0, key, "{toml}");
        }
        // A loopback issuer may be plain http (tests, a provider on the same host).
        assert!(load(&PROVIDER.replace("https://idp.example", "http://127.0.0.1:9000")).is_ok());
    }

    #[test]
    fn ldap_refuses_plain_text_and_stray_keys() {
        let base = "[ldap]\nuser_base = \"ou=people,dc=example,dc=org\"\n";
        let starttls = load(&format!("{base}url = \"ldap://ldap.example.org\"\n")).unwrap();
        let ldap = starttls.identity.ldap.unwrap();
        assert_eq!(ldap.security, super::LdapSecurity::StartTls);
        assert_eq!(ldap.default_role, AccountRole::None);
        let cases = [
            (
                format!("{base}url = \"ldap://x\"\nstarttls = false\n"),
                "ldap.starttls",
            ),
            (
                format!("{base}url = \"ldaps://x\"\nstarttls = true\n"),
                "ldap.starttls",
            ),
            (format!("{base}url = \"http://x\"\n"), "ldap.url"),
            (base.to_owned(), "ldap.url"),
            (
                format!("{base}url = \"ldaps://x\"\nuser_filter = \"(uid=x)\"\n"),
                "ldap.user_filter",
            ),
            (
                format!("{base}url = \"ldaps://x\"\nad_matching_rule_in_chain = true\n"),
                "ldap.ad_matching_rule_in_chain",
            ),
            (
                format!("{base}url = \"ldaps://x\"\nnested_groups_depth = 11\n"),
                "ldap.nested_groups_depth",
            ),
            (
                format!("{base}url = \"ldaps://x\"\nbind_dn = \"cn=svc\"\n"),
                "ldap.bind_dn",
            ),
            (
                format!("{base}url = \"ldaps://x\"\nca_file = \"/nonexistent/ca.pem\"\n"),
                "ldap.ca_file",
            ),
            ("[ldap]\nurl = \"ldaps://x\"\n".to_owned(), "ldap.user_base"),
        ];
        for (toml, key) in cases {
            assert_eq!(refused(&toml).0, key, "{toml}");
        }
        let plain = load(&format!(
            "{base}url = \"ldap://x\"\nstarttls = false\nallow_plain = true\n"
        ))
        .unwrap();
        assert_eq!(
            plain.identity.ldap.unwrap().security,
            super::LdapSecurity::Plain
        );
    }

    #[test]
    fn tables_come_only_from_the_file() {
        let error =
            Layer::from_env([("PLENUM_LDAP__ROLES".to_owned(), "x".to_owned())]).unwrap_err();
        assert_eq!(error.key, "ldap.roles");
        assert!(error.reason.contains("config file"), "{}", error.reason);
    }
}
