-- A scan output belongs to the connection it describes and to the scan that produced it, so
-- each scan's output is kept as a version and the previous one is there to compare with.
ALTER TABLE scan_outputs
  ADD COLUMN connection_id uuid,
  ADD COLUMN scan_id uuid REFERENCES scans (id) ON DELETE SET NULL,
  ADD CONSTRAINT scan_outputs_connection_fkey FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE;

-- What each step means (category and wait class), as the team sets it per connection;
-- steps not named here are classified by provider and name.
ALTER TABLE connections ADD COLUMN step_classes jsonb NOT NULL DEFAULT '{}';
