-- Signing: an artifact keeps its identity (the SHA-256 of the file as
-- uploaded) while the file served may be a signed copy of it.

ALTER TABLE artifacts ADD COLUMN file_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE artifacts ADD COLUMN file_size BIGINT NOT NULL DEFAULT 0;
UPDATE artifacts SET file_sha256 = sha256, file_size = size;

-- Which key signed which file of which artifact, and when: kept for ever.
CREATE TABLE signatures (
    artifact     TEXT NOT NULL REFERENCES artifacts(sha256),
    file_sha256  TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    algorithm    TEXT NOT NULL,
    signed_at    BIGINT NOT NULL,
    signed_by    TEXT NOT NULL,
    PRIMARY KEY (artifact, file_sha256)
);

-- The files a frozen channel serves, fixed at freeze time, so that
-- re-signing a build later never changes a final release's install image.
CREATE TABLE frozen_files (
    release      TEXT NOT NULL,
    channel      TEXT NOT NULL,
    filename     TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    PRIMARY KEY (release, channel, filename)
);

-- The project's signing keys (public parts; private keys stay in files).
CREATE TABLE signing_keys (
    key_id      TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    active      BOOLEAN NOT NULL,
    retired_at  BIGINT NOT NULL DEFAULT 0
);
