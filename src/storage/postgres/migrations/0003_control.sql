-- The control plane in cluster mode (docs/CLUSTER.md): buses, rules, queues' settings,
-- archives, replays, schedule ticks, discovery's state, the AWS Schemas metadata,
-- connections, API destinations and tags. One row per document; `collection` is the
-- embedded store's tree name and `key` and `value` are exactly the bytes that tree holds,
-- so an export is the same from either adapter.

CREATE TABLE control_records (
    collection TEXT  NOT NULL,
    key        BYTEA NOT NULL,
    value      BYTEA NOT NULL,
    PRIMARY KEY (collection, key)
);

-- Leases of background work that runs on one instance at a time (storage/lease.rs): who
-- holds each, until when by the database's clock.
CREATE TABLE leases (
    name       TEXT        PRIMARY KEY,
    holder     TEXT        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
