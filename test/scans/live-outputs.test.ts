/**
 * The worker keeps each connection's analysis between scans and reads only the items a scan
 * changed. Every output it stores must be the one a full read of the connection's log gives,
 * and anything the kept analysis cannot follow (deleted items, new settings, a new project)
 * must send it back to the full read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import type { ActorRecord, EventLogBatch, EventRecord, WorkItemRecord } from "../../app/src/connectors/types.js";
import type { PoolClient } from "../../app/src/platform/db/pool.js";
import { withTenant } from "../../app/src/platform/db/tenant.js";
import { ingestBatch } from "../../app/src/scans/ingest.js";
import { LiveOutputs, refreshScanOutput } from "../../app/src/scans/scan-output-store.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { seedConnection, type ConnectionRef } from "../support/fixtures.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

const newConnection = (): Promise<ConnectionRef> => seedConnection(db.owner, "Live outputs");

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 2, 9);
const at = (hours: number) => new Date(T0 + hours * HOUR);

const PEOPLE: ActorRecord[] = ["ana", "bo", "cy"].map((name) => ({ externalId: name, displayName: name }));
const FLOW = ["To Do", "In Progress", "In Review", "In Progress", "Done"];

function item(key: string, container: string, created: number, status: string): WorkItemRecord {
  return { externalId: key, container, itemType: "Task", createdAt: at(created), closedAt: null, status, priority: "Medium", assignee: null, labels: [] };
}

/** Moves `key` through FLOW from step `from` to step `to` (indexes), one change every five hours after `start`. */
function moves(key: string, start: number, from: number, to: number): EventRecord[] {
  const events: EventRecord[] = [];
  for (let step = from; step < to; step += 1) {
    const when = at(start + 5 * (step - from + 1));
    events.push({ externalId: `${key}#s${step}`, itemExternalId: key, occurredAt: when, actor: null, type: "status_changed", field: "status", from: FLOW[step]!, to: FLOW[step + 1]! });
    const person = PEOPLE[(key.length + step) % PEOPLE.length]!.externalId;
    events.push({ externalId: `${key}#a${step}`, itemExternalId: key, occurredAt: when, actor: person, type: "assigned", field: "assignee", from: null, to: person });
  }
  return events;
}

const ingest = (ref: ConnectionRef, batch: Partial<EventLogBatch>) =>
  withTenant(db.runtime, ref.tenantId, (client) => ingestBatch(client, ref, { actors: PEOPLE, items: [], events: [], ...batch }));

/** The SQL a refresh sent, so a test can tell a full read from a read of the changed items. */
function recording(client: PoolClient, statements: string[]): PoolClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== "query") return Reflect.get(target, property, receiver);
      return (query: string | { text: string }, ...rest: unknown[]) => {
        statements.push(typeof query === "string" ? query : query.text);
        return (target.query as (...args: unknown[]) => unknown)(query, ...rest);
      };
    },
  });
}

/** A refresh, as the worker runs it: what it stored and how it read the log. */
async function refresh(ref: ConnectionRef, now: Date, live?: LiveOutputs): Promise<{ output: ScanOutput; fullRead: boolean }> {
  const statements: string[] = [];
  const { output, read } = await withTenant(db.runtime, ref.tenantId, (client) => refreshScanOutput(recording(client, statements), ref, null, now, live), "snapshot-write");
  const fullRead = statements.some((sql) => sql.startsWith("DECLARE analysis_events"));
  expect(read).toBe(fullRead ? "whole log" : "changed items");
  return { output, fullRead };
}

/** The output a full read gives now, in a transaction rolled back, so it stores nothing and the versions stay as they are. */
async function fullOutput(ref: ConnectionRef, now: Date): Promise<ScanOutput> {
  const client = await db.runtime.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
    await client.query("SELECT set_config('app.tenant_id', $1, true)", [ref.tenantId]);
    return (await refreshScanOutput(client, ref, null, now)).output;
  } finally {
    await client.query("ROLLBACK");
    client.release();
  }
}

async function outputsStored(ref: ConnectionRef): Promise<{ scope: string; output: ScanOutput }[]> {
  const { rows } = await db.owner.query<{ scope: string; output: ScanOutput }>("SELECT scope, output FROM scan_outputs WHERE connection_id = $1 ORDER BY computed_at, scope", [
    ref.connectionId,
  ]);
  return rows;
}

describe("analyses kept between scans", () => {
  it("reads only the changed items after the first scan, and stores what a full read would give, drift included", async () => {
    const ref = await newConnection();
    const live = new LiveOutputs();
    const keys = Array.from({ length: 12 }, (_, n) => `K-${n + 1}`);
    await ingest(ref, {
      items: keys.map((key, n) => item(key, n % 3 === 0 ? "SUP" : "ENG", n, n % 2 === 0 ? "Done" : "In Review")),
      events: keys.flatMap((key, n) => moves(key, n, 0, n % 2 === 0 ? 4 : 2)),
    });
    const first = await refresh(ref, at(100), live);
    expect(first.fullRead).toBe(true);
    expect(live.size).toBe(1);

    // The next scan moves two items on, reopens a done one, and brings a new item.
    await ingest(ref, {
      items: [item("K-2", "ENG", 1, "Done"), item("K-4", "SUP", 3, "Done"), item("K-1", "SUP", 0, "In Progress"), item("K-13", "ENG", 90, "In Progress")],
      events: [
        ...moves("K-2", 100, 2, 4),
        ...moves("K-4", 101, 2, 4),
        { externalId: "K-1#reopen", itemExternalId: "K-1", occurredAt: at(110), actor: "bo", type: "status_changed", field: "status", from: "Done", to: "In Progress" },
        ...moves("K-13", 90, 0, 1),
      ],
    });
    const expected = await fullOutput(ref, at(120));
    const second = await refresh(ref, at(120), live);
    expect(second.fullRead).toBe(false);
    expect(second.output).toEqual(expected);
    expect(second.output.drift).not.toBeNull();
    expect(second.output.sample).toMatchObject({ items: 13, events: expected.sample.events });
    expect(second.output.rework.itemsReopened).toBe(1);

    // Each project's output is kept up to date too.
    const stored = await outputsStored(ref);
    expect(stored.map((row) => row.scope).filter((scope) => scope.includes("/container:"))).toHaveLength(4);
    const latestSupport = stored.filter((row) => row.scope.endsWith("/container:SUP")).at(-1)!.output;
    expect(latestSupport.sample.items).toBe(4);
    expect(latestSupport.rework.itemsReopened).toBe(1);
  });

  it("reads the whole log again after items were deleted, after the settings changed, and when a new project appears", async () => {
    const ref = await newConnection();
    const live = new LiveOutputs();
    const keys = Array.from({ length: 6 }, (_, n) => `D-${n + 1}`);
    await ingest(ref, { items: keys.map((key, n) => item(key, "ENG", n, "Done")), events: keys.flatMap((key, n) => moves(key, n, 0, 4)) });
    expect((await refresh(ref, at(50), live)).fullRead).toBe(true);
    expect((await refresh(ref, at(51), live)).fullRead).toBe(false);

    await db.owner.query("DELETE FROM work_items WHERE connection_id = $1 AND external_id = 'D-3'", [ref.connectionId]);
    const afterDelete = await refresh(ref, at(52), live);
    expect(afterDelete.fullRead).toBe(true);
    expect(afterDelete.output.sample.items).toBe(5);

    await db.owner.query(`UPDATE connections SET step_classes = '{"In Review": {"category": "waiting", "waitClass": "external_wait"}}' WHERE id = $1`, [ref.connectionId]);
    const reclassified = await refresh(ref, at(53), live);
    expect(reclassified.fullRead).toBe(true);
    expect(reclassified.output.steps.find((step) => step.step === "In Review")?.class?.waitClass).toBe("external_wait");

    await ingest(ref, { items: [item("D-7", "OPS", 40, "In Progress")], events: moves("D-7", 40, 0, 1) });
    const expected = await fullOutput(ref, at(54));
    const newProject = await refresh(ref, at(54), live);
    expect(newProject.fullRead).toBe(true);
    expect(newProject.output).toEqual(expected);
    expect((await outputsStored(ref)).some((row) => row.scope.endsWith("/container:OPS"))).toBe(true);
    expect((await refresh(ref, at(55), live)).fullRead).toBe(false);
  });

  it("reads the whole log again when a change is dated after the moment of the output", async () => {
    const ref = await newConnection();
    const live = new LiveOutputs();
    await ingest(ref, { items: [item("F-1", "ENG", 0, "In Review")], events: moves("F-1", 0, 0, 2) });
    expect((await refresh(ref, at(30), live)).fullRead).toBe(true);
    // A provider's clock ahead of ours: the change is "from the future" at the time of the next output.
    await ingest(ref, { items: [item("F-1", "ENG", 0, "Done")], events: moves("F-1", 40, 2, 4) });
    const expected = await fullOutput(ref, at(31));
    const skewed = await refresh(ref, at(31), live);
    expect(skewed.fullRead).toBe(true);
    expect(skewed.output).toEqual(expected);
  });

  it("keeps analyses within its budget of stays, dropping the one used longest ago", async () => {
    const live = new LiveOutputs(40);
    const refs = [await newConnection(), await newConnection(), await newConnection()];
    for (const [n, ref] of refs.entries()) {
      await ingest(ref, { items: [item(`B${n}-1`, "ENG", 0, "Done"), item(`B${n}-2`, "ENG", 1, "Done")], events: [...moves(`B${n}-1`, 0, 0, 4), ...moves(`B${n}-2`, 1, 0, 4)] });
      await refresh(ref, at(50), live);
    }
    // Ten stays each: all three fit in forty, two in twenty-five.
    expect(live.size).toBe(3);
    const budget = new LiveOutputs(25);
    for (const ref of refs) await refresh(ref, at(60), budget);
    expect(budget.size).toBe(2);
    expect((await refresh(refs[0]!, at(61), budget)).fullRead).toBe(true);
    expect((await refresh(refs[2]!, at(61), budget)).fullRead).toBe(false);
  });
});
