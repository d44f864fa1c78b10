-- Vulnerability records as received (OSV, updateinfo, CSAF), their
-- affected ranges, and the tracker entries matching opens.
CREATE TABLE vuln_records (
    source       TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    origin       TEXT NOT NULL,
    aliases      TEXT NOT NULL,
    summary      TEXT NOT NULL,
    severity     TEXT NOT NULL,
    modified     TEXT NOT NULL,
    digest       TEXT NOT NULL,
    withdrawn    BOOLEAN NOT NULL,
    raw          TEXT NOT NULL,
    imported_at  BIGINT NOT NULL,
    PRIMARY KEY (source, record_id)
);

CREATE TABLE vuln_ranges (
    source        TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    ecosystem     TEXT NOT NULL,
    package       TEXT NOT NULL,
    introduced    TEXT NOT NULL,
    fixed         TEXT NOT NULL,
    last_affected TEXT NOT NULL,
    FOREIGN KEY (source, record_id) REFERENCES vuln_records (source, record_id)
);
CREATE INDEX vuln_ranges_record ON vuln_ranges (source, record_id);
CREATE INDEX vuln_ranges_ecosystem ON vuln_ranges (ecosystem);

-- sources, evrs, arches: JSON arrays.
CREATE TABLE vuln_entries (
    id                BIGINT PRIMARY KEY,
    release           TEXT NOT NULL,
    package           TEXT NOT NULL,
    vuln_key          TEXT NOT NULL,
    summary           TEXT NOT NULL,
    sources           TEXT NOT NULL,
    evrs              TEXT NOT NULL,
    fixed             TEXT NOT NULL,
    arches            TEXT NOT NULL,
    state             TEXT NOT NULL,
    severity          TEXT NOT NULL,
    owner             TEXT NOT NULL,
    private_notes     TEXT NOT NULL,
    statement         TEXT NOT NULL,
    justification     TEXT NOT NULL,
    monitoring        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    first_response_at BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (release, package, vuln_key)
);
CREATE INDEX vuln_entries_package ON vuln_entries (package);
