-- Scans whose job the queue no longer holds (Redis restarted without persistence, a job
-- removed by hand) would wait forever and block their connection. The scheduler finds
-- scans that have waited or run without progress for a while and hands them to the queue
-- again; the queue ignores a job id it already holds, so a live scan is never doubled.

ALTER TABLE scans ADD COLUMN progressed_at timestamptz NOT NULL DEFAULT now();

CREATE FUNCTION stalled_scans(quiet_for interval) RETURNS TABLE (tenant_id uuid, connection_id uuid, scan_id uuid, provider text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    SELECT s.tenant_id, s.connection_id, s.id, c.provider
      FROM scans s JOIN connections c ON c.id = s.connection_id
     WHERE s.status IN ('queued', 'running') AND s.progressed_at < now() - quiet_for
  $$;
REVOKE ALL ON FUNCTION stalled_scans(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stalled_scans(interval) TO twinflow_runtime;
