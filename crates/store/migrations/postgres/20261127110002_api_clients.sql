-- API clients (OAuth 2.0 client credentials). secret_hash is the hex SHA-256 of a 256-bit
-- random secret: the secret is shown once at creation and never stored.
CREATE TABLE api_clients (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_clients_tenant ON api_clients (tenant_id, created_at);
