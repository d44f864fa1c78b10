-- Base OS upstreams: repositories whose metadata (and optionally packages)
-- are synced and verified against the vendor's key; their packages are the
-- base category for the package table and the policy checks.
CREATE TABLE upstreams (
    name        TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    key         TEXT NOT NULL,
    release     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    synced_at   BIGINT NOT NULL DEFAULT 0,
    revision    TEXT NOT NULL DEFAULT '',
    signed_by   TEXT NOT NULL DEFAULT '',
    packages    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE upstream_packages (
    upstream  TEXT NOT NULL REFERENCES upstreams(name),
    nevra     TEXT NOT NULL,
    name      TEXT NOT NULL,
    epoch     BIGINT NOT NULL,
    version   TEXT NOT NULL,
    release   TEXT NOT NULL,
    arch      TEXT NOT NULL,
    summary   TEXT NOT NULL,
    license   TEXT NOT NULL,
    details   TEXT NOT NULL,
    PRIMARY KEY (upstream, nevra)
);
CREATE INDEX upstream_packages_name ON upstream_packages (name);
