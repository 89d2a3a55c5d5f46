-- Brute-force protection (SEC-08), shared by every replica on this database.
-- subject: "account:<lower-cased username>" or "source:<address or IPv6 /64>".

-- One row per failed login, kept only as long as the counting window.
CREATE TABLE login_failures (
    subject TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX login_failures_subject ON login_failures (subject, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- The lock of a subject: strikes counts the locks in a row (each one longer), forgotten
-- after a quiet period.
CREATE TABLE login_locks (
    subject        TEXT PRIMARY KEY,
    strikes        BIGINT NOT NULL,
    locked_until   BIGINT NOT NULL,
    last_strike_at BIGINT NOT NULL
);
