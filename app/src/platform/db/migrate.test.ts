import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/database.js";
import { migrate, MigrationError } from "./migrate.js";

let db: TestDatabase;
const silent = pino({ level: "silent" });

beforeAll(async () => {
  // Each case migrates a schema of its own inside this file's database.
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "twinflow-migrations-"));
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql);
  return dir;
}

function poolInSchema(schema: string): pg.Pool {
  return new pg.Pool({ connectionString: db.ownerUrl, max: 4, options: `-c search_path=${schema}` });
}

describe("migrate", () => {
  it("applies pending migrations once and records them", async () => {
    await db.owner.query("CREATE SCHEMA once");
    const pool = poolInSchema("once");
    try {
      const dir = await migrationsDir({ "0001_a.sql": "CREATE TABLE a (id int);", "0002_b.sql": "CREATE TABLE b (id int);" });
      expect(await migrate(pool, dir, silent)).toEqual(["0001_a.sql", "0002_b.sql"]);
      expect(await migrate(pool, dir, silent)).toEqual([]);
      const { rows } = await pool.query("SELECT version, name FROM schema_migrations ORDER BY version");
      expect(rows).toEqual([{ version: 1, name: "0001_a.sql" }, { version: 2, name: "0002_b.sql" }]);
    } finally {
      await pool.end();
    }
  });

  it("is safe when two migrators start at once", async () => {
    await db.owner.query("CREATE SCHEMA racing");
    const pool = poolInSchema("racing");
    try {
      const dir = await migrationsDir({ "0001_slow.sql": "SELECT pg_sleep(0.3); CREATE TABLE counted (id int);" });
      const results = await Promise.all([migrate(pool, dir, silent), migrate(pool, dir, silent)]);
      expect(results.flat()).toEqual(["0001_slow.sql"]);
    } finally {
      await pool.end();
    }
  });

  it("rolls back a failing migration completely and says which one failed", async () => {
    await db.owner.query("CREATE SCHEMA failing");
    const pool = poolInSchema("failing");
    try {
      const dir = await migrationsDir({ "0001_half.sql": "CREATE TABLE half (id int); SELECT no_such_function();" });
      await expect(migrate(pool, dir, silent)).rejects.toThrow("migration 0001_half.sql failed and was rolled back");
      const { rows } = await pool.query("SELECT to_regclass('failing.half') AS t, (SELECT count(*)::int FROM schema_migrations) AS n");
      expect(rows[0]).toEqual({ t: null, n: 0 });
    } finally {
      await pool.end();
    }
  });

  it("refuses to run when an applied migration was edited", async () => {
    await db.owner.query("CREATE SCHEMA edited");
    const pool = poolInSchema("edited");
    try {
      await migrate(pool, await migrationsDir({ "0001_a.sql": "CREATE TABLE a (id int);" }), silent);
      const changed = await migrationsDir({ "0001_a.sql": "CREATE TABLE a (id bigint);", "0002_b.sql": "CREATE TABLE b (id int);" });
      const attempt = migrate(pool, changed, silent);
      await expect(attempt).rejects.toBeInstanceOf(MigrationError);
      await expect(migrate(pool, changed, silent)).rejects.toThrow(/0001_a\.sql was edited after it was applied/);
      const { rows } = await pool.query("SELECT to_regclass('edited.b') AS b");
      expect(rows[0]).toEqual({ b: null });
    } finally {
      await pool.end();
    }
  });

  it("refuses badly named files", async () => {
    const pool = poolInSchema("public");
    try {
      await expect(migrate(pool, await migrationsDir({ "add-things.sql": "SELECT 1" }), silent)).rejects.toThrow(/must be named NNNN_words\.sql/);
    } finally {
      await pool.end();
    }
  });
});
