import pg from "pg";
import type { JsonValue } from "../connectors/connector.js";
import type { PoolClient } from "../platform/db/pool.js";

export type ScanTrigger = "schedule" | "manual";
export type ScanEndStatus = "succeeded" | "partial" | "failed";

/**
 * A queued scan for the connection, or the one already queued or running (a second
 * "scan now" joins it rather than starting a parallel scan).
 */
export async function queueScan(client: PoolClient, ref: { tenantId: string; connectionId: string }, trigger: ScanTrigger): Promise<{ scanId: string; created: boolean }> {
  const existing = await activeScan(client, ref.connectionId);
  if (existing) return { scanId: existing, created: false };
  try {
    await client.query("SAVEPOINT queue_scan");
    const { rows } = await client.query<{ id: string }>(
      "INSERT INTO scans (tenant_id, connection_id, status, trigger) VALUES ($1, $2, 'queued', $3) RETURNING id",
      [ref.tenantId, ref.connectionId, trigger],
    );
    await client.query("RELEASE SAVEPOINT queue_scan");
    return { scanId: rows[0]!.id, created: true };
  } catch (err) {
    // Lost a race with another enqueue: join the scan that won.
    if (!(err instanceof pg.DatabaseError && err.code === "23505")) throw err;
    await client.query("ROLLBACK TO SAVEPOINT queue_scan");
    const winner = await activeScan(client, ref.connectionId);
    if (!winner) throw err;
    return { scanId: winner, created: false };
  }
}

async function activeScan(client: PoolClient, connectionId: string): Promise<string | null> {
  const { rows } = await client.query<{ id: string }>("SELECT id FROM scans WHERE connection_id = $1 AND status IN ('queued', 'running')", [connectionId]);
  return rows[0]?.id ?? null;
}

export async function loadCursors(client: PoolClient, connectionId: string): Promise<Map<string, JsonValue>> {
  const { rows } = await client.query<{ stream: string; cursor: JsonValue }>("SELECT stream, cursor FROM scan_cursors WHERE connection_id = $1", [connectionId]);
  return new Map(rows.map((row) => [row.stream, row.cursor]));
}

export async function saveCursor(client: PoolClient, ref: { tenantId: string; connectionId: string }, stream: string, cursor: JsonValue): Promise<void> {
  await client.query(
    `INSERT INTO scan_cursors (tenant_id, connection_id, stream, cursor) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, connection_id, stream) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
    [ref.tenantId, ref.connectionId, stream, JSON.stringify(cursor)],
  );
}

/** Marks the scan running; a scan resumed after a crash keeps its first start time and counts. */
export async function startScan(client: PoolClient, scanId: string, cursorsBefore: Record<string, JsonValue>): Promise<void> {
  await client.query(
    `UPDATE scans SET status = 'running', started_at = coalesce(started_at, now()), cursor_before = coalesce(cursor_before, $2),
            progressed_at = now()
      WHERE id = $1`,
    [scanId, JSON.stringify(cursorsBefore)],
  );
}

export interface PageProgress {
  itemsSeen: number;
  eventsAdded: number;
  requests: number;
  bytesReceived: number;
}

export async function recordPage(client: PoolClient, scanId: string, progress: PageProgress): Promise<void> {
  await client.query(
    `UPDATE scans SET pages_done = pages_done + 1, items_seen = items_seen + $2, events_added = events_added + $3,
            requests_made = requests_made + $4, bytes_received = bytes_received + $5, progressed_at = now()
      WHERE id = $1`,
    [scanId, progress.itemsSeen, progress.eventsAdded, progress.requests, progress.bytesReceived],
  );
}

export async function finishScan(
  client: PoolClient,
  scan: { id: string; connectionId: string },
  outcome: { status: ScanEndStatus; cursorsAfter: Record<string, JsonValue>; requests: number; bytesReceived: number; errorCode?: string; errorMessage?: string },
): Promise<void> {
  await client.query(
    `UPDATE scans SET status = $2, finished_at = now(), cursor_after = $3, requests_made = requests_made + $4,
            bytes_received = bytes_received + $5, error_code = $6, error_message = $7
      WHERE id = $1`,
    [scan.id, outcome.status, JSON.stringify(outcome.cursorsAfter), outcome.requests, outcome.bytesReceived, outcome.errorCode ?? null, outcome.errorMessage ?? null],
  );
  if (outcome.status !== "failed") await client.query("UPDATE connections SET last_scan_at = now() WHERE id = $1", [scan.connectionId]);
}
