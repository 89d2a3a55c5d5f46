//! Bind authentication against LDAP or Active Directory (docs/identity.md).
//!
//! One connection per login, protected by LDAPS or StartTLS (plain only when
//! `ldap.allow_plain` says so): bind as the service account, find the person's entry with
//! the configured filter (the typed username RFC 4515-escaped into it), collect their
//! groups (`memberOf` or a group search, nested groups level by level up to the configured
//! depth, or Active Directory's LDAP_MATCHING_RULE_IN_CHAIN in one search), and finally bind
//! as the person's DN with the typed password. The username never becomes part of a DN:
//! the DN bound with is the one the directory returned, so RFC 4514 escaping is not needed.
//! Groups map to a role by the configured rules (first match wins; none: `default_role`).

use crate::config::{GroupLookup, LdapConfig, LdapSecurity, mapped_role};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use plenum_protocol::AccountRole;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Most groups collected for one person (nested groups included).
pub const MAX_GROUPS: usize = 1000;
/// LDAP result code for a wrong password (RFC 4511).
const INVALID_CREDENTIALS: u32 = 49;
/// Active Directory's transitive membership matching rule.
const IN_CHAIN: &str = "1.2.840.113556.1.4.1941";

/// Why a login did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    /// Unknown user, ambiguous user, empty or wrong password: all look the same outside.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The directory could not be reached or answered with an error.
    #[error("directory unavailable: {0}")]
    Unavailable(String),
}

impl From<ldap3::LdapError> for LdapError {
    fn from(error: ldap3::LdapError) -> Self {
        LdapError::Unavailable(error.to_string())
    }
}

/// A person the directory vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LdapPerson {
    pub dn: String,
    /// The value of the id attribute (hex if binary, like AD's objectGUID).
    pub id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// Group DNs, nested ones included.
    pub groups: BTreeSet<String>,
    pub role: AccountRole,
}

/// The configured directory.
#[derive(Debug)]
pub struct LdapDirectory {
    config: LdapConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl LdapDirectory {
    pub fn new(config: LdapConfig) -> Self {
        let tls = (!config.ca_certs.is_empty()).then(|| {
            let mut roots = rustls::RootCertStore::empty();
            let (_added, _ignored) = roots.add_parsable_certificates(config.ca_certs.clone());
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            Arc::new(
                rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("aws-lc-rs supports rustls' default protocol versions")
                    .with_root_certificates(roots)
                    .with_no_client_auth(),
            )
        });
        Self { config, tls }
    }

    pub fn config(&self) -> &LdapConfig {
        &self.config
    }

    /// Checks `username` and `password` against the directory.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<LdapPerson, LdapError> {
        // An empty password would be an "unauthenticated bind" (RFC 4513 §5.1.2), which
        // many servers answer with success.
        if password.is_empty() || username.trim().is_empty() {
            return Err(LdapError::InvalidCredentials);
        }
        let attempt = async {
            let mut ldap = self.connect().await?;
            let result = self.authenticate_on(&mut ldap, username, password).await;
            // The answer is known; a failing unbind changes nothing about it.
            let _ = ldap.unbind().await;
            result
        };
        tokio::time::timeout(self.config.timeout, attempt)
            .await
            .map_err(|_| LdapError::Unavailable("the directory did not answer in time".into()))?
    }

    async fn connect(&self) -> Result<Ldap, LdapError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.config.timeout)
            .set_starttls(self.config.security == LdapSecurity::StartTls);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(tls.clone());
        }
        let (connection, ldap) = LdapConnAsync::with_settings(settings, &self.config.url).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.drive().await {
                tracing::debug!(%error, "LDAP connection ended");
            }
        });
        Ok(ldap)
    }

    async fn authenticate_on(
        &self,
        ldap: &mut Ldap,
        username: &str,
        password: &str,
    ) -> Result<LdapPerson, LdapError> {
        let config = &self.config;
        if let (Some(dn), Some(secret)) = (&config.bind_dn, &config.bind_password) {
            ldap.simple_bind(dn, secret.expose())
                .await?
                .success()
                .map_err(|e| LdapError::Unavailable(format!("service account bind: {e}")))?;
        }
        let filter = config
            .user_filter
            .replace("{username}", &ldap_escape(username));
        let mut attributes = vec![
            config.id_attribute.as_str(),
            config.display_name_attribute.as_str(),
            config.email_attribute.as_str(),
        ];
        if let GroupLookup::MemberOf { attribute } = &config.groups {
            attributes.push(attribute);
        }
        let (entries, _) = ldap
            .search(&config.user_base, Scope::Subtree, &filter, attributes)
            .await?
            .success()?;
        let mut entries = entries.into_iter().map(SearchEntry::construct);
        let entry = match (entries.next(), entries.next()) {
            (Some(entry), None) => entry,
            (None, _) => return Err(LdapError::InvalidCredentials),
            (Some(_), Some(_)) => {
                tracing::warn!(
                    filter,
                    "ldap.user_filter matches several entries; login refused"
                );
                return Err(LdapError::InvalidCredentials);
            }
        };
        let id = first_value(&entry, &config.id_attribute).ok_or_else(|| {
            LdapError::Unavailable(format!(
                "{} has no {} attribute",
                entry.dn, config.id_attribute
            ))
        })?;
        let groups = self.groups(ldap, &entry).await?;
        // Last: after this bind the connection acts as the person, who may not be allowed
        // to read groups.
        let bind = ldap.simple_bind(&entry.dn, password).await?;
        if bind.rc == INVALID_CREDENTIALS {
            return Err(LdapError::InvalidCredentials);
        }
        bind.success()
            .map_err(|e| LdapError::Unavailable(format!("user bind: {e}")))?;
        let role = role_for(config, &groups);
        Ok(LdapPerson {
            id,
            display_name: first_value(&entry, &config.display_name_attribute),
            email: first_value(&entry, &config.email_attribute),
            dn: entry.dn,
            groups,
            role,
        })
    }

    /// The person's groups, nested ones up to the configured depth.
    async fn groups(
        &self,
        ldap: &mut Ldap,
        entry: &SearchEntry,
    ) -> Result<BTreeSet<String>, LdapError> {
        let config = &self.config;
        let mut found = BTreeSet::new();
        let mut level: Vec<String> = match &config.groups {
            GroupLookup::MemberOf { attribute } => values(entry, attribute),
            GroupLookup::Search {
                base,
                filter,
                member_attribute,
            } => {
                let rule = if config.ad_matching_rule_in_chain {
                    format!(":{IN_CHAIN}:")
                } else {
                    String::new()
                };
                let query = format!(
                    "(&{filter}({member_attribute}{rule}={}))",
                    ldap_escape(entry.dn.as_str())
                );
                search_dns(ldap, base, &query).await?
            }
        };
        let depth = if config.ad_matching_rule_in_chain {
            0
        } else {
            config.nested_groups_depth
        };
        for _ in 0..=depth {
            let fresh: Vec<String> = level
                .into_iter()
                .filter(|dn| found.insert(dn.clone()))
                .collect();
            if found.len() > MAX_GROUPS {
                return Err(LdapError::Unavailable(format!(
                    "{} is in more than {MAX_GROUPS} groups",
                    entry.dn
                )));
            }
            level = Vec::new();
            for group in fresh.iter().take(MAX_GROUPS) {
                level.extend(self.parents(ldap, group).await?);
            }
            if level.is_empty() {
                break;
            }
        }
        Ok(found)
    }

    /// The groups `group` is a direct member of.
    async fn parents(&self, ldap: &mut Ldap, group: &str) -> Result<Vec<String>, LdapError> {
        match &self.config.groups {
            GroupLookup::MemberOf { attribute } => {
                let (entries, _) = ldap
                    .search(
                        group,
                        Scope::Base,
                        "(objectClass=*)",
                        vec![attribute.as_str()],
                    )
                    .await?
                    .success()?;
                Ok(entries
                    .into_iter()
                    .map(SearchEntry::construct)
                    .flat_map(|e| values(&e, attribute))
                    .collect())
            }
            GroupLookup::Search {
                base,
                filter,
                member_attribute,
            } => {
                let query = format!("(&{filter}({member_attribute}={}))", ldap_escape(group));
                search_dns(ldap, base, &query).await
            }
        }
    }
}

/// The role `groups` earn: the first rule naming one of them (DNs compared
/// case-insensitively and without spaces around separators), else the default.
pub fn role_for(config: &LdapConfig, groups: &BTreeSet<String>) -> AccountRole {
    let normalized: BTreeSet<String> = groups.iter().map(|g| normalize_dn(g)).collect();
    mapped_role(&config.roles, config.default_role, |rule| {
        normalized.contains(&normalize_dn(&rule.value))
    })
}

/// Lower case, no spaces around `,` `=` `+`: enough to compare DNs as people write them.
fn normalize_dn(dn: &str) -> String {
    let mut out = String::with_capacity(dn.len());
    let mut pending_space = false;
    for c in dn.trim().chars() {
        if c == ' ' {
            pending_space = true;
            continue;
        }
        if pending_space && !matches!(c, ',' | '=' | '+') && !out.ends_with([',', '=', '+']) {
            out.push(' ');
        }
        pending_space = false;
        out.extend(c.to_lowercase());
    }
    out
}

async fn search_dns(ldap: &mut Ldap, base: &str, filter: &str) -> Result<Vec<String>, LdapError> {
    let (entries, _) = ldap
        .search(base, Scope::Subtree, filter, vec!["1.1"])
        .await?
        .success()?;
    Ok(entries
        .into_iter()
        .map(|e| SearchEntry::construct(e).dn)
        .collect())
}

fn values(entry: &SearchEntry, attribute: &str) -> Vec<String> {
    attribute_values(&entry.attrs, attribute)
        .cloned()
        .unwrap_or_default()
}

/// The first value of `attribute` (matched case-insensitively, as LDAP does); binary values
/// as lower-case hex.
fn first_value(entry: &SearchEntry, attribute: &str) -> Option<String> {
    if let Some(text) = attribute_values(&entry.attrs, attribute).and_then(|v| v.first()) {
        return Some(text.clone()).filter(|t| !t.is_empty());
    }
    attribute_values(&entry.bin_attrs, attribute)
        .and_then(|v| v.first())
        .map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn attribute_values<'a, T>(
    map: &'a HashMap<String, Vec<T>>,
    attribute: &str,
) -> Option<&'a Vec<T>> {
    map.iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(attribute))
        .map(|(_, values)| values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RoleRule;

    #[test]
    fn dns_compare_without_case_and_separator_spaces() {
        assert_eq!(
            normalize_dn(" CN=Plenum Users , OU=Groups,dc=Example, dc=org "),
            "cn=plenum users,ou=groups,dc=example,dc=org"
        );
        assert_eq!(normalize_dn("cn = a + uid = b"), "cn=a+uid=b");
    }

    #[test]
    fn filters_escape_the_username() {
        // RFC 4515 §3: * ( ) \ NUL become \2a \28 \29 \5c \00.
        assert_eq!(ldap_escape("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
        assert_eq!(ldap_escape("a\\b\0"), "a\\5cb\\00");
    }

    #[test]
    fn roles_follow_the_first_rule_naming_a_group() {
        let config = crate::config::Config::from_layer(
            &crate::config::Layer::from_toml(
                r#"
[ldap]
url = "ldaps://ldap.example.org"
user_base = "ou=people,dc=example,dc=org"
roles = [
  { group = "cn=admins,ou=groups,dc=example,dc=org", role = "instance_admin" },
  { group = "cn=staff,ou=groups,dc=example,dc=org", role = "user" },
]
"#,
                crate::config::Origin::Default,
            )
            .unwrap(),
        )
        .unwrap()
        .identity
        .ldap
        .unwrap();
        assert_eq!(
            config.roles[1],
            RoleRule {
                claim: None,
                value: "cn=staff,ou=groups,dc=example,dc=org".into(),
                role: AccountRole::User
            }
        );
        let groups = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(
            role_for(
                &config,
                &groups(&["CN=Staff, OU=Groups, DC=example, DC=org"])
            ),
            AccountRole::User
        );
        assert_eq!(
            role_for(
                &config,
                &groups(&[
                    "cn=staff,ou=groups,dc=example,dc=org",
                    "cn=admins,ou=groups,dc=example,dc=org"
                ])
            ),
            AccountRole::InstanceAdmin
        );
        assert_eq!(
            role_for(&config, &groups(&["cn=other,dc=example,dc=org"])),
            AccountRole::None
        );
    }
}
