import { randomBytes, randomUUID } from "node:crypto";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../app/src/platform/log.js";
import { generateVaultKey, Vault } from "../../app/src/platform/vault.js";
import { requestScan } from "../../app/src/scans/enqueue.js";
import { registerQueueDepth } from "../../app/src/scans/queue-metrics.js";
import { ScanQueues, startScanWorkers, type QueueOptions, type ScanWorkers } from "../../app/src/scans/queue.js";
import { CONNECTORS } from "../../app/src/scans/registry.js";
import { scanJobHandler } from "../../app/src/scans/scan-job.js";
import { scanMetrics } from "../../app/src/scans/scan-metrics.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { seedTenantGraph, type TenantGraph } from "../support/fixtures.js";
import { samplesOf, valueOf } from "../support/metrics.js";
import { LOCAL_FAKE_HOSTS, REDIS_URL } from "../support/services.js";
import { LogCapture } from "../support/web.js";

const silent = pino({ level: "silent" });
const queueOptions = (redisUrl = REDIS_URL): QueueOptions => ({ redisUrl, prefix: `test-${randomBytes(4).toString("hex")}`, lockDurationMs: 5_000, log: silent });

/** Polls the registry until `check` passes on its exposition, so metrics recorded after a job's last write are seen. */
async function eventually(registry: Registry, check: (text: string) => void, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await registry.metrics();
    try {
      check(text);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("scan job metrics", () => {
  let db: TestDatabase;
  let tenant: TenantGraph;
  let queues: ScanQueues;
  let workers: ScanWorkers;
  const registry = new Registry();
  const logs = new LogCapture();

  beforeAll(async () => {
    db = await createTestDatabase();
    tenant = await seedTenantGraph(db.owner, "Metered");
    const options = queueOptions();
    queues = new ScanQueues(options);
    const deps = { pool: db.runtime, vault: Vault.fromSpec(`k1:${generateVaultKey()}`), log: createLogger({ level: "info", destination: logs }), connectors: CONNECTORS, extraHosts: LOCAL_FAKE_HOSTS };
    workers = startScanWorkers(options, ["demo"], scanJobHandler(deps, scanMetrics(registry)));
  });

  afterAll(async () => {
    await workers.close();
    await queues.close();
    await db.drop();
  });

  it("counts a scan run through the worker by provider and outcome, and times it", async () => {
    const { rows } = await db.owner.query<{ id: string }>(
      "INSERT INTO connections (tenant_id, provider, label, config) VALUES ($1, 'demo', 'metered', $2) RETURNING id",
      [tenant.tenantId, JSON.stringify({ seed: 3, days: 10, start: "2026-10-01T00:00:00.000Z" })],
    );
    await requestScan(db.runtime, queues, { tenantId: tenant.tenantId, connectionId: rows[0]!.id }, "manual");
    await eventually(registry, (text) => {
      expect(valueOf(text, "twinflow_scan_runs_total", { provider: "demo", outcome: "succeeded" })).toBe(1);
    });
    const text = await registry.metrics();
    expect(valueOf(text, "twinflow_scan_duration_seconds_count", { provider: "demo" })).toBe(1);
    expect(valueOf(text, "twinflow_scan_duration_seconds_sum", { provider: "demo" })).toBeGreaterThan(0);
    expect(samplesOf(text, "twinflow_scan_runs_total").map((sample) => Object.keys(sample.labels).sort())).toEqual([["outcome", "provider"]]);
  });

  it("counts a job that throws as an error, and logs it once", async () => {
    // A scan id that is no uuid makes recording the scan's end fail in the database.
    await queues.enqueue("demo", { tenantId: tenant.tenantId, connectionId: randomUUID(), scanId: "not-a-scan-id" });
    await eventually(registry, (text) => {
      expect(valueOf(text, "twinflow_scan_runs_total", { provider: "demo", outcome: "error" })).toBe(1);
    });
    const failures = logs.lines().filter((line) => line.msg === "scan job failed");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 50, provider: "demo", scanId: "not-a-scan-id", err: { type: "DatabaseError" } });
  });
});

describe("queue depth", () => {
  it("reports each scan queue's jobs by state when scraped", async () => {
    const queues = new ScanQueues(queueOptions());
    const registry = new Registry();
    registerQueueDepth(registry, queues, ["demo", "github"], silent);
    try {
      await queues.enqueue("demo", { tenantId: randomUUID(), connectionId: randomUUID(), scanId: randomUUID() });
      const text = await registry.metrics();
      expect(valueOf(text, "twinflow_queue_jobs", { queue: "scans-demo", state: "waiting" })).toBe(1);
      for (const state of ["active", "delayed", "failed"]) expect(valueOf(text, "twinflow_queue_jobs", { queue: "scans-demo", state })).toBe(0);
      expect(valueOf(text, "twinflow_queue_jobs", { queue: "scans-github", state: "waiting" })).toBe(0);

      await queues.enqueue("demo", { tenantId: randomUUID(), connectionId: randomUUID(), scanId: randomUUID() });
      expect(valueOf(await registry.metrics(), "twinflow_queue_jobs", { queue: "scans-demo", state: "waiting" })).toBe(2);
    } finally {
      await queues.close();
    }
  });

  it("leaves the gauge out, without holding up the scrape, while Redis does not answer", async () => {
    const logs = new LogCapture();
    const queues = new ScanQueues(queueOptions("redis://127.0.0.1:1"));
    const registry = new Registry();
    registerQueueDepth(registry, queues, ["demo"], createLogger({ level: "info", destination: logs }));
    try {
      for (let scrape = 0; scrape < 2; scrape += 1) expect(samplesOf(await registry.metrics(), "twinflow_queue_jobs")).toEqual([]);
      expect(logs.lines().filter((line) => line.msg === "queue depth could not be read; /metrics leaves it out until Redis answers")).toHaveLength(1);
    } finally {
      await queues.close();
    }
  });
});
