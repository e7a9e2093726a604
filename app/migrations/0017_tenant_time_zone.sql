-- The organization's time zone (an IANA name, e.g. Europe/Berlin): pages show dates and
-- times in it. The application checks the name against the runtime's zone database; the
-- database only bounds its length.
ALTER TABLE tenants ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64);
