-- The scan engine: per-stream cursors saved with each ingested page, richer scan records,
-- per-connection schedules, and connection states a scan can lead to.

CREATE TABLE scan_cursors (
  tenant_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  stream text NOT NULL CHECK (length(stream) BETWEEN 1 AND 300),
  cursor jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, connection_id, stream),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE scan_cursors ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scan_cursors USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON scan_cursors TO twinflow_runtime;

ALTER TABLE scans
  ADD COLUMN trigger text NOT NULL DEFAULT 'schedule' CHECK (trigger IN ('schedule', 'manual')),
  ADD COLUMN pages_done integer NOT NULL DEFAULT 0,
  ADD COLUMN bytes_received bigint NOT NULL DEFAULT 0,
  DROP CONSTRAINT scans_status_check,
  ADD CONSTRAINT scans_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled'));
-- At most one scan of a connection waits or runs at a time; a second "scan now" joins it.
CREATE UNIQUE INDEX scans_one_active_idx ON scans (connection_id) WHERE status IN ('queued', 'running');

ALTER TABLE connections
  DROP COLUMN schedule,
  ADD COLUMN scan_every_minutes integer NOT NULL DEFAULT 60 CHECK (scan_every_minutes BETWEEN 5 AND 10080),
  ADD COLUMN backfill_days integer NOT NULL DEFAULT 180 CHECK (backfill_days BETWEEN 1 AND 3650),
  ADD COLUMN next_scan_at timestamptz,
  DROP CONSTRAINT connections_status_check,
  ADD CONSTRAINT connections_status_check CHECK (status IN ('active', 'paused', 'needs_reconnect', 'error', 'disconnected'));

-- The scheduler looks across tenants for connections that are due, and nothing more.
CREATE FUNCTION due_connections(max_rows integer) RETURNS TABLE (tenant_id uuid, connection_id uuid, scan_every_minutes integer)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    SELECT c.tenant_id, c.id, c.scan_every_minutes FROM connections c
     WHERE c.status = 'active' AND (c.next_scan_at IS NULL OR c.next_scan_at <= now())
     ORDER BY c.next_scan_at NULLS FIRST
     LIMIT max_rows
  $$;
REVOKE ALL ON FUNCTION due_connections(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION due_connections(integer) TO twinflow_runtime;
