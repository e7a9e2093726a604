import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/database.js";
import { seedConnection, type ConnectionRef } from "../../../test/support/fixtures.js";
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

type Ref = ConnectionRef;

const newConnection = (): Promise<Ref> => seedConnection(db.owner, "Ingest");

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

const connectionRevisions = async (ref: Ref) =>
  (
    await db.owner.query<{ data: number; itemsDeleted: number }>(
      `SELECT data_revision::int AS data, items_deleted_revision::int AS "itemsDeleted" FROM connections WHERE id = $1`,
      [ref.connectionId],
    )
  ).rows[0]!;

/** Each item's revision, by external id. */
const itemRevisions = async (ref: Ref) =>
  Object.fromEntries(
    (await db.owner.query<{ external_id: string; revision: number }>("SELECT external_id, revision::int AS revision FROM work_items WHERE connection_id = $1", [ref.connectionId])).rows.map(
      (row) => [row.external_id, row.revision],
    ),
  );

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

describe("ingest revisions", () => {
  it("raises the connection's data revision by one a page, and returns it", async () => {
    const ref = await newConnection();
    expect(await connectionRevisions(ref)).toEqual({ data: 0, itemsDeleted: 0 });
    expect((await ingest(ref, { items: [item("K-1")] })).revision).toBe(1);
    expect((await ingest(ref, {})).revision).toBe(2);
    expect((await ingest(ref, { events: [statusChange("K-1", 1)] })).revision).toBe(3);
    expect(await connectionRevisions(ref)).toEqual({ data: 3, itemsDeleted: 0 });
  });

  it("makes a connection's next page wait for the open one, so revisions commit in order", async () => {
    const ref = await newConnection();
    const other = await newConnection();
    const client = await db.runtime.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT set_config('app.tenant_id', $1, true)", [ref.tenantId]);
      expect((await ingestBatch(client, ref, { actors: [], items: [item("K-1")], events: [] })).revision).toBe(1);
      const waiting = withTenant(db.runtime, ref.tenantId, async (next) => {
        await next.query("SET LOCAL lock_timeout = '200ms'");
        return ingestBatch(next, ref, { actors: [], items: [item("K-2")], events: [] });
      });
      await expect(waiting).rejects.toThrow(/lock timeout/);
      // Another connection's pages do not wait.
      expect((await ingest(other, { items: [item("K-1")] })).revision).toBe(1);
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    expect((await ingest(ref, { items: [item("K-2")] })).revision).toBe(2);
    expect(await itemRevisions(ref)).toEqual({ "K-1": 1, "K-2": 2 });
  });

  it("stamps the items a page upserts, and stored items only its events name, with the page's revision", async () => {
    const ref = await newConnection();
    await ingest(ref, { items: [item("K-1"), item("K-2"), item("K-3"), item("K-4")] });
    expect(await itemRevisions(ref)).toEqual({ "K-1": 1, "K-2": 1, "K-3": 1, "K-4": 1 });

    // K-2 is upserted again, K-3 only has an event, K-5 is new; K-1 and K-4 are not touched.
    const second = await ingest(ref, { items: [item("K-2", ["changed"]), item("K-5")], events: [statusChange("K-3", 1), statusChange("K-404", 1)] });
    expect(second).toEqual({ actors: 0, items: 2, eventsAdded: 1, revision: 2 });
    expect(await itemRevisions(ref)).toEqual({ "K-1": 1, "K-2": 2, "K-3": 2, "K-4": 1, "K-5": 2 });

    // An event naming an item the same page upserts leaves it at that page's revision.
    await ingest(ref, { items: [item("K-4")], events: [statusChange("K-4", 1)] });
    expect(await itemRevisions(ref)).toEqual({ "K-1": 1, "K-2": 2, "K-3": 2, "K-4": 3, "K-5": 2 });
  });

  it("records the revision at which items were deleted, and leaves other connections alone", async () => {
    const ref = await newConnection();
    const other = await newConnection();
    await ingest(ref, { items: [item("K-1"), item("K-2"), item("K-3")], events: [statusChange("K-1", 1), statusChange("K-2", 1), statusChange("K-3", 1)] });
    await ingest(ref, { events: [statusChange("K-1", 2)] });
    await ingest(other, { items: [item("K-1"), item("K-2")], events: [statusChange("K-1", 1)] });
    expect(await connectionRevisions(ref)).toEqual({ data: 2, itemsDeleted: 0 });

    await withTenant(db.runtime, ref.tenantId, (client) => client.query("DELETE FROM work_items WHERE connection_id = $1 AND external_id <> 'K-1'", [ref.connectionId]));
    expect(await connectionRevisions(ref)).toEqual({ data: 3, itemsDeleted: 3 });
    expect(await itemRevisions(ref)).toEqual({ "K-1": 2 });
    const { rows } = await db.owner.query<{ external_id: string }>("SELECT external_id FROM events WHERE connection_id = $1 ORDER BY external_id", [ref.connectionId]);
    expect(rows.map((row) => row.external_id)).toEqual(["K-1#1", "K-1#2"]);

    // A delete that matches nothing is no change; the next page continues from the new revision.
    await withTenant(db.runtime, ref.tenantId, (client) => client.query("DELETE FROM work_items WHERE connection_id = $1 AND external_id = 'K-404'", [ref.connectionId]));
    expect(await connectionRevisions(ref)).toEqual({ data: 3, itemsDeleted: 3 });
    expect((await ingest(ref, { items: [item("K-2")] })).revision).toBe(4);
    expect(await connectionRevisions(ref)).toEqual({ data: 4, itemsDeleted: 3 });
    expect(await itemRevisions(ref)).toEqual({ "K-1": 2, "K-2": 4 });

    expect(await connectionRevisions(other)).toEqual({ data: 1, itemsDeleted: 0 });
    expect(await itemRevisions(other)).toEqual({ "K-1": 1, "K-2": 1 });
    expect(await eventCount(other)).toBe(1);
  });
});
