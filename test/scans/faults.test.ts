import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../../app/src/connectors/connections.js";
import { withTenant } from "../../app/src/platform/db/tenant.js";
import { createLogger } from "../../app/src/platform/log.js";
import { generateVaultKey, Vault } from "../../app/src/platform/vault.js";
import { CONNECTORS } from "../../app/src/scans/registry.js";
import { runScan } from "../../app/src/scans/runner.js";
import { queueScan } from "../../app/src/scans/scan-records.js";
import { startFakeGitHub, FAKE_GITHUB_TOKEN, type FakeGitHub } from "../fakes/github.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { seedTenantGraph, type TenantGraph } from "../support/fixtures.js";
import { LOCAL_FAKE_HOSTS } from "../support/services.js";
import { LogCapture } from "../support/web.js";

let db: TestDatabase;
let tenant: TenantGraph;
let github: FakeGitHub;
const vault = Vault.fromSpec(`k1:${generateVaultKey()}`);
const logs = new LogCapture();
const deps = () => ({
  pool: db.runtime,
  vault,
  log: createLogger({ level: "info", destination: logs }),
  connectors: CONNECTORS,
  extraHosts: LOCAL_FAKE_HOSTS,
  retryPolicy: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxProviderWaitMs: 5_000 },
});

beforeAll(async () => {
  db = await createTestDatabase();
  tenant = await seedTenantGraph(db.owner, "Faults");
  github = await startFakeGitHub({ pageSize: 10 });
});

afterAll(async () => {
  await github.close();
  await db.drop();
});

async function scanOnce(scanDeps = deps()): Promise<{ connectionId: string; scan: Record<string, unknown> }> {
  const principal = { tenantId: tenant.tenantId, userId: tenant.userId, role: "owner" as const, sessionId: null };
  const job = await withTenant(db.runtime, tenant.tenantId, async (client) => {
    const connectionId = await createConnection(client, vault, principal, {
      provider: "github",
      label: `faults ${randomUUID()}`,
      settings: { repositories: ["panjf2000/ants"], apiBaseUrl: github.url },
      credentials: { token: FAKE_GITHUB_TOKEN },
      backfillDays: 3650,
    });
    const { scanId } = await queueScan(client, { tenantId: tenant.tenantId, connectionId }, "manual");
    return { tenantId: tenant.tenantId, connectionId, scanId };
  });
  await runScan(scanDeps, job, new AbortController().signal);
  const { rows } = await db.owner.query("SELECT * FROM scans WHERE id = $1", [job.scanId]);
  return { connectionId: job.connectionId, scan: rows[0] as Record<string, unknown> };
}

describe("scans under provider faults", () => {
  it("sends nothing to a host the operator no longer allows, and says why", async () => {
    const before = github.requests.length;
    const { scan } = await scanOnce({ ...deps(), extraHosts: [] });
    expect(scan).toMatchObject({ status: "failed", error_code: "host_not_allowed" });
    expect(scan.error_message).toContain("CONNECTOR_EXTRA_HOSTS");
    expect(github.requests).toHaveLength(before);
  });

  it("waits as a 429's Retry-After says, then finishes", async () => {
    let limited = false;
    github.setFault(() => {
      if (limited) return undefined;
      limited = true;
      return { status: 429, headers: { "retry-after": "1" }, body: { message: "slow down" } };
    });
    const started = Date.now();
    const { scan } = await scanOnce();
    github.setFault(null);
    expect(scan.status).toBe("succeeded");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(Number(scan.requests_made)).toBeGreaterThanOrEqual(3);
  });

  it("rides out passing 5xx answers and a truncated body", async () => {
    const faults = [{ status: 502 }, { status: 503 }];
    let truncated = false;
    github.setFault((request) => {
      if (faults.length > 0) return faults.shift();
      if (!truncated && request.path.endsWith("/issues/events")) {
        truncated = true;
        return { status: 200, raw: '[{"id": 1, "event":' };
      }
      return undefined;
    });
    const { scan } = await scanOnce();
    github.setFault(null);
    expect(scan.status).toBe("succeeded");
  });

  it("ends with a clear, scrubbed reason when the provider keeps failing, keeping what it ingested", async () => {
    github.setFault((request) => (request.path.endsWith("/issues/events") ? { status: 500, body: { message: `internal ${FAKE_GITHUB_TOKEN}` } } : undefined));
    const { scan, connectionId } = await scanOnce();
    github.setFault(null);
    expect(scan).toMatchObject({ status: "partial", error_code: "provider_unavailable" });
    expect(String(scan.error_message)).not.toMatch(/token|ghp_|\?/i);
    const { rows } = await db.owner.query<{ n: number }>("SELECT count(*)::int AS n FROM work_items WHERE connection_id = $1", [connectionId]);
    expect(rows[0]!.n).toBeGreaterThan(0);
  });

  it("marks the connection for reconnect on a refused token, without retrying it", async () => {
    const before = github.requests.length;
    github.setFault(() => ({ status: 401, body: { message: "Bad credentials" } }));
    const { scan, connectionId } = await scanOnce();
    github.setFault(null);
    expect(scan).toMatchObject({ status: "failed", error_code: "needs_reconnect" });
    expect(github.requests.length - before).toBe(1);
    const { rows } = await db.owner.query("SELECT status FROM connections WHERE id = $1", [connectionId]);
    expect(rows[0]).toEqual({ status: "needs_reconnect" });
    expect(logs.text).not.toContain(FAKE_GITHUB_TOKEN);
  });
});
