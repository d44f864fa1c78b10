-- Rebuild jobs: rpmbuild --rebuild of a build's SRPM, and what came of it.
CREATE TABLE rebuilds (
    id           TEXT PRIMARY KEY,
    build_id     TEXT NOT NULL REFERENCES builds(id),
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT NOT NULL,
    ok           BOOLEAN NOT NULL,
    log          TEXT NOT NULL,
    produced     TEXT NOT NULL,
    requested_by TEXT NOT NULL
);
CREATE INDEX rebuilds_build ON rebuilds (build_id);
