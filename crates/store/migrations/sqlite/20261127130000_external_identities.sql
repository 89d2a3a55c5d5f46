-- Accounts from external identity sources (docs/identity.md). An account is linked to a
-- person by (source, subject): source is "oidc:<provider id>" or "ldap", subject the
-- provider's `sub` or the directory's stable id attribute. Never by e-mail or name.
CREATE TABLE external_identities (
    source        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The e-mail address the source last named (kept for administrators, never a key).
    email         TEXT,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER NOT NULL,
    PRIMARY KEY (source, subject)
);
CREATE INDEX external_identities_user ON external_identities (user_id);

-- A Plenum login session (refresh-token family) that came from an OIDC provider: sid and
-- subject let a back-channel logout find it, the ID token is the id_token_hint of an
-- RP-initiated logout.
CREATE TABLE external_sessions (
    family_id  TEXT PRIMARY KEY NOT NULL,
    source     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    sid        TEXT,
    id_token   TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX external_sessions_sid ON external_sessions (source, sid);
CREATE INDEX external_sessions_subject ON external_sessions (source, subject);
