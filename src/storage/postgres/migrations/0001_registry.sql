-- The registry aggregate (docs/CLUSTER.md). Every record column holds exactly the bytes
-- the embedded store holds for that record (compact JSON), so an export is the same
-- from either adapter and a schema's content is stored as it was registered.

CREATE TABLE registries (
    name   TEXT PRIMARY KEY,
    record BYTEA NOT NULL
);

CREATE TABLE schemas (
    registry TEXT  NOT NULL,
    name     TEXT  NOT NULL,
    record   BYTEA NOT NULL,
    PRIMARY KEY (registry, name)
);

-- The next version number of a schema. Never deleted (numbers are not reused, even
-- after the schema is deleted); its row is the lock that serialises the schema's
-- registrations across instances.
CREATE TABLE version_counters (
    registry     TEXT    NOT NULL,
    schema       TEXT    NOT NULL,
    next_version INTEGER NOT NULL,
    PRIMARY KEY (registry, schema)
);

CREATE TABLE versions (
    registry  TEXT    NOT NULL,
    schema    TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    schema_id INTEGER,
    record    BYTEA   NOT NULL,
    PRIMARY KEY (registry, schema, version)
);
CREATE INDEX versions_by_schema_id ON versions (schema_id);

-- Which version references which: a deletion refuses while something outside it
-- references what it deletes. The foreign keys make a registration that references a
-- version deleted concurrently (on another instance) fail instead of dangling.
CREATE TABLE referrers (
    target_registry TEXT    NOT NULL,
    target_schema   TEXT    NOT NULL,
    target_version  INTEGER NOT NULL,
    registry        TEXT    NOT NULL,
    schema          TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    PRIMARY KEY (target_registry, target_schema, target_version, registry, schema, version),
    FOREIGN KEY (target_registry, target_schema, target_version) REFERENCES versions,
    FOREIGN KEY (registry, schema, version) REFERENCES versions
);
CREATE INDEX referrers_by_referrer ON referrers (registry, schema, version);

-- Global schema ids (the Confluent API's): one id per content identity, for ever.
CREATE TABLE schema_ids (
    id       INTEGER PRIMARY KEY,
    identity BYTEA   NOT NULL UNIQUE
);
-- The next id to hand out; its single row is locked while an id is given out.
CREATE TABLE schema_id_counter (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    next_id   INTEGER NOT NULL
);
INSERT INTO schema_id_counter (next_id) VALUES (1);

-- Compatibility configurations and Confluent modes: `schema` is '' for a registry's own.
CREATE TABLE configs (
    registry TEXT  NOT NULL,
    schema   TEXT  NOT NULL,
    record   BYTEA NOT NULL,
    PRIMARY KEY (registry, schema)
);
CREATE TABLE modes (
    registry TEXT  NOT NULL,
    schema   TEXT  NOT NULL,
    record   BYTEA NOT NULL,
    PRIMARY KEY (registry, schema)
);
