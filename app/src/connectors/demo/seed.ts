import { findAccount, membershipsOf, provisionTenant } from "../../auth/accounts.js";
import { hashPassword, verifyPassword } from "../../auth/passwords.js";
import type { Pool } from "../../platform/db/pool.js";
import { withTenant, withUser } from "../../platform/db/tenant.js";
import { ingestBatch } from "../../scans/ingest.js";
import { generateDemoLog } from "./generate.js";

export const DEMO_EMAIL = "demo@twinflow.local";
export const DEMO_TENANT = "Demo Co";
export const DEMO_SEED = 42;
export const DEMO_DAYS = 90;

export interface DemoSeedResult {
  tenantId: string;
  created: boolean;
  eventsAdded: number;
}

/**
 * Creates the demo organization, its owner and a demo connection holding a generated
 * 90-day log ending today. Re-running leaves an already-loaded demo as it is.
 */
export async function seedDemo(pool: Pool, password: string, now = new Date()): Promise<DemoSeedResult> {
  const account = await findAccount(pool, DEMO_EMAIL);
  const created = !account;
  // A regenerated .env brings a new DEMO_PASSWORD: keep the printed sign-in true.
  if (account && !(account.passwordHash && (await verifyPassword(password, account.passwordHash)))) {
    const passwordHash = await hashPassword(password);
    await withUser(pool, account.id, (client) => client.query("UPDATE users SET password_hash = $1 WHERE id = $2", [passwordHash, account.id]));
  }
  const tenantId = account
    ? (await membershipsOf(pool, account.id))[0]?.tenantId
    : (await provisionTenant(pool, { tenantName: DEMO_TENANT, displayName: "Demo Owner", email: DEMO_EMAIL, password })).tenantId;
  if (!tenantId) throw new Error(`${DEMO_EMAIL} exists but belongs to no organization; remove the account or use another database`);
  const eventsAdded = await withTenant(pool, tenantId, async (client) => {
    const existing = await client.query<{ id: string }>("SELECT id FROM connections WHERE provider = 'demo'");
    if (existing.rows[0]) return 0;
    const connection = await client.query<{ id: string }>(
      "INSERT INTO connections (tenant_id, provider, label, last_scan_at) VALUES ($1, 'demo', 'Support queue and engineering board', now()) RETURNING id",
      [tenantId],
    );
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - DEMO_DAYS));
    const log = generateDemoLog({ seed: DEMO_SEED, start, days: DEMO_DAYS });
    const result = await ingestBatch(client, { tenantId, connectionId: connection.rows[0]!.id }, log);
    return result.eventsAdded;
  });
  return { tenantId, created, eventsAdded };
}
