-- The audit trail (PostgreSQL). See docs/audit-format.md: each row of audit_entries is one
-- leaf of the RFC 6962 Merkle tree; the clear values of personal fields live beside it in
-- audit_personal so they can be erased without changing any leaf.

-- entry: the plenum_audit::Entry as JSON with every personal field reduced to its salted
-- hash; leaf_hash: hex SHA-256 leaf hash of its canonical v1 encoding. The other columns
-- repeat entry fields for queries.
CREATE TABLE audit_entries (
    seq        BIGINT PRIMARY KEY,
    time_ms    BIGINT NOT NULL,
    tenant     TEXT NOT NULL,
    action     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    resource   TEXT NOT NULL,
    request_id TEXT,
    leaf_hash  TEXT NOT NULL,
    entry      TEXT NOT NULL
);
CREATE INDEX audit_entries_time ON audit_entries (time_ms, seq);
CREATE INDEX audit_entries_tenant ON audit_entries (tenant, seq);
CREATE INDEX audit_entries_action ON audit_entries (action, seq);
CREATE INDEX audit_entries_resource ON audit_entries (resource, seq);

-- field: "actor.id", "source" or "details.<index>"; salt hex. Rows may be deleted
-- (erasure of personal data); the leaf keeps only the salted hash.
CREATE TABLE audit_personal (
    seq   BIGINT NOT NULL,
    field TEXT NOT NULL,
    salt  TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (seq, field)
);
CREATE INDEX audit_personal_value ON audit_personal (field, value, seq);

-- The single head row every append updates first, which serialises writers. size: the
-- number of entries ever appended (= next seq); frontier: the hex compact range at size;
-- first_seq / first_frontier: the oldest entry still stored and the compact range below
-- it (both move only when the retention job removes a sealed prefix).
CREATE TABLE audit_head (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    size           BIGINT NOT NULL,
    last_time_ms   BIGINT NOT NULL,
    frontier       TEXT NOT NULL,
    first_seq      BIGINT NOT NULL,
    first_frontier TEXT NOT NULL
);
INSERT INTO audit_head (id, size, last_time_ms, frontier, first_seq, first_frontier)
VALUES (1, 0, 0, '', 0, '');

-- Signed checkpoints (C2SP signed notes) with the compact range at their size, so an
-- export can start at any checkpoint.
CREATE TABLE audit_checkpoints (
    size     BIGINT PRIMARY KEY,
    time_ms  BIGINT NOT NULL,
    root     TEXT NOT NULL,
    key_name TEXT NOT NULL,
    frontier TEXT NOT NULL,
    note     TEXT NOT NULL
);
