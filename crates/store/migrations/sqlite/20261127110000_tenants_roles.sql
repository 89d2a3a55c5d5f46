-- Tenants and account roles (docs/permissions.md). Every account belongs to exactly one
-- tenant and has exactly one role; the built-in tenant 'default' holds every account that
-- existed before, and former administrators become instance administrators.

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO tenants (id, name, created_at) VALUES ('default', 'Default', 0);

-- SQLite cannot add a column with both a REFERENCES clause and a non-NULL default while
-- foreign keys are on; the store refuses to delete a tenant that still has accounts.
ALTER TABLE users ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user';
UPDATE users SET role = 'instance_admin' WHERE is_admin = 1;
ALTER TABLE users DROP COLUMN is_admin;
CREATE INDEX users_tenant ON users (tenant_id, username);
