//! Account roles and tenants (docs/permissions.md).
//!
//! Every account has exactly one role, so one person never holds two duties that should be
//! kept apart (SEC-07: whoever administers cannot also audit, and the reverse). Meeting
//! roles (owner, moderator, participant, guest) are separate: they are
//! [`crate::signaling::Role`] and live in meeting tokens.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The id of the tenant every instance has and every account belongs to unless placed
/// elsewhere. Its auditors see the whole instance.
pub const DEFAULT_TENANT: &str = "default";

/// What an account may do outside meetings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    /// Everything except reading the audit trail.
    InstanceAdmin,
    /// Users, settings and meetings of its own tenant; no audit trail.
    TenantAdmin,
    /// Reads, exports and verifies the audit trail of its own tenant (of the whole
    /// instance if in the default tenant); changes nothing, creates no meetings.
    Auditor,
    /// Creates and owns meetings, joins meetings.
    User,
    /// Authenticated but without rights: joins by invite like a guest (SEC-05, an
    /// external account in no mapped group).
    None,
}

impl AccountRole {
    /// Every role, most powerful first.
    pub const ALL: [AccountRole; 5] = [
        AccountRole::InstanceAdmin,
        AccountRole::TenantAdmin,
        AccountRole::Auditor,
        AccountRole::User,
        AccountRole::None,
    ];

    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::InstanceAdmin => "instance_admin",
            AccountRole::TenantAdmin => "tenant_admin",
            AccountRole::Auditor => "auditor",
            AccountRole::User => "user",
            AccountRole::None => "none",
        }
    }
}

impl fmt::Display for AccountRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`AccountRole::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown account role {0:?} (expected instance_admin, tenant_admin, auditor, user or none)"
)]
pub struct UnknownRole(pub String);

impl FromStr for AccountRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, UnknownRole> {
        AccountRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for role in AccountRole::ALL {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(role.as_str().parse::<AccountRole>(), Ok(role));
        }
        assert!("admin".parse::<AccountRole>().is_err());
    }
}
