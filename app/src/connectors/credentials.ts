import type { Queryable } from "../platform/db/pool.js";
import { CREDENTIALS_FIELD } from "../platform/db/rotate-credentials.js";
import type { Vault } from "../platform/vault.js";

export type Credentials = Record<string, string>;

interface ConnectionRef {
  tenantId: string;
  connectionId: string;
}

const bindingOf = (ref: ConnectionRef) => ({ tenantId: ref.tenantId, connectionId: ref.connectionId, field: CREDENTIALS_FIELD });

/** Encrypts and stores a connection's credentials (inside the caller's tenant transaction). */
export async function storeCredentials(db: Queryable, vault: Vault, ref: ConnectionRef, credentials: Credentials): Promise<void> {
  const envelope = vault.encrypt(JSON.stringify(credentials), bindingOf(ref));
  await db.query("UPDATE connections SET credentials = $1, updated_at = now() WHERE id = $2", [envelope, ref.connectionId]);
}

export function openCredentials(vault: Vault, ref: ConnectionRef, envelope: string | null): Credentials {
  if (!envelope) return {};
  return JSON.parse(vault.decrypt(envelope, bindingOf(ref))) as Credentials;
}

/** Reads a connection's stored credentials afresh (inside the caller's tenant transaction). */
export async function loadCredentials(db: Queryable, vault: Vault, ref: ConnectionRef): Promise<Credentials> {
  const { rows } = await db.query<{ credentials: string | null }>("SELECT credentials FROM connections WHERE id = $1", [ref.connectionId]);
  return openCredentials(vault, ref, rows[0]?.credentials ?? null);
}

/** Forgets the credentials at once (disconnect). */
export async function eraseCredentials(db: Queryable, ref: ConnectionRef): Promise<void> {
  await db.query("UPDATE connections SET credentials = NULL, updated_at = now() WHERE id = $1", [ref.connectionId]);
}
