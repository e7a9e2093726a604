import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/database.js";
import { seedTenantGraph, type TenantGraph } from "../../../../test/support/fixtures.js";
import { withMember, withTenant } from "./tenant.js";

let db: TestDatabase;
let tenantA: TenantGraph;
let tenantB: TenantGraph;
let tenantTables: string[];

beforeAll(async () => {
  db = await createTestDatabase();
  tenantA = await seedTenantGraph(db.owner, "Alpha");
  tenantB = await seedTenantGraph(db.owner, "Bravo");
  const { rows } = await db.owner.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
  );
  tenantTables = [...rows.map((row) => row.table_name), "tenants"];
});

afterAll(async () => {
  await db.drop();
});

const countVisible = (client: pg.PoolClient, table: string, tenantId: string) =>
  client
    .query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(table)} WHERE ${table === "tenants" ? "id" : "tenant_id"} = $1`, [tenantId])
    .then((result) => result.rows[0]!.n);

describe("row-level security for the runtime role", () => {
  it("covers every table that has a tenant_id, with RLS enabled and a policy", async () => {
    expect(tenantTables.length).toBeGreaterThanOrEqual(11);
    const { rows } = await db.owner.query<{ relname: string; relrowsecurity: boolean; policies: number }>(
      `SELECT c.relname, c.relrowsecurity, (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY($1)`,
      [tenantTables],
    );
    expect(rows).toHaveLength(tenantTables.length);
    for (const row of rows) expect({ table: row.relname, rls: row.relrowsecurity, policies: row.policies > 0 }).toEqual({ table: row.relname, rls: true, policies: true });
  });

  it("runs as a role that neither owns the tables nor bypasses RLS", async () => {
    const { rows } = await db.runtime.query<{ rolbypassrls: boolean; rolsuper: boolean; owns: number }>(
      `SELECT r.rolbypassrls, r.rolsuper,
              (SELECT count(*)::int FROM pg_tables t WHERE t.schemaname = 'public' AND t.tableowner = current_user) AS owns
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({ rolbypassrls: false, rolsuper: false, owns: 0 });
  });

  it("shows tenant B's context none of tenant A's rows, in any tenant table", async () => {
    await withTenant(db.runtime, tenantB.tenantId, async (client) => {
      for (const table of tenantTables) {
        expect({ table, visible: await countVisible(client, table, tenantA.tenantId) }).toEqual({ table, visible: 0 });
      }
    });
  });

  it("shows a person of a tenant the tenant's own rows in every tenant table", async () => {
    await withMember(db.runtime, tenantA, async (client) => {
      for (const table of tenantTables) {
        expect({ table, visible: (await countVisible(client, table, tenantA.tenantId)) > 0 }).toEqual({ table, visible: true });
      }
    });
  });

  it("keeps a person's assistant conversations from their teammates", async () => {
    const teammate = await db.owner.query<{ id: string }>("INSERT INTO users (email, display_name, password_hash) VALUES ($1, 'Teammate', 'scrypt$x') RETURNING id", [`teammate-${randomUUID()}@example.com`]);
    await db.owner.query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'member')", [tenantA.tenantId, teammate.rows[0]!.id]);
    await withMember(db.runtime, { tenantId: tenantA.tenantId, userId: teammate.rows[0]!.id }, async (client) => {
      for (const table of ["ai_conversations", "ai_messages"]) expect({ table, visible: await countVisible(client, table, tenantA.tenantId) }).toEqual({ table, visible: 0 });
      const moved = await client.query("UPDATE ai_conversations SET title = 'taken' WHERE tenant_id = $1", [tenantA.tenantId]);
      expect(moved.rowCount).toBe(0);
    });
    // Without a person, the tenant's context shows no one's conversations either.
    await withTenant(db.runtime, tenantA.tenantId, async (client) => {
      expect(await countVisible(client, "ai_conversations", tenantA.tenantId)).toBe(0);
    });
  });

  it("returns nothing from tenant tables when no tenant is set", async () => {
    for (const table of tenantTables) {
      const { rows } = await db.runtime.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(table)}`);
      expect({ table, n: rows[0]!.n }).toEqual({ table, n: 0 });
    }
  });

  it("shows a tenant's context only its own people, never another tenant's accounts or password hashes", async () => {
    await withTenant(db.runtime, tenantB.tenantId, async (client) => {
      const { rows } = await client.query<{ id: string }>("SELECT id FROM users");
      expect(rows.map((row) => row.id)).toEqual([tenantB.userId]);
      const update = await client.query("UPDATE users SET password_hash = 'x' WHERE id = $1", [tenantA.userId]);
      expect(update.rowCount).toBe(0);
    });
    const { rows } = await db.runtime.query("SELECT id FROM users");
    expect(rows).toEqual([]);
  });

  it("finds an account for sign-in by exact email only", async () => {
    const { rows: people } = await db.owner.query<{ email: string }>("SELECT email FROM users WHERE id = $1", [tenantA.userId]);
    const found = await db.runtime.query("SELECT id FROM account_for_sign_in($1)", [people[0]!.email]);
    expect(found.rows).toEqual([{ id: tenantA.userId }]);
    const wildcard = await db.runtime.query("SELECT id FROM account_for_sign_in($1)", ["%"]);
    expect(wildcard.rows).toEqual([]);
  });

  it("rejects writing a row that carries another tenant's id", async () => {
    const attempt = withTenant(db.runtime, tenantB.tenantId, (client) =>
      client.query("INSERT INTO connections (tenant_id, provider, label) VALUES ($1, 'demo', 'sneaky')", [tenantA.tenantId]),
    );
    await expect(attempt).rejects.toMatchObject({ code: "42501" });
    const { rows } = await db.owner.query("SELECT 1 FROM connections WHERE label = 'sneaky'");
    expect(rows).toHaveLength(0);
  });

  it("cannot move another tenant's row into its own tenant, or change it", async () => {
    await withTenant(db.runtime, tenantB.tenantId, async (client) => {
      const moved = await client.query("UPDATE connections SET tenant_id = $1 WHERE id = $2", [tenantB.tenantId, tenantA.connectionId]);
      expect(moved.rowCount).toBe(0);
      const deleted = await client.query("DELETE FROM events WHERE tenant_id = $1", [tenantA.tenantId]);
      expect(deleted.rowCount).toBe(0);
    });
    const { rows } = await db.owner.query("SELECT tenant_id FROM connections WHERE id = $1", [tenantA.connectionId]);
    expect(rows[0]).toEqual({ tenant_id: tenantA.tenantId });
  });

  it("does not carry a tenant context to the next use of a pooled connection", async () => {
    const pool = new pg.Pool({ connectionString: db.runtimeUrl, max: 1 });
    try {
      await withTenant(pool, tenantA.tenantId, (client) => client.query("SELECT 1"));
      const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM connections");
      expect(rows[0]!.n).toBe(0);
    } finally {
      await pool.end();
    }
  });

  it("refuses a tenant id that is not a UUID before touching the database", async () => {
    await expect(withTenant(db.runtime, "' OR 1=1 --", async () => 1)).rejects.toThrow("tenant id must be a UUID");
    await expect(withTenant(db.runtime, randomUUID(), async (client) => (await client.query("SELECT count(*)::int AS n FROM tenants")).rows[0])).resolves.toEqual({ n: 0 });
  });

  it("keeps the audit log append-only for the runtime role", async () => {
    const attempt = withTenant(db.runtime, tenantA.tenantId, (client) => client.query("DELETE FROM audit_log"));
    await expect(attempt).rejects.toMatchObject({ code: "42501" });
  });

  it("reads a snapshot: a commit between two reads is not seen, and writes are refused", async () => {
    const label = async () =>
      (await db.owner.query<{ label: string }>("SELECT label FROM connections WHERE id = $1", [tenantA.connectionId])).rows[0]!.label;
    const before = await label();
    const seen = await withTenant(
      db.runtime,
      tenantA.tenantId,
      async (client) => {
        const first = (await client.query<{ label: string }>("SELECT label FROM connections WHERE id = $1", [tenantA.connectionId])).rows[0]!.label;
        await db.owner.query("UPDATE connections SET label = 'changed meanwhile' WHERE id = $1", [tenantA.connectionId]);
        const second = (await client.query<{ label: string }>("SELECT label FROM connections WHERE id = $1", [tenantA.connectionId])).rows[0]!.label;
        return [first, second];
      },
      "snapshot",
    );
    expect(seen).toEqual([before, before]);
    expect(await label()).toBe("changed meanwhile");
    const write = withTenant(db.runtime, tenantA.tenantId, (client) => client.query("UPDATE connections SET label = 'x' WHERE id = $1", [tenantA.connectionId]), "snapshot");
    await expect(write).rejects.toMatchObject({ code: "25006" });
  });
});
