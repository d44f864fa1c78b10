-- Accounts, tokens and teams (the people issue).

-- A token gets a public id (to list and revoke it without its secret);
-- existing tokens take the start of their hash, which names but does not
-- reveal them.
ALTER TABLE tokens ADD COLUMN id TEXT NOT NULL DEFAULT '';
UPDATE tokens SET id = substr(hash, 1, 16);
CREATE UNIQUE INDEX tokens_id ON tokens (id);

-- Failed sign-ins, for throttling: key is "account:<name>" or
-- "ip:<address>". Rows older than the window are pruned as new ones come.
-- Kept in the database so that every replica sees the same count.
CREATE TABLE login_failures (
    key  TEXT NOT NULL,
    at   BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

-- Teams of the community structure. lead is an account name ('' while
-- nobody leads).
CREATE TABLE teams (
    slug         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    contact      TEXT NOT NULL DEFAULT '',
    lead         TEXT NOT NULL DEFAULT '',
    position     BIGINT NOT NULL
);

CREATE TABLE team_members (
    team     TEXT NOT NULL REFERENCES teams(slug),
    account  TEXT NOT NULL REFERENCES accounts(name),
    PRIMARY KEY (team, account)
);

-- The teams of "The future of SME Server" (development, bugs and
-- maintenance, contributed packages, wiki and docs, forums, media and
-- marketing, finance and legal) and the teams the release and security
-- process needs.
INSERT INTO teams (slug, name, description, position) VALUES
('development', 'Development', 'Builds the next version of SME Server and ports it to the new base OS. Wants more developers, and testers to verify their work.', 1),
('bugs-maintenance', 'Bugs & maintenance', 'Looks after the packages of the released versions: fixes bugs and ships the fixes as updates.', 2),
('contributed-packages', 'Contributed packages', 'The maintainers of the packages people add to SME Server (contribs), current and old or unmaintained ones.', 3),
('wiki-docs', 'Wiki & docs', 'Writes and updates the wiki and the documentation, so that users find answers without asking.', 4),
('forums', 'Forums', 'Moderates the forums: helps users who are stuck, and turns users into helpers. Also a place to announce news.', 5),
('media-marketing', 'Media/marketing', 'Makes SME Server known: the website, its look and brand, social media and publicity.', 6),
('finance-legal', 'Finance & legal', 'Donations, sponsors and the accounts of the project, and its legal questions.', 7),
('security', 'Security', 'Watches for security problems in the packages, decides who is affected and writes the security advisories.', 8),
('communications', 'Communications', 'Explains advisories in plain words: why a server is affected and what its owner should do.', 9),
('maintenance', 'Maintenance', 'Moves tested updates from updates-testing to updates for the releases still maintained.', 10),
('core-developers', 'Core developers', 'Review and sign the core packages, agree forks of base packages and rebuild the distribution.', 11);
