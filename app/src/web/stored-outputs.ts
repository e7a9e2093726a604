import type { PoolClient } from "../platform/db/pool.js";
import { notFound } from "../platform/errors.js";
import { connectionScope, containerScope, storedScanOutput, type StoredScanOutput } from "../scans/scan-output-store.js";

/** Not found when the tenant has no such connection, or (when one is named) the connection no such container. */
export async function requireContainer(client: PoolClient, connectionId: string, container: string | null): Promise<void> {
  const connection = await client.query("SELECT 1 FROM connections WHERE id = $1", [connectionId]);
  if (connection.rowCount === 0) throw notFound("There is no connection with that id.");
  if (container === null) return;
  const held = await client.query("SELECT 1 FROM work_items WHERE connection_id = $1 AND container = $2 LIMIT 1", [connectionId, container]);
  if (held.rowCount === 0) throw notFound(`This connection has no project, repository or queue named "${container}".`);
}

/**
 * The latest stored output of the connection, or of one of its containers. A connection with
 * one container has no output of its own for it: the connection's is the same.
 */
export async function storedOutputOf(client: PoolClient, connectionId: string, container: string | null): Promise<StoredScanOutput | null> {
  await requireContainer(client, connectionId, container);
  if (container === null) return storedScanOutput(client, connectionScope(connectionId));
  const others = await client.query("SELECT 1 FROM work_items WHERE connection_id = $1 AND container <> $2 LIMIT 1", [connectionId, container]);
  return storedScanOutput(client, others.rowCount === 0 ? connectionScope(connectionId) : containerScope(connectionId, container));
}
