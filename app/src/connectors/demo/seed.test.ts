import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/database.js";
import { generateDemoLog } from "./generate.js";
import { verifyPassword } from "../../auth/passwords.js";
import { generateVaultKey, Vault } from "../../platform/vault.js";
import { DEMO_DAYS, DEMO_EMAIL, DEMO_SEED, seedDemo } from "./seed.js";

let db: TestDatabase;
const vault = Vault.fromSpec(`k1:${generateVaultKey()}`);

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

describe("seedDemo", () => {
  it("loads a 90-day log ending today into a demo tenant, once", async () => {
    const now = new Date("2026-11-29T12:00:00Z");
    const first = await seedDemo(db.runtime, vault, "demo password 123", now);
    expect(first.created).toBe(true);
    const generated = generateDemoLog({ seed: DEMO_SEED, start: new Date("2026-08-31T00:00:00Z"), days: DEMO_DAYS });
    expect(first.eventsAdded).toBe(generated.events.length);

    const { rows } = await db.owner.query<{ items: number; events: number; first_at: Date; last_at: Date; open: number }>(
      `SELECT (SELECT count(*)::int FROM work_items WHERE tenant_id = $1) AS items,
              (SELECT count(*) FILTER (WHERE closed_at IS NULL)::int FROM work_items WHERE tenant_id = $1) AS open,
              count(*)::int AS events, min(occurred_at) AS first_at, max(occurred_at) AS last_at
         FROM events WHERE tenant_id = $1`,
      [first.tenantId],
    );
    const loaded = rows[0]!;
    expect(loaded.events).toBe(first.eventsAdded);
    expect(loaded.items).toBe(generated.items.length);
    expect(loaded.open).toBeGreaterThan(0);
    expect(loaded.first_at.getTime()).toBeGreaterThanOrEqual(Date.parse("2026-08-31T00:00:00Z"));
    expect(loaded.last_at.getTime()).toBeLessThanOrEqual(Date.parse("2026-11-29T00:00:00Z"));

    const again = await seedDemo(db.runtime, vault, "demo password 123", now);
    expect(again).toEqual({ tenantId: first.tenantId, created: false, eventsAdded: 0 });
    const count = await db.owner.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
    expect(count.rows[0]!.n).toBe(loaded.events);
  });

  it("re-keys the demo account when DEMO_PASSWORD changes, so the printed sign-in works", async () => {
    await seedDemo(db.runtime, vault, "a brand new demo password");
    const { rows } = await db.owner.query<{ password_hash: string }>("SELECT password_hash FROM users WHERE email = $1", [DEMO_EMAIL]);
    expect(await verifyPassword("a brand new demo password", rows[0]!.password_hash)).toBe(true);
    expect(await verifyPassword("demo password 123", rows[0]!.password_hash)).toBe(false);
  });

  it("stores every event against an item and an actor of the same connection", async () => {
    const { rows } = await db.owner.query<{ orphans: number; foreign_actors: number }>(
      `SELECT count(*) FILTER (WHERE w.id IS NULL)::int AS orphans,
              count(*) FILTER (WHERE e.actor_id IS NOT NULL AND a.connection_id <> e.connection_id)::int AS foreign_actors
         FROM events e
         LEFT JOIN work_items w ON w.id = e.work_item_id
         LEFT JOIN actors a ON a.id = e.actor_id`,
    );
    expect(rows[0]).toEqual({ orphans: 0, foreign_actors: 0 });
  });
});
