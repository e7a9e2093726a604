import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { demoConnector } from "../../app/src/connectors/demo/connector.js";
import { withTenant } from "../../app/src/platform/db/tenant.js";
import { generateVaultKey, Vault } from "../../app/src/platform/vault.js";
import { scanAndAnalyze } from "../../app/src/scans/scan-job.js";
import { connectionScope, containerScope } from "../../app/src/scans/scan-output-store.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { seedTenantGraph, type TenantGraph } from "../support/fixtures.js";

const DEMO_SETTINGS = { seed: 11, days: 45, start: "2026-09-01T00:00:00.000Z" };
const NOW = new Date("2026-10-20T12:00:00.000Z");

let db: TestDatabase;
let tenant: TenantGraph;
let other: TenantGraph;
const deps = (now: Date) => ({
  pool: db.runtime,
  vault: Vault.fromSpec(`k1:${generateVaultKey()}`),
  log: pino({ level: "silent" }),
  connectors: new Map([[demoConnector.provider, demoConnector]]),
  extraHosts: [],
  now: () => now,
});

beforeAll(async () => {
  db = await createTestDatabase();
  tenant = await seedTenantGraph(db.owner, "Outputs");
  other = await seedTenantGraph(db.owner, "Neighbour");
});

afterAll(async () => {
  await db.drop();
});

/** A demo connection of the tenant, with the analysis settings given (stored as the forms would store them). */
async function demoConnection(settings: { step_classes?: unknown; calendar?: unknown } = {}): Promise<string> {
  const { rows } = await db.owner.query<{ id: string }>(
    "INSERT INTO connections (tenant_id, provider, label, config, step_classes, calendar) VALUES ($1, 'demo', 'demo board', $2, $3, $4) RETURNING id",
    [tenant.tenantId, JSON.stringify(DEMO_SETTINGS), JSON.stringify(settings.step_classes ?? {}), settings.calendar === undefined ? null : JSON.stringify(settings.calendar)],
  );
  return rows[0]!.id;
}

async function scanOnce(connectionId: string, now = NOW): Promise<string> {
  const scanId = randomUUID();
  await db.owner.query("INSERT INTO scans (id, tenant_id, connection_id, status) VALUES ($1, $2, $3, 'queued')", [scanId, tenant.tenantId, connectionId]);
  await scanAndAnalyze(deps(now), { tenantId: tenant.tenantId, connectionId, scanId }, new AbortController().signal);
  return scanId;
}

async function outputsOf(connectionId: string, scope = connectionScope(connectionId)) {
  const { rows } = await db.owner.query<{ scan_id: string; scope: string; output: ScanOutput }>(
    "SELECT scan_id, scope, output FROM scan_outputs WHERE connection_id = $1 AND scope = $2 ORDER BY computed_at",
    [connectionId, scope],
  );
  return rows;
}

describe("the analytics step after a scan", () => {
  it("stores the connection's scan output as a version of each scan, with drift against the one before", async () => {
    const connectionId = await demoConnection();
    const firstScan = await scanOnce(connectionId);

    const [first] = await outputsOf(connectionId);
    expect(first).toMatchObject({ scan_id: firstScan, scope: connectionScope(connectionId) });
    const output = first!.output;
    const stored = await db.owner.query<{ items: number; status_changes: number; items_changed: number; done: number }>(
      `SELECT (SELECT count(*)::int FROM work_items WHERE connection_id = $1) AS items,
              (SELECT count(*)::int FROM events WHERE connection_id = $1 AND type = 'status_changed') AS status_changes,
              (SELECT count(DISTINCT work_item_id)::int FROM events WHERE connection_id = $1 AND type = 'status_changed') AS items_changed,
              (SELECT count(*)::int FROM work_items WHERE connection_id = $1 AND status IN ('Done', 'Closed', 'Solved', 'Resolved')) AS done`,
      [connectionId],
    );
    const facts = stored.rows[0]!;
    expect(output.sample.items).toBe(facts.items);
    expect(output.sample.events).toBeGreaterThan(facts.status_changes);
    // Every status change is one transition out of the status before it.
    expect(output.processMap.transitions.reduce((sum, edge) => sum + edge.count, 0)).toBe(facts.status_changes);
    expect(output.processMap.steps.reduce((sum, step) => sum + step.starts, 0)).toBe(facts.items);
    expect(output.sample.completed).toBe(facts.done);
    expect(output.drift).toBeNull();
    expect(output.bottlenecks.headline.length).toBeGreaterThan(0);
    for (const finding of output.bottlenecks.headline) expect(["team_queue", "active_work"]).toContain(finding.waitClass);

    const secondScan = await scanOnce(connectionId, new Date(NOW.getTime() + 3_600_000));
    const versions = await outputsOf(connectionId);
    expect(versions.map((version) => version.scan_id)).toEqual([firstScan, secondScan]);
    expect(versions[1]!.output.drift).toMatchObject({ since: NOW.getTime(), newVariants: [], newLoops: [] });
  });

  it("keeps an output for each project or queue of a connection that reads several", async () => {
    const connectionId = await demoConnection();
    const scanId = await scanOnce(connectionId);
    const [whole] = await outputsOf(connectionId);
    const [support] = await outputsOf(connectionId, containerScope(connectionId, "SUP"));
    const [engineering] = await outputsOf(connectionId, containerScope(connectionId, "ENG"));
    expect(support).toMatchObject({ scan_id: scanId });
    expect(engineering).toMatchObject({ scan_id: scanId });
    const counts = await db.owner.query<{ container: string; n: number }>(
      "SELECT container, count(*)::int AS n FROM work_items WHERE connection_id = $1 GROUP BY container ORDER BY container",
      [connectionId],
    );
    expect(Object.fromEntries(counts.rows.map((row) => [row.container, row.n]))).toEqual({ ENG: engineering!.output.sample.items, SUP: support!.output.sample.items });
    expect(support!.output.sample.items + engineering!.output.sample.items).toBe(whole!.output.sample.items);
    const events = await db.owner.query<{ container: string; n: number }>(
      "SELECT w.container, count(*)::int AS n FROM events e JOIN work_items w ON w.id = e.work_item_id WHERE e.connection_id = $1 GROUP BY w.container",
      [connectionId],
    );
    expect(Object.fromEntries(events.rows.map((row) => [row.container, row.n]))).toEqual({ ENG: engineering!.output.sample.events, SUP: support!.output.sample.events });
    expect(support!.output.sample.events + engineering!.output.sample.events).toBe(whole!.output.sample.events);
    const stepsOf = (output: ScanOutput) => output.processMap.steps.map((step) => step.step);
    expect(stepsOf(support!.output)).toContain("Solved");
    expect(stepsOf(support!.output)).not.toContain("In Review");
    expect(stepsOf(engineering!.output)).toContain("In Review");
    expect(stepsOf(engineering!.output)).not.toContain("Solved");
  });

  it("applies the team's own step classes for the connection", async () => {
    const connectionId = await demoConnection({ step_classes: { "In Progress": { category: "waiting", waitClass: "external_wait" } } });
    await scanOnce(connectionId);
    const [version] = await outputsOf(connectionId);
    const inProgress = version!.output.steps.find((step) => step.step === "In Progress");
    expect(inProgress?.class).toEqual({ category: "waiting", waitClass: "external_wait", source: "override" });
    expect(version!.output.bottlenecks.headline.map((finding) => finding.step)).not.toContain("In Progress");
    expect(version!.output.bottlenecks.external.map((finding) => finding.step)).toContain("In Progress");
  });

  it("uses the connection's working calendar, and says so when it cannot be read", async () => {
    const calendar = { timeZone: "Europe/Amsterdam", workingDays: [1, 2, 3, 4], dayStart: "08:30", dayEnd: "16:30", holidays: ["2026-10-05"] };
    const valid = await demoConnection({ calendar });
    await scanOnce(valid);
    const [withCalendar] = await outputsOf(valid);
    expect(withCalendar!.output.calendar).toEqual(calendar);
    const { businessLeadMs, leadMs } = withCalendar!.output.cycleTime;
    expect(businessLeadMs.p50).toBeLessThan(leadMs.p50!);

    const broken = await demoConnection({ calendar: { ...calendar, timeZone: "Mars/Olympus_Mons" } });
    await scanOnce(broken);
    const [fallback] = await outputsOf(broken);
    expect(fallback!.output.calendar.timeZone).toBe("UTC");
    expect(fallback!.output.dataQuality.notes.join(" ")).toMatch(/working calendar could not be read.*Mars\/Olympus_Mons/);
  });

  it("keeps each tenant's scan outputs to itself", async () => {
    const visible = await withTenant(db.runtime, other.tenantId, (client) =>
      client.query("SELECT count(*)::int AS n FROM scan_outputs WHERE tenant_id = $1 OR connection_id IS NOT NULL", [tenant.tenantId]),
    );
    expect(visible.rows[0]).toEqual({ n: 0 });
    const own = await withTenant(db.runtime, tenant.tenantId, (client) => client.query<{ n: number }>("SELECT count(*)::int AS n FROM scan_outputs"));
    expect(own.rows[0]!.n).toBeGreaterThan(0);
  });
});
