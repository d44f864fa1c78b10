-- Projects and maintainers, promotion requests with their gate results and
-- votes, test reports, install tests, fork agreements and their votes.

CREATE TABLE projects (
    name          TEXT PRIMARY KEY,
    description   TEXT NOT NULL,
    upstream_url  TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE project_maintainers (
    project   TEXT NOT NULL REFERENCES projects(name),
    account   TEXT NOT NULL REFERENCES accounts(name),
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (project, account)
);

ALTER TABLE builds ADD COLUMN project TEXT NOT NULL DEFAULT '';

CREATE TABLE promotions (
    id            BIGINT PRIMARY KEY,
    build_id      TEXT NOT NULL REFERENCES builds(id),
    release       TEXT NOT NULL,
    from_level    TEXT NOT NULL,
    to_level      TEXT NOT NULL,
    category      TEXT NOT NULL,
    from_channel  TEXT NOT NULL,
    to_channel    TEXT NOT NULL,
    state         TEXT NOT NULL,
    round         BIGINT NOT NULL,
    requested_by  TEXT NOT NULL,
    comment       TEXT NOT NULL,
    waiver        TEXT NOT NULL,
    waived_by     TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX promotions_build ON promotions (build_id);
CREATE INDEX promotions_state ON promotions (state);

-- round: 'open' (when the request opened or re-opened) or 'execute'.
CREATE TABLE promotion_gates (
    promotion   BIGINT NOT NULL REFERENCES promotions(id),
    seq         BIGINT NOT NULL,
    gate        TEXT NOT NULL,
    round       TEXT NOT NULL,
    ok          BOOLEAN NOT NULL,
    summary     TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (promotion, seq)
);

-- roles: space-separated review roles the voter held; round: the request's
-- round the vote belongs to (a re-opened request counts anew).
CREATE TABLE promotion_votes (
    promotion  BIGINT NOT NULL REFERENCES promotions(id),
    seq        BIGINT NOT NULL,
    account    TEXT NOT NULL,
    roles      TEXT NOT NULL,
    vote       TEXT NOT NULL,
    comment    TEXT NOT NULL,
    round      BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (promotion, seq)
);

CREATE TABLE test_reports (
    id           BIGINT PRIMARY KEY,
    build_id     TEXT NOT NULL REFERENCES builds(id),
    release      TEXT NOT NULL,
    account      TEXT NOT NULL,
    verdict      TEXT NOT NULL,
    environment  TEXT NOT NULL,
    body         TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX test_reports_build ON test_reports (build_id);

CREATE TABLE install_tests (
    id          BIGINT PRIMARY KEY,
    build_id    TEXT NOT NULL REFERENCES builds(id),
    release     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    ok          BOOLEAN NOT NULL,
    summary     TEXT NOT NULL,
    transcript  TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    requested_by TEXT NOT NULL
);
CREATE INDEX install_tests_build ON install_tests (build_id);

-- replaces: space-separated package names the fork replaces.
CREATE TABLE fork_agreements (
    id                BIGINT PRIMARY KEY,
    package           TEXT NOT NULL,
    replaces          TEXT NOT NULL,
    rationale         TEXT NOT NULL,
    upstream_contact  TEXT NOT NULL,
    requested_by      TEXT NOT NULL,
    state             TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    decided_at        BIGINT NOT NULL
);

CREATE TABLE fork_votes (
    agreement  BIGINT NOT NULL REFERENCES fork_agreements(id),
    seq        BIGINT NOT NULL,
    account    TEXT NOT NULL,
    roles      TEXT NOT NULL,
    vote       TEXT NOT NULL,
    comment    TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (agreement, seq)
);
