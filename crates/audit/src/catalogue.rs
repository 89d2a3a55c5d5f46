//! The event catalogue: every action an audit entry may carry, what it means, and how
//! loudly a SIEM should hear about it.
//!
//! This table is the single source of the action names. The server records only actions
//! listed here, the SIEM exporter takes each entry's severity from here, and
//! `docs/audit-events.md` is checked against it by a test, so the three cannot drift apart.

use crate::entry::Outcome;

/// Syslog severity (RFC 5424, section 6.2.1) of an event; lower is more urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Needs a human now: a brute-force lockout, a stolen refresh token, a burst of denials.
    Alert = 1,
    /// A refused or failed action that matters on its own (a denied access, a failed login).
    Warning = 4,
    /// A change of configuration, rights or records that an auditor reviews.
    Notice = 5,
    /// Normal operation.
    Informational = 6,
}

impl Severity {
    /// The RFC 5424 numeric severity.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Lowercase name, as ECS `log.level` uses it.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Alert => "alert",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
            Severity::Informational => "informational",
        }
    }
}

/// The family an action belongs to (the part before the dot), as ECS `event.category`
/// wants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Authentication,
    Access,
    Configuration,
    Meeting,
    Moderation,
    Media,
    Vote,
    Audit,
}

impl Category {
    /// The ECS `event.category` value closest to this family.
    pub fn ecs(self) -> &'static str {
        match self {
            Category::Authentication => "authentication",
            Category::Access => "iam",
            Category::Configuration => "configuration",
            Category::Meeting | Category::Moderation | Category::Media | Category::Vote => {
                "session"
            }
            Category::Audit => "database",
        }
    }
}

/// One catalogue row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// Dotted name stored in the entry, e.g. `auth.login`.
    pub name: &'static str,
    pub category: Category,
    /// Severity of a successful occurrence.
    pub severity: Severity,
    /// One sentence for `docs/audit-events.md`.
    pub description: &'static str,
}

const fn spec(
    name: &'static str,
    category: Category,
    severity: Severity,
    description: &'static str,
) -> ActionSpec {
    ActionSpec {
        name,
        category,
        severity,
        description,
    }
}

use Category as C;
use Severity as S;

/// Every action, grouped by family. SEC-15 names the families; an action is listed here
/// before any code records it.
pub const ACTIONS: &[ActionSpec] = &[
    spec(
        "auth.login",
        C::Authentication,
        S::Informational,
        "A sign-in attempt with a password, OIDC or LDAP; failure when refused.",
    ),
    spec(
        "auth.logout",
        C::Authentication,
        S::Informational,
        "A user signed out; the refresh-token family is revoked.",
    ),
    spec(
        "auth.token_refresh",
        C::Authentication,
        S::Informational,
        "A refresh token was exchanged for a new access token.",
    ),
    spec(
        "auth.refresh_reuse",
        C::Authentication,
        S::Alert,
        "An already-used refresh token was presented; its whole family was revoked.",
    ),
    spec(
        "auth.lockout",
        C::Authentication,
        S::Alert,
        "Failed sign-ins crossed the threshold; the account or source address is locked for a while.",
    ),
    spec(
        "auth.backchannel_logout",
        C::Authentication,
        S::Notice,
        "An identity provider ended a user's sessions (OIDC back-channel logout).",
    ),
    spec(
        "access.denied",
        C::Access,
        S::Warning,
        "A request or signaling action was refused: bad or missing token, or missing permission.",
    ),
    spec(
        "access.denied_burst",
        C::Access,
        S::Alert,
        "One source (IPv6 by /64) collected 20 denials within 60 s; alerted once per burst.",
    ),
    spec(
        "user.create",
        C::Configuration,
        S::Notice,
        "An account was created (by an admin or on first external sign-in).",
    ),
    spec(
        "user.update",
        C::Configuration,
        S::Notice,
        "An account's profile or password was changed.",
    ),
    spec(
        "user.delete",
        C::Configuration,
        S::Notice,
        "An account was deleted.",
    ),
    spec(
        "user.role_change",
        C::Configuration,
        S::Notice,
        "An account's instance or tenant role changed.",
    ),
    spec(
        "tenant.create",
        C::Configuration,
        S::Notice,
        "A tenant was created.",
    ),
    spec(
        "tenant.update",
        C::Configuration,
        S::Notice,
        "A tenant's settings or quotas changed.",
    ),
    spec(
        "tenant.delete",
        C::Configuration,
        S::Notice,
        "A tenant was deleted.",
    ),
    spec(
        "config.change",
        C::Configuration,
        S::Notice,
        "An instance or tenant policy setting changed.",
    ),
    spec(
        "api_client.create",
        C::Configuration,
        S::Notice,
        "An API client (client credentials) was created.",
    ),
    spec(
        "api_client.revoke",
        C::Configuration,
        S::Notice,
        "An API client was revoked.",
    ),
    spec(
        "meeting.create",
        C::Meeting,
        S::Informational,
        "A meeting was created.",
    ),
    spec(
        "meeting.update",
        C::Meeting,
        S::Informational,
        "A meeting's title, password or waiting-room setting changed.",
    ),
    spec(
        "meeting.delete",
        C::Meeting,
        S::Informational,
        "A meeting was deleted.",
    ),
    spec(
        "meeting.start",
        C::Meeting,
        S::Informational,
        "The first participant joined; the meeting is live.",
    ),
    spec(
        "meeting.end",
        C::Meeting,
        S::Informational,
        "A live meeting ended (last one left, ended for all, or deleted).",
    ),
    spec(
        "invite.create",
        C::Meeting,
        S::Informational,
        "An invite link was created.",
    ),
    spec(
        "invite.revoke",
        C::Meeting,
        S::Informational,
        "An invite link was revoked.",
    ),
    spec(
        "participant.join",
        C::Meeting,
        S::Informational,
        "Someone entered a meeting (or its waiting room).",
    ),
    spec(
        "participant.leave",
        C::Meeting,
        S::Informational,
        "Someone left a meeting or was disconnected.",
    ),
    spec(
        "participant.admit",
        C::Moderation,
        S::Informational,
        "A moderator admitted someone from the waiting room.",
    ),
    spec(
        "participant.deny",
        C::Moderation,
        S::Informational,
        "A moderator turned someone away from the waiting room.",
    ),
    spec(
        "moderation.mute",
        C::Moderation,
        S::Informational,
        "A moderator muted one participant.",
    ),
    spec(
        "moderation.mute_all",
        C::Moderation,
        S::Informational,
        "A moderator muted everyone else.",
    ),
    spec(
        "moderation.remove",
        C::Moderation,
        S::Notice,
        "A moderator removed a participant.",
    ),
    spec(
        "moderation.ban",
        C::Moderation,
        S::Notice,
        "A moderator banned a participant or an invite.",
    ),
    spec(
        "moderation.grant_moderator",
        C::Moderation,
        S::Notice,
        "A participant was made moderator.",
    ),
    spec(
        "moderation.revoke_moderator",
        C::Moderation,
        S::Notice,
        "A participant's moderator role was taken away.",
    ),
    spec(
        "moderation.lower_hand",
        C::Moderation,
        S::Informational,
        "A moderator lowered someone's raised hand.",
    ),
    spec(
        "moderation.waiting_room",
        C::Moderation,
        S::Informational,
        "A moderator switched the waiting room on or off during the meeting.",
    ),
    spec(
        "moderation.lock",
        C::Moderation,
        S::Informational,
        "A moderator locked or unlocked the meeting.",
    ),
    spec(
        "moderation.end_for_all",
        C::Moderation,
        S::Notice,
        "A moderator ended the meeting for everyone.",
    ),
    spec(
        "recording.start",
        C::Media,
        S::Notice,
        "Server-side recording started.",
    ),
    spec(
        "recording.stop",
        C::Media,
        S::Notice,
        "Server-side recording stopped.",
    ),
    spec(
        "streaming.start",
        C::Media,
        S::Notice,
        "Live streaming started.",
    ),
    spec(
        "streaming.stop",
        C::Media,
        S::Notice,
        "Live streaming stopped.",
    ),
    spec("vote.open", C::Vote, S::Notice, "A formal vote was opened."),
    spec(
        "vote.ballot",
        C::Vote,
        S::Informational,
        "A ballot was cast.",
    ),
    spec(
        "vote.close",
        C::Vote,
        S::Notice,
        "A vote was closed and its result signed.",
    ),
    spec(
        "vote.cancel",
        C::Vote,
        S::Notice,
        "A vote was cancelled, with the reason: by its moderator, or by the system when its close could not be stored or its result not sealed.",
    ),
    spec(
        "audit.key_valid",
        C::Audit,
        S::Notice,
        "A checkpoint signing key and its validity period.",
    ),
    spec(
        "audit.read",
        C::Audit,
        S::Notice,
        "Someone queried the audit trail.",
    ),
    spec(
        "audit.export",
        C::Audit,
        S::Notice,
        "Someone exported a bundle of the audit trail.",
    ),
    spec(
        "retention.run",
        C::Audit,
        S::Notice,
        "The retention job ran and sealed what it removed; details count deletions per category.",
    ),
];

/// The action-specific details an entry carries (besides the fields every entry has), for
/// `docs/audit-events.md`. Actions not listed carry none.
pub const DETAILS: &[(&str, &str)] = &[
    (
        "auth.login",
        "`method`; `session` (login session id) on success; `reason` and `username` (personal) on failure",
    ),
    ("auth.logout", "`session`"),
    ("auth.token_refresh", "`session`"),
    ("auth.refresh_reuse", "`session` (the revoked one)"),
    (
        "access.denied",
        "`reason` (missing permission or token error)",
    ),
    (
        "access.denied_burst",
        "`denials` and `window_seconds` (the threshold crossed); source of the request that crossed it",
    ),
    (
        "meeting.create",
        "`title` (personal), `password` (whether one is set), `waiting_room`",
    ),
    (
        "meeting.update",
        "`changed` (names of the changed fields, never their values for passwords)",
    ),
    ("invite.create", "`expires_at` if the invite expires"),
    ("participant.join", "`display_name` (personal)"),
    ("participant.leave", "`display_name` (personal)"),
    ("participant.admit", "`participant` (meeting-scoped id)"),
    ("participant.deny", "`participant`"),
    ("moderation.mute", "`participant`"),
    ("moderation.remove", "`participant`"),
    (
        "moderation.ban",
        "`participant` (when refused) or `banned` (`participant` or `invite`)",
    ),
    ("moderation.grant_moderator", "`participant`"),
    ("moderation.revoke_moderator", "`participant`"),
    ("moderation.lower_hand", "`participant`, or `all`"),
    ("moderation.waiting_room", "`enabled`"),
    ("moderation.lock", "`locked`"),
    (
        "audit.key_valid",
        "`key_name`, `public_key`, `not_before_ms`, `not_after_ms`",
    ),
    ("audit.export", "`first_seq`, `entries`, `via`"),
    (
        "vote.open",
        "`vote_id`, `subject`, `mode`, `option` (one per option), `eligible`, `deadline_ms` (see vote-protocol.md)",
    ),
    (
        "vote.ballot",
        "`vote_id`; roll-call: `voter`, `name`, `option`; pseudonymous: `token`, `option`, with the system as actor and no source",
    ),
    (
        "vote.close",
        "`vote_id`, `reason`, `tally` (one per option), `ballots`, `eligible`",
    ),
    ("vote.cancel", "`vote_id`, `reason`"),
];

/// The catalogue as the Markdown table of `docs/audit-events.md`.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| action | category | severity | description | details |\n|---|---|---|---|---|\n",
    );
    for spec in ACTIONS {
        let details = DETAILS
            .iter()
            .find(|(name, _)| *name == spec.name)
            .map_or("—", |(_, d)| d);
        out.push_str(&format!(
            "| `{}` | {:?} | {} | {} | {} |\n",
            spec.name,
            spec.category,
            spec.severity.name(),
            spec.description,
            details
        ));
    }
    out
}

/// The catalogue row of `action`, if it is one.
pub fn lookup(action: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|spec| spec.name == action)
}

/// The severity a SIEM should give an entry: the action's own, raised to at least
/// `Warning` when the outcome was a failure or a denial. Unknown actions (from a newer
/// catalogue) count as `Notice`, never silently as routine.
pub fn severity(action: &str, outcome: Outcome) -> Severity {
    let base = lookup(action).map_or(Severity::Notice, |spec| spec.severity);
    match outcome {
        Outcome::Success => base,
        Outcome::Failure | Outcome::Denied => base.min(Severity::Warning),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_dotted_and_lowercase() {
        let mut seen = std::collections::BTreeSet::new();
        for spec in ACTIONS {
            assert!(seen.insert(spec.name), "{} listed twice", spec.name);
            let (family, verb) = spec.name.split_once('.').expect("dotted");
            assert!(!family.is_empty() && !verb.is_empty(), "{}", spec.name);
            assert!(
                spec.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'),
                "{}",
                spec.name
            );
        }
    }

    #[test]
    fn details_name_catalogue_actions() {
        for (name, _) in DETAILS {
            assert!(
                lookup(name).is_some(),
                "{name} has details but no catalogue row"
            );
        }
    }

    #[test]
    fn failures_are_at_least_warnings() {
        assert_eq!(
            severity("auth.login", Outcome::Success),
            Severity::Informational
        );
        assert_eq!(severity("auth.login", Outcome::Failure), Severity::Warning);
        assert_eq!(severity("auth.lockout", Outcome::Success), Severity::Alert);
        assert_eq!(
            severity("access.denied", Outcome::Denied),
            Severity::Warning
        );
        assert_eq!(
            severity("no.such_action", Outcome::Success),
            Severity::Notice
        );
    }
}
