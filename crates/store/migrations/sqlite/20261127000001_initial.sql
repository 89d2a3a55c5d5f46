-- Initial schema (SQLite). Identifiers are UUIDs in their hyphenated text form, times are
-- Unix seconds (INTEGER), so comparisons in SQL are plain integer comparisons.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- token_hash is the hex SHA-256 of the random token; the token itself is never stored.
CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    family_id   TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    replaced_by TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE meetings (
    id            TEXT PRIMARY KEY NOT NULL,
    owner_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    password_hash TEXT,
    waiting_room  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX meetings_owner ON meetings (owner_id, created_at);

CREATE TABLE invites (
    code       TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    expires_at INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX invites_meeting ON invites (meeting_id, created_at);

-- subject: a user id, "invite:<code>" or "guest:<uuid>".
CREATE TABLE meeting_bans (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, subject)
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
