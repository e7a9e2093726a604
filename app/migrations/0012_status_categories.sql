-- The provider's own grouping of its statuses (to do, in progress, done), as the last scan
-- read it: the analysis classifies a status by it when the team has not and the name says
-- nothing more specific.
ALTER TABLE connections ADD COLUMN status_categories jsonb NOT NULL DEFAULT '{}';
