-- Roles people hold (names from the policy), API tokens scoped to a set of
-- them, and the hash-chained audit log.
CREATE TABLE account_roles (
    account  TEXT NOT NULL REFERENCES accounts(name),
    role     TEXT NOT NULL,
    PRIMARY KEY (account, role)
);

-- roles: space-separated role names the token may use ('' = all the
-- account's roles); a token never has more than its account.
ALTER TABLE tokens ADD COLUMN roles TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN last_login_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE audit_events (
    seq      BIGINT PRIMARY KEY,
    at       BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT NOT NULL,
    before   TEXT NOT NULL,
    after    TEXT NOT NULL,
    public   BOOLEAN NOT NULL,
    prev     TEXT NOT NULL,
    hash     TEXT NOT NULL
);
CREATE INDEX audit_events_subject ON audit_events (subject, seq);
