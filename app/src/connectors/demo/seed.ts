import { pino } from "pino";
import { findAccount, membershipsOf, provisionTenant } from "../../auth/accounts.js";
import { hashPassword, verifyPassword } from "../../auth/passwords.js";
import type { Pool } from "../../platform/db/pool.js";
import { withTenant, withUser } from "../../platform/db/tenant.js";
import type { Vault } from "../../platform/vault.js";
import { scanAndAnalyze } from "../../scans/scan-job.js";
import { queueScan } from "../../scans/scan-records.js";
import { demoConnector } from "./connector.js";

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
 * Creates the demo organization, its owner and a demo connection, and runs its first scan
 * through the scan engine: a generated 90-day log ending today. Re-running leaves an
 * already-loaded demo as it is.
 */
export async function seedDemo(pool: Pool, vault: Vault, password: string, now = new Date()): Promise<DemoSeedResult> {
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
  const scan = await withTenant(pool, tenantId, async (client) => {
    const existing = await client.query("SELECT 1 FROM connections WHERE provider = 'demo'");
    if ((existing.rowCount ?? 0) > 0) return null;
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - DEMO_DAYS));
    const settings = demoConnector.parseSettings({ seed: DEMO_SEED, days: DEMO_DAYS, start: start.toISOString() });
    const { rows } = await client.query<{ id: string }>(
      "INSERT INTO connections (tenant_id, provider, label, config) VALUES ($1, 'demo', 'Support queue and engineering board', $2) RETURNING id",
      [tenantId, JSON.stringify(settings)],
    );
    const connectionId = rows[0]!.id;
    const { scanId } = await queueScan(client, { tenantId, connectionId }, "manual");
    return { tenantId, connectionId, scanId };
  });
  if (!scan) return { tenantId, created, eventsAdded: 0 };
  const deps = { pool, vault, log: pino({ level: "silent" }), connectors: new Map([[demoConnector.provider, demoConnector]]), extraHosts: [] };
  await scanAndAnalyze(deps, scan, new AbortController().signal);
  const { rows } = await withTenant(pool, tenantId, (client) => client.query<{ events_added: number }>("SELECT events_added FROM scans WHERE id = $1", [scan.scanId]));
  return { tenantId, created, eventsAdded: rows[0]?.events_added ?? 0 };
}
