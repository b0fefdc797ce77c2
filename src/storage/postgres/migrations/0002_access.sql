-- Access control in cluster mode (docs/CLUSTER.md): API keys by the SHA-256 digest of
-- the key (never the key), their AWS credentials (secrets sealed), and the audit trail.
-- Records hold the embedded store's bytes, as for the registry.

CREATE TABLE api_keys (
    digest BYTEA PRIMARY KEY,
    name   TEXT  NOT NULL UNIQUE,
    record BYTEA NOT NULL
);

CREATE TABLE aws_credentials (
    access_key_id TEXT  PRIMARY KEY,
    key_name      TEXT  NOT NULL,
    record        BYTEA NOT NULL
);

-- Audit ids grow with time like the embedded store's (microseconds since the epoch at
-- start, then one by one), so a trail moved between the two adapters keeps its order
-- and new records never reuse an id.
CREATE SEQUENCE audit_ids;
SELECT setval('audit_ids', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);
CREATE TABLE audit (
    id     BIGINT PRIMARY KEY,
    record BYTEA  NOT NULL
);

-- Counts changes to keys and credentials. Its single row is locked by every change, so
-- the rules that span keys (one key per name, never revoke the last admin key) hold
-- across instances.
CREATE TABLE access_generation (
    singleton  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    generation BIGINT  NOT NULL
);
INSERT INTO access_generation (generation) VALUES (0);

-- The instances serving this database: each says which access generation its key cache
-- holds, so a revocation answers only once every live instance refuses the key.
CREATE TABLE instances (
    id              TEXT        PRIMARY KEY,
    seen_at         TIMESTAMPTZ NOT NULL,
    access_applied  BIGINT      NOT NULL
);
