-- The catalog: artifacts, builds, releases, channels and their versions.
-- Written in the SQL that SQLite and PostgreSQL share: TEXT, BIGINT,
-- BOOLEAN, no autoincrement (keys are natural or made in Go).

CREATE TABLE builds (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    release     TEXT NOT NULL,
    has_source  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE artifacts (
    sha256          TEXT PRIMARY KEY,
    filename        TEXT NOT NULL,
    name            TEXT NOT NULL,
    epoch           BIGINT NOT NULL,
    version         TEXT NOT NULL,
    release         TEXT NOT NULL,
    arch            TEXT NOT NULL,
    is_source       BOOLEAN NOT NULL,
    summary         TEXT NOT NULL,
    description     TEXT NOT NULL,
    license         TEXT NOT NULL,
    url             TEXT NOT NULL,
    vendor          TEXT NOT NULL,
    packager        TEXT NOT NULL,
    pkg_group       TEXT NOT NULL,
    build_host      TEXT NOT NULL,
    build_time      BIGINT NOT NULL,
    source_rpm      TEXT NOT NULL,
    size            BIGINT NOT NULL,
    installed_size  BIGINT NOT NULL,
    sig_key_id      TEXT NOT NULL,
    sig_algorithm   TEXT NOT NULL,
    build_id        TEXT NOT NULL REFERENCES builds(id),
    uploaded_at     BIGINT NOT NULL,
    uploaded_by     TEXT NOT NULL,
    frag_digest     TEXT NOT NULL
);
CREATE UNIQUE INDEX artifacts_nevra ON artifacts (name, epoch, version, release, arch);
CREATE UNIQUE INDEX artifacts_filename ON artifacts (filename);
CREATE INDEX artifacts_build ON artifacts (build_id);
CREATE INDEX artifacts_lname ON artifacts (name);

-- Kept apart from artifacts so that listing and searching never read them.
CREATE TABLE artifact_details (
    sha256          TEXT PRIMARY KEY REFERENCES artifacts(sha256),
    details         TEXT NOT NULL,
    frag_primary    TEXT NOT NULL,
    frag_filelists  TEXT NOT NULL,
    frag_other      TEXT NOT NULL
);

CREATE TABLE releases (
    name        TEXT PRIMARY KEY,
    base_os     TEXT NOT NULL,
    arches      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE channels (
    release            TEXT NOT NULL REFERENCES releases(name),
    name               TEXT NOT NULL,
    description        TEXT NOT NULL,
    arches             TEXT NOT NULL,
    enabled            BOOLEAN NOT NULL,
    version            BIGINT NOT NULL,
    published_version  BIGINT NOT NULL,
    published_at       BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (release, name)
);

-- A channel's versions are immutable. Membership is kept as intervals:
-- a build is in version v when added_in <= v and (removed_in is null or
-- removed_in > v), so a change writes one row, not a copy of the channel.
CREATE TABLE channel_versions (
    release     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    change      TEXT NOT NULL,
    PRIMARY KEY (release, channel, version)
);

CREATE TABLE channel_builds (
    release     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    build_id    TEXT NOT NULL REFERENCES builds(id),
    added_in    BIGINT NOT NULL,
    removed_in  BIGINT,
    PRIMARY KEY (release, channel, build_id, added_in)
);
CREATE INDEX channel_builds_build ON channel_builds (build_id);

CREATE TABLE accounts (
    name           TEXT PRIMARY KEY,
    admin          BOOLEAN NOT NULL,
    password_hash  TEXT NOT NULL,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL
);

CREATE TABLE tokens (
    hash        TEXT PRIMARY KEY,
    account     TEXT NOT NULL REFERENCES accounts(name),
    label       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE
);
