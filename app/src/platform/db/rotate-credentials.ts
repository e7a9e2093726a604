import { VaultError, type Vault } from "../vault.js";
import type { Pool } from "./pool.js";

export interface RotationResult {
  examined: number;
  reencrypted: number;
  /** Connections whose credentials could not be decrypted; left exactly as they were. */
  unreadable: string[];
}

/**
 * Re-encrypts every stored credential under the vault's active key. Runs as the table
 * owner (across tenants); each row is rewritten only if it still holds what was read,
 * so a concurrent update is never overwritten.
 */
export async function rotateCredentials(ownerPool: Pool, vault: Vault): Promise<RotationResult> {
  const { rows } = await ownerPool.query<{ id: string; tenant_id: string; credentials: string }>(
    "SELECT id, tenant_id, credentials FROM connections WHERE credentials IS NOT NULL ORDER BY id",
  );
  let reencrypted = 0;
  const unreadable: string[] = [];
  for (const row of rows) {
    let rotated: string | null;
    try {
      rotated = vault.reencrypt(row.credentials, { tenantId: row.tenant_id, connectionId: row.id, field: CREDENTIALS_FIELD });
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      unreadable.push(row.id);
      continue;
    }
    if (rotated === null) continue;
    const updated = await ownerPool.query("UPDATE connections SET credentials = $1, updated_at = now() WHERE id = $2 AND credentials = $3", [
      rotated,
      row.id,
      row.credentials,
    ]);
    reencrypted += updated.rowCount ?? 0;
  }
  return { examined: rows.length, reencrypted, unreadable };
}

/** The field name bound into a connection's credentials ciphertext. */
export const CREDENTIALS_FIELD = "credentials";
