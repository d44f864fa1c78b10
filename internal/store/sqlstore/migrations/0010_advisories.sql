-- The project's advisories. doc is the advisory as JSON (its lists and
-- texts); the columns are what queries and the per-year numbering need.
CREATE TABLE advisories (
    id          TEXT PRIMARY KEY,
    year        BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    state       TEXT NOT NULL,
    changes     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    doc         TEXT NOT NULL,
    UNIQUE (year, seq)
);

-- Every publication and every change after it, kept for ever.
CREATE TABLE advisory_revisions (
    advisory    TEXT NOT NULL REFERENCES advisories(id),
    n           BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    by_account  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (advisory, n)
);
