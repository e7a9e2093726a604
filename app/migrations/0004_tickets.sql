-- Issues created in Jira by the one user-clicked write ("create ticket"). The form carries a
-- random idempotency key; it is inserted before the request to Jira goes out, in the same
-- transaction that records the issue key, so a double submit waits on the first and then
-- answers its issue key instead of creating a second issue.

CREATE TABLE created_tickets (
  tenant_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  idempotency_key uuid NOT NULL,
  -- Set in the same transaction as the insert; NULL only while the request to Jira is in flight.
  issue_key text CHECK (issue_key ~ '^[A-Z][A-Z0-9_]*-[0-9]+$'),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, idempotency_key),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE created_tickets ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON created_tickets USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON created_tickets TO twinflow_runtime;
