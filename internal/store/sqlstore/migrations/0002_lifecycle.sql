-- Release life cycle, channel rules and build categories.

ALTER TABLE releases ADD COLUMN major BIGINT NOT NULL DEFAULT 0;
ALTER TABLE releases ADD COLUMN minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE releases ADD COLUMN base_name TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN base_version TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN phase TEXT NOT NULL DEFAULT 'planning';
ALTER TABLE releases ADD COLUMN development BOOLEAN NOT NULL DEFAULT FALSE;
-- JSON object: phase name -> Unix milliseconds when the release entered it.
ALTER TABLE releases ADD COLUMN phase_dates TEXT NOT NULL DEFAULT '{}';
ALTER TABLE releases ADD COLUMN eol BIGINT NOT NULL DEFAULT 0;
ALTER TABLE releases ADD COLUMN from_release TEXT NOT NULL DEFAULT '';

ALTER TABLE channels ADD COLUMN client_name TEXT NOT NULL DEFAULT '';
-- Comma-separated categories the channel accepts; empty accepts all.
ALTER TABLE channels ADD COLUMN accepts TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN visible BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE channels ADD COLUMN frozen_at_final BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE channels ADD COLUMN require_signed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE channels ADD COLUMN retention BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN frozen BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE channels ADD COLUMN frozen_digest TEXT NOT NULL DEFAULT '';

ALTER TABLE builds ADD COLUMN category TEXT NOT NULL DEFAULT 'dev';
