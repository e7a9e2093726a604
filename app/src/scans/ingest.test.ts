import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/database.js";
import type { EventLogBatch, EventRecord, WorkItemRecord } from "../connectors/types.js";
import { withTenant } from "../platform/db/tenant.js";
import { ingestBatch } from "./ingest.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

interface Ref {
  tenantId: string;
  connectionId: string;
}

async function newConnection(): Promise<Ref> {
  const tenantId = randomUUID();
  await db.owner.query("INSERT INTO tenants (id, name) VALUES ($1, 'Ingest')", [tenantId]);
  const { rows } = await db.owner.query<{ id: string }>("INSERT INTO connections (tenant_id, provider, label) VALUES ($1, 'demo', 'board') RETURNING id", [tenantId]);
  return { tenantId, connectionId: rows[0]!.id };
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 5, 9, minute));

function item(key: string, labels: string[] = []): WorkItemRecord {
  return { externalId: key, container: "K", itemType: "Task", createdAt: at(0), closedAt: null, status: "To Do", priority: null, assignee: null, labels };
}

function statusChange(key: string, n: number): EventRecord {
  return { externalId: `${key}#${n}`, itemExternalId: key, occurredAt: at(n), actor: null, type: "status_changed", field: "status", from: "To Do", to: "In Progress" };
}

const ingest = (ref: Ref, batch: Partial<EventLogBatch>) =>
  withTenant(db.runtime, ref.tenantId, (client) => ingestBatch(client, ref, { actors: [], items: [], events: [], ...batch }));

const eventCount = async (ref: Ref) =>
  (await db.owner.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE connection_id = $1", [ref.connectionId])).rows[0]!.n;

describe("ingest", () => {
  it("stores labels exactly as the provider spelt them, whatever characters they hold", async () => {
    const ref = await newConnection();
    const labels = ['needs "review"', "back\\slash", "a,b", "{braces}", "NULL", "", "späť ✓"];
    await ingest(ref, { items: [item("K-1", labels), item("K-2")] });
    const { rows } = await db.owner.query<{ external_id: string; labels: string[] }>("SELECT external_id, labels FROM work_items WHERE connection_id = $1 ORDER BY external_id", [
      ref.connectionId,
    ]);
    expect(rows).toEqual([
      { external_id: "K-1", labels },
      { external_id: "K-2", labels: [] },
    ]);
  });

  it("stores each event with its own item, actor and time, to the millisecond", async () => {
    const ref = await newConnection();
    const actors = [
      { externalId: "u-1", displayName: "Ada" },
      { externalId: "u-2", displayName: "Grace" },
    ];
    const times = [new Date("2026-03-01T10:15:30.123Z"), new Date("1969-12-31T23:59:59.999Z"), new Date("2026-03-01T10:15:30.124Z")];
    const events: EventRecord[] = [
      { ...statusChange("K-2", 1), occurredAt: times[0]!, actor: "u-2" },
      { ...statusChange("K-1", 2), occurredAt: times[1]!, actor: null },
      { ...statusChange("K-2", 3), occurredAt: times[2]!, actor: "u-1" },
    ];
    await ingest(ref, { actors, items: [item("K-1"), item("K-2")], events });
    const { rows } = await db.owner.query<{ external_id: string; item: string; actor: string | null; occurred_at: Date }>(
      `SELECT e.external_id, w.external_id AS item, a.external_id AS actor, e.occurred_at
         FROM events e JOIN work_items w ON w.id = e.work_item_id LEFT JOIN actors a ON a.id = e.actor_id
        WHERE e.connection_id = $1 ORDER BY e.external_id`,
      [ref.connectionId],
    );
    expect(rows).toEqual([
      { external_id: "K-1#2", item: "K-1", actor: null, occurred_at: times[1] },
      { external_id: "K-2#1", item: "K-2", actor: "u-2", occurred_at: times[0] },
      { external_id: "K-2#3", item: "K-2", actor: "u-1", occurred_at: times[2] },
    ]);
  });

  it("links a later page's events to items stored by an earlier page, and adds nothing when a page is replayed", async () => {
    const ref = await newConnection();
    await ingest(ref, { items: [item("K-1")] });
    const page = { events: [statusChange("K-1", 1), statusChange("K-1", 2), statusChange("K-404", 1)] };
    expect((await ingest(ref, page)).eventsAdded).toBe(2);
    expect((await ingest(ref, page)).eventsAdded).toBe(0);
    const { rows } = await db.owner.query<{ linked: number }>(
      "SELECT count(*)::int AS linked FROM events e JOIN work_items w ON w.id = e.work_item_id AND w.connection_id = e.connection_id WHERE e.connection_id = $1",
      [ref.connectionId],
    );
    expect(rows[0]!.linked).toBe(2);
  });

  it("holds the items it links events to until it commits, so no event is left without its item", async () => {
    const ref = await newConnection();
    await ingest(ref, { items: [item("K-1")] });
    const client = await db.runtime.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT set_config('app.tenant_id', $1, true)", [ref.tenantId]);
      await ingestBatch(client, ref, { actors: [], items: [], events: [statusChange("K-1", 1)] });
      // A delete of the item while the page is open waits for it, as a foreign key would make it.
      const deleter = await db.owner.connect();
      try {
        await deleter.query("BEGIN");
        await deleter.query("SET LOCAL lock_timeout = '200ms'");
        await expect(deleter.query("DELETE FROM work_items WHERE connection_id = $1", [ref.connectionId])).rejects.toThrow(/lock timeout/);
        await deleter.query("ROLLBACK");
      } finally {
        deleter.release();
      }
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    expect(await eventCount(ref)).toBe(1);
  });

  it("deletes an item's events with the item, whoever deletes it and however", async () => {
    const byRuntime = await newConnection();
    await ingest(byRuntime, { items: [item("K-1"), item("K-2")], events: [statusChange("K-1", 1), statusChange("K-2", 1), statusChange("K-2", 2)] });
    await withTenant(db.runtime, byRuntime.tenantId, (client) => client.query("DELETE FROM work_items WHERE external_id = 'K-2'"));
    const { rows } = await db.owner.query<{ external_id: string }>("SELECT external_id FROM events WHERE connection_id = $1", [byRuntime.connectionId]);
    expect(rows.map((row) => row.external_id)).toEqual(["K-1#1"]);

    // Removing the connection cascades to its items, and from them to the events.
    const cascaded = await newConnection();
    await ingest(cascaded, { items: [item("K-1")], events: [statusChange("K-1", 1)] });
    await db.owner.query("DELETE FROM connections WHERE id = $1", [cascaded.connectionId]);
    expect(await eventCount(cascaded)).toBe(0);
    expect(await eventCount(byRuntime)).toBe(1);
  });
});
