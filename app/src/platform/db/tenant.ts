import { inTransaction, type Pool, type PoolClient, type TransactionMode } from "./pool.js";
import { isUuid } from "../ids.js";

/**
 * Runs fn in a transaction whose row-level-security context is one tenant.
 * `SET LOCAL` (set_config with is_local) ends with the transaction, so a pooled
 * connection never carries one tenant's context into another request.
 */
export async function withTenant<T>(pool: Pool, tenantId: string, fn: (client: PoolClient) => Promise<T>, mode: TransactionMode = "read-write"): Promise<T> {
  assertUuid(tenantId, "tenant id");
  return inTransaction(
    pool,
    async (client) => {
      await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
      return fn(client);
    },
    mode,
  );
}

/** Runs fn as one person of a tenant: the tenant's rows, and of rows that are a person's own (assistant conversations), theirs. */
export async function withMember<T>(pool: Pool, member: { tenantId: string; userId: string }, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  assertUuid(member.userId, "user id");
  return withTenant(pool, member.tenantId, async (client) => {
    await client.query("SELECT set_config('app.user_id', $1, true)", [member.userId]);
    return fn(client);
  });
}

/** Runs fn with only the person's own memberships visible (used at sign-in, before a tenant is chosen). */
export async function withUser<T>(pool: Pool, userId: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  assertUuid(userId, "user id");
  return inTransaction(pool, async (client) => {
    await client.query("SELECT set_config('app.user_id', $1, true)", [userId]);
    return fn(client);
  });
}

function assertUuid(value: string, what: string): void {
  if (!isUuid(value)) throw new TypeError(`${what} must be a UUID`);
}
