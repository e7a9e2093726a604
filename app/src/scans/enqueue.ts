import type { Provider } from "../connectors/connector.js";
import type { Pool, PoolClient } from "../platform/db/pool.js";
import { withTenant } from "../platform/db/tenant.js";
import { badRequest, notFound } from "../platform/errors.js";
import type { ScanQueues } from "./queue.js";
import { queueScan, type ScanTrigger } from "./scan-records.js";

export interface ConnectionRef {
  tenantId: string;
  connectionId: string;
}

/**
 * Records a queued scan and hands it to the queue in the same transaction: if the queue
 * refuses, no scan row is left waiting for a job that does not exist.
 */
export function requestScan(pool: Pool, queues: ScanQueues, ref: ConnectionRef, trigger: ScanTrigger): Promise<{ scanId: string; created: boolean }> {
  return withTenant(pool, ref.tenantId, (client) => requestScanIn(client, queues, ref, trigger));
}

async function requestScanIn(client: PoolClient, queues: ScanQueues, ref: ConnectionRef, trigger: ScanTrigger) {
  const { rows } = await client.query<{ provider: Provider; status: string }>("SELECT provider, status FROM connections WHERE id = $1", [ref.connectionId]);
  const connection = rows[0];
  if (!connection) throw notFound("There is no connection with that id.");
  if (connection.status !== "active") throw badRequest("connection_not_active", `This connection is ${connection.status.replace("_", " ")}; reconnect it before scanning.`);
  const queued = await queueScan(client, ref, trigger);
  if (queued.created) await queues.enqueue(connection.provider, { ...ref, scanId: queued.scanId });
  return queued;
}

/** Up to 10% of the interval (at most 5 minutes), so connections created together do not scan together. */
export function jitterMs(everyMinutes: number, random = Math.random): number {
  return Math.floor(random() * Math.min(everyMinutes * 6_000, 5 * 60_000));
}

/** Enqueues every due connection and sets its next time. Run by the scheduler's leader. */
export async function scheduleDueScans(pool: Pool, queues: ScanQueues, random = Math.random): Promise<number> {
  const { rows } = await pool.query<{ tenant_id: string; connection_id: string; scan_every_minutes: number }>("SELECT * FROM due_connections(100)");
  for (const due of rows) {
    const ref = { tenantId: due.tenant_id, connectionId: due.connection_id };
    await withTenant(pool, ref.tenantId, async (client) => {
      await requestScanIn(client, queues, ref, "schedule");
      await client.query("UPDATE connections SET next_scan_at = now() + make_interval(mins => $2) + make_interval(secs => $3::double precision / 1000) WHERE id = $1", [
        ref.connectionId,
        due.scan_every_minutes,
        jitterMs(due.scan_every_minutes, random),
      ]);
    });
  }
  return rows.length;
}

/** Scans quiet this long are handed to the queue again (longer than any provider-requested wait). */
export const STALLED_AFTER_MINUTES = 20;

/** Re-enqueues scans the queue may have lost; returns how many were handed over. */
export async function requeueStalledScans(pool: Pool, queues: ScanQueues): Promise<number> {
  const { rows } = await pool.query<{ tenant_id: string; connection_id: string; scan_id: string; provider: Provider }>(
    "SELECT * FROM stalled_scans(make_interval(mins => $1))",
    [STALLED_AFTER_MINUTES],
  );
  for (const scan of rows) {
    await queues.enqueue(scan.provider, { tenantId: scan.tenant_id, connectionId: scan.connection_id, scanId: scan.scan_id });
  }
  return rows.length;
}
