import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, Provider } from "../../app/src/connectors/connector.js";
import { demoConnector } from "../../app/src/connectors/demo/connector.js";
import { generateDemoLog } from "../../app/src/connectors/demo/generate.js";
import { HttpStatusError } from "../../app/src/connectors/http/client.js";
import { withTenant } from "../../app/src/platform/db/tenant.js";
import { generateVaultKey, Vault } from "../../app/src/platform/vault.js";
import { requestScan, requeueStalledScans, scheduleDueScans, STALLED_AFTER_MINUTES } from "../../app/src/scans/enqueue.js";
import { ScanQueues, startScanWorkers, type QueueOptions, type ScanWorkers } from "../../app/src/scans/queue.js";
import { runScan } from "../../app/src/scans/runner.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { seedTenantGraph, type TenantGraph } from "../support/fixtures.js";
import { REDIS_URL } from "../support/services.js";

const DEMO_SETTINGS = { seed: 7, days: 30, start: "2026-10-01T00:00:00.000Z" };
const expected = generateDemoLog({ seed: 7, days: 30, start: new Date(DEMO_SETTINGS.start) });

/** A connector that yields one demo page, then fails the way a revoked token does. */
const revokedConnector: Connector = {
  ...demoConnector,
  provider: "github",
  async *scan(stream, cursor, context) {
    for await (const page of demoConnector.scan(stream, cursor, context)) {
      yield page;
      throw new HttpStatusError(401, "GET", "/repos/o/r/issues", new Headers(), { message: "Bad credentials" });
    }
  },
};

let db: TestDatabase;
let tenant: TenantGraph;
let queues: ScanQueues;
let workers: ScanWorkers;
const vault = Vault.fromSpec(`k1:${generateVaultKey()}`);
const connectors = new Map<Provider, Connector>([
  ["demo", demoConnector],
  ["github", revokedConnector],
]);
const options: QueueOptions = { redisUrl: REDIS_URL, prefix: `test-${randomBytes(4).toString("hex")}`, lockDurationMs: 5_000, log: pino({ level: "silent" }) };

beforeAll(async () => {
  db = await createTestDatabase();
  tenant = await seedTenantGraph(db.owner, "Engine");
  queues = new ScanQueues(options);
  const deps = { pool: db.runtime, vault, log: pino({ level: "silent" }), connectors, extraHosts: [] };
  workers = startScanWorkers(options, ["demo", "github"], async (job, signal) => {
    await runScan(deps, job, signal);
  });
});

afterAll(async () => {
  await workers.close();
  await queues.close();
  await db.drop();
});

async function newConnection(provider: Provider): Promise<string> {
  const { rows } = await db.owner.query<{ id: string }>(
    "INSERT INTO connections (tenant_id, provider, label, config) VALUES ($1, $2, 'engine test', $3) RETURNING id",
    [tenant.tenantId, provider, JSON.stringify(DEMO_SETTINGS)],
  );
  return rows[0]!.id;
}

/** A bound on a scan's life, not a speed target: on a loaded machine a queued job may wait for a worker a while. */
const SCAN_ENDS_WITHIN_MS = 45_000;

async function scanEnded(scanId: string, timeoutMs = SCAN_ENDS_WITHIN_MS): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.owner.query("SELECT * FROM scans WHERE id = $1", [scanId]);
    const scan = rows[0] as Record<string, unknown> | undefined;
    if (scan && !["queued", "running"].includes(scan.status as string)) return scan;
    if (Date.now() > deadline) throw new Error(`scan ${scanId} still ${String(scan?.status)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const eventCount = async (connectionId: string) =>
  (await db.owner.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE connection_id = $1", [connectionId])).rows[0]!.n;

describe("scan engine", { timeout: SCAN_ENDS_WITHIN_MS + 15_000 }, () => {
  it("runs a requested scan on a worker: every page ingested with its cursor, and the scan recorded", async () => {
    const connectionId = await newConnection("demo");
    const { scanId, created } = await requestScan(db.runtime, queues, { tenantId: tenant.tenantId, connectionId }, "manual");
    expect(created).toBe(true);
    const scan = await scanEnded(scanId);
    expect(scan).toMatchObject({
      status: "succeeded",
      trigger: "manual",
      pages_done: Math.ceil(expected.items.length / 200),
      items_seen: expected.items.length,
      events_added: expected.events.length,
      error_code: null,
    });
    expect(scan.started_at).toBeInstanceOf(Date);
    expect(scan.finished_at).toBeInstanceOf(Date);
    expect(scan.cursor_after).toEqual({ log: { itemsDone: expected.items.length } });
    expect(await eventCount(connectionId)).toBe(expected.events.length);

    const again = await requestScan(db.runtime, queues, { tenantId: tenant.tenantId, connectionId }, "manual");
    expect(await scanEnded(again.scanId)).toMatchObject({ status: "succeeded", pages_done: 0, events_added: 0 });
    expect(await eventCount(connectionId)).toBe(expected.events.length);
  });

  it("joins a second request for the same connection to the scan already queued", async () => {
    const connectionId = await newConnection("demo");
    const ref = { tenantId: tenant.tenantId, connectionId };
    const [first, second] = await Promise.all([requestScan(db.runtime, queues, ref, "manual"), requestScan(db.runtime, queues, ref, "manual")]);
    expect(second.scanId).toBe(first.scanId);
    expect([first.created, second.created].filter(Boolean)).toHaveLength(1);
    await scanEnded(first.scanId);
  });

  it("ends a scan whose token was revoked as partial, keeps what it ingested, and marks the connection for reconnect", async () => {
    const connectionId = await newConnection("github");
    const { scanId } = await requestScan(db.runtime, queues, { tenantId: tenant.tenantId, connectionId }, "manual");
    const scan = await scanEnded(scanId);
    expect(scan).toMatchObject({ status: "partial", pages_done: 1, error_code: "needs_reconnect" });
    expect(String(scan.error_message)).not.toMatch(/Bad credentials|\/repos/);
    expect(await eventCount(connectionId)).toBeGreaterThan(0);
    const { rows } = await db.owner.query("SELECT status FROM connections WHERE id = $1", [connectionId]);
    expect(rows[0]).toEqual({ status: "needs_reconnect" });
    await expect(requestScan(db.runtime, queues, { tenantId: tenant.tenantId, connectionId }, "manual")).rejects.toThrow(/needs reconnect/);
  });

  it("schedules due connections once, with the next scan an interval plus jitter later", async () => {
    const connectionId = await newConnection("demo");
    await db.owner.query("UPDATE connections SET next_scan_at = now() + interval '1 day' WHERE id <> $1", [connectionId]);
    expect(await scheduleDueScans(db.runtime, queues, () => 0.5)).toBe(1);
    const { rows } = await db.owner.query<{ minutes: number }>(
      "SELECT (extract(epoch FROM next_scan_at - now()) / 60)::float8 AS minutes FROM connections WHERE id = $1",
      [connectionId],
    );
    expect(rows[0]!.minutes).toBeGreaterThan(60);
    expect(rows[0]!.minutes).toBeLessThanOrEqual(66);
    expect(await scheduleDueScans(db.runtime, queues)).toBe(0);
    const scans = await db.owner.query<{ id: string; trigger: string }>("SELECT id, trigger FROM scans WHERE connection_id = $1", [connectionId]);
    expect(scans.rows.map((row) => row.trigger)).toEqual(["schedule"]);
    await scanEnded(scans.rows[0]!.id);
  });

  it("hands a scan the queue lost back to the queue, and only once it has been quiet a while", async () => {
    const connectionId = await newConnection("demo");
    const { rows } = await db.owner.query<{ id: string }>(
      "INSERT INTO scans (tenant_id, connection_id, status, trigger) VALUES ($1, $2, 'queued', 'manual') RETURNING id",
      [tenant.tenantId, connectionId],
    );
    const scanId = rows[0]!.id;
    expect(await requeueStalledScans(db.runtime, queues)).toBe(0);
    await db.owner.query("UPDATE scans SET progressed_at = now() - make_interval(mins => $2 + 1) WHERE id = $1", [scanId, STALLED_AFTER_MINUTES]);
    expect(await requeueStalledScans(db.runtime, queues)).toBe(1);
    expect(await scanEnded(scanId)).toMatchObject({ status: "succeeded", events_added: expected.events.length });
  });

  it("ends a scan of a connection with unusable settings with the settings problem, in words", async () => {
    const connectionId = await newConnection("demo");
    await db.owner.query("UPDATE connections SET config = '{\"days\": 9999}' WHERE id = $1", [connectionId]);
    const { scanId } = await requestScan(db.runtime, queues, { tenantId: tenant.tenantId, connectionId }, "manual");
    expect(await scanEnded(scanId)).toMatchObject({ status: "failed", error_code: "invalid_settings", error_message: "The demo period must be 1 to 365 days." });
  });

  it("refuses to scan a disconnected connection", async () => {
    const connectionId = await newConnection("demo");
    await withTenant(db.runtime, tenant.tenantId, (client) => client.query("UPDATE connections SET status = 'disconnected' WHERE id = $1", [connectionId]));
    await expect(requestScan(db.runtime, queues, { tenantId: tenant.tenantId, connectionId }, "manual")).rejects.toThrow(/disconnected/);
  });
});
