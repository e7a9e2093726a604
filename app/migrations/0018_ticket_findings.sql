-- A ticket created from a bottleneck finding remembers the finding, so the finding shows
-- "ticket KEY-123 created" afterwards instead of offering a second ticket; one finding of a
-- scope has at most one ticket. The finding is named by the connection and scope it was
-- found in (a project name, or '' for the whole connection) and its step (and next step).
-- Where the issue can be seen in Jira is kept with its key: the address depends on the
-- credentials the issue was created with, which the pages that show it never decrypt.
ALTER TABLE created_tickets
  ADD COLUMN issue_url text CHECK (issue_url ~ '^https?://' AND length(issue_url) <= 2000),
  ADD COLUMN finding_connection_id uuid,
  ADD COLUMN finding_scope text CHECK (length(finding_scope) <= 300),
  ADD COLUMN finding_key text CHECK (length(finding_key) <= 1000),
  ADD CONSTRAINT created_tickets_finding_named CHECK ((finding_key IS NULL) = (finding_scope IS NULL)),
  -- The ticket outlives the connection it was found in; it is Jira's now.
  ADD CONSTRAINT created_tickets_finding_fkey FOREIGN KEY (tenant_id, finding_connection_id)
    REFERENCES connections (tenant_id, id) ON DELETE SET NULL (finding_connection_id);

CREATE UNIQUE INDEX created_tickets_one_per_finding ON created_tickets (tenant_id, finding_connection_id, finding_scope, finding_key)
  WHERE finding_connection_id IS NOT NULL;
