import type { Principal } from "../auth/principal.js";
import { hasRole } from "../auth/principal.js";
import { recordAudit } from "../platform/audit.js";
import type { PoolClient } from "../platform/db/pool.js";
import { badRequest, forbidden, notFound } from "../platform/errors.js";
import type { Vault } from "../platform/vault.js";
import type { JsonValue, Provider } from "./connector.js";
import { eraseCredentials, storeCredentials, type Credentials } from "./credentials.js";

export interface NewConnection {
  provider: Provider;
  label: string;
  settings: JsonValue;
  credentials: Credentials;
  scanEveryMinutes?: number;
  backfillDays?: number;
  /** The account (and scopes) the provider reported for the credentials. */
  connectedAs?: string | null;
}

/** Creates a connection with its credentials encrypted; due for a first scan at once. */
export async function createConnection(client: PoolClient, vault: Vault, by: Principal, connection: NewConnection): Promise<string> {
  if (!hasRole(by, "admin")) throw forbidden("Only owners and admins can connect tools.");
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO connections (tenant_id, provider, label, config, scan_every_minutes, backfill_days, connected_as)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      by.tenantId,
      connection.provider,
      connection.label,
      JSON.stringify(connection.settings),
      connection.scanEveryMinutes ?? 60,
      connection.backfillDays ?? 180,
      connection.connectedAs ?? null,
    ],
  );
  const connectionId = rows[0]!.id;
  if (Object.keys(connection.credentials).length > 0) {
    await storeCredentials(client, vault, { tenantId: by.tenantId, connectionId }, connection.credentials);
  }
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "connection.created", targetType: "connection", targetId: connectionId, details: { provider: connection.provider } });
  return connectionId;
}

/**
 * Disconnects: the credentials are erased at once and scanning stops; the event data
 * stays unless the person asks for it to be deleted too.
 */
export async function disconnectConnection(client: PoolClient, by: Principal, connectionId: string, deleteData: boolean): Promise<void> {
  if (!hasRole(by, "admin")) throw forbidden("Only owners and admins can disconnect tools.");
  const found = await client.query("SELECT 1 FROM connections WHERE id = $1", [connectionId]);
  if (found.rowCount === 0) throw notFound("There is no connection with that id.");
  await eraseCredentials(client, { tenantId: by.tenantId, connectionId });
  await client.query("UPDATE connections SET status = 'disconnected', next_scan_at = NULL WHERE id = $1", [connectionId]);
  await client.query("UPDATE scans SET status = 'cancelled', finished_at = now() WHERE connection_id = $1 AND status IN ('queued', 'running')", [connectionId]);
  if (deleteData) {
    for (const table of ["events", "work_items", "actors", "scan_cursors", "scan_outputs"]) {
      await client.query(`DELETE FROM ${table} WHERE connection_id = $1`, [connectionId]);
    }
  }
  await recordAudit(client, {
    tenantId: by.tenantId,
    actorUserId: by.userId,
    action: "connection.disconnected",
    targetType: "connection",
    targetId: connectionId,
    details: { dataDeleted: deleteData },
  });
}

/** New credentials for a connection that needs them (revoked, expired, disconnected); scanning resumes. */
export async function reconnectConnection(
  client: PoolClient,
  vault: Vault,
  by: Principal,
  connectionId: string,
  credentials: Credentials,
  connectedAs: string | null,
): Promise<void> {
  if (!hasRole(by, "admin")) throw forbidden("Only owners and admins can reconnect tools.");
  const found = await client.query("SELECT 1 FROM connections WHERE id = $1", [connectionId]);
  if (found.rowCount === 0) throw notFound("There is no connection with that id.");
  await storeCredentials(client, vault, { tenantId: by.tenantId, connectionId }, credentials);
  await client.query("UPDATE connections SET status = 'active', next_scan_at = NULL, connected_as = $2 WHERE id = $1", [connectionId, connectedAs]);
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "connection.reconnected", targetType: "connection", targetId: connectionId });
}

/**
 * Deletes all of the organization's workflow data in the caller's transaction: every
 * connection is disconnected with its data deleted (credentials erased, scanning stopped),
 * then removed, and its scan history, cursors and created-ticket records go with it. Members,
 * invitations and the audit log stay. Returns how many connections were removed.
 */
export async function deleteAllData(client: PoolClient, by: Principal, confirmation: string): Promise<number> {
  if (by.role !== "owner") throw forbidden("Only an owner can delete all of the organization's data.");
  const { rows: tenants } = await client.query<{ name: string }>("SELECT name FROM tenants WHERE id = $1", [by.tenantId]);
  const name = tenants[0]!.name;
  if (confirmation.trim() !== name) {
    throw badRequest("confirmation_mismatch", `To confirm, type the organization's name exactly as it is written: ${name}. Nothing was deleted.`);
  }
  // Connections are locked before their items are deleted, as a scan's ingest locks them (see 0016_item_revisions.sql).
  const { rows } = await client.query<{ id: string }>("SELECT id FROM connections WHERE tenant_id = $1 ORDER BY created_at FOR UPDATE", [by.tenantId]);
  for (const { id } of rows) await disconnectConnection(client, by, id, true);
  await client.query("DELETE FROM connections WHERE tenant_id = $1", [by.tenantId]);
  // What was sent to the assistant holds the deleted data's aggregates; its conversations went with their connections.
  await client.query("DELETE FROM ai_requests WHERE tenant_id = $1", [by.tenantId]);
  await client.query("DELETE FROM ai_pseudonyms WHERE tenant_id = $1", [by.tenantId]);
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "tenant.data_deleted", targetType: "tenant", targetId: by.tenantId, details: { connections: rows.length } });
  return rows.length;
}
