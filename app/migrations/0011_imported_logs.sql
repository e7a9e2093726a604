-- An event log imported from a file (CSV or XES) is a connection of its own: its cases are
-- work items and its activities events, so every page and the analysis read it like any
-- other. It is never scanned: 'imported' is not 'active', so no scan is ever due.
ALTER TABLE connections
  DROP CONSTRAINT connections_provider_check,
  ADD CONSTRAINT connections_provider_check CHECK (provider IN ('demo', 'jira', 'linear', 'gmail', 'salesforce', 'zendesk', 'github', 'file')),
  DROP CONSTRAINT connections_status_check,
  ADD CONSTRAINT connections_status_check CHECK (status IN ('active', 'paused', 'needs_reconnect', 'error', 'disconnected', 'imported'));
