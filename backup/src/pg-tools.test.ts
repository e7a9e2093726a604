import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/support/database.js";
import { pgConnection, PgToolError, pgToolVersion, runPgTool } from "./pg-tools.js";

async function toolError(run: Promise<unknown>): Promise<PgToolError> {
  const err = await run.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(err).toBeInstanceOf(PgToolError);
  return err as PgToolError;
}

describe("pgConnection", () => {
  it("moves the password from the URL to PGPASSWORD", () => {
    const connection = pgConnection("postgres://owner:p%40ss%20word@db.internal:5433/twinflow?sslmode=require");
    expect(connection.args).toEqual(["--dbname=postgres://owner@db.internal:5433/twinflow?sslmode=require"]);
    expect(connection.env).toEqual({ PGPASSWORD: "p@ss word" });
  });

  it("moves a password given as a query parameter too", () => {
    const connection = pgConnection("postgresql://owner@db.internal/twinflow?password=hunter2&application_name=backup");
    expect(connection.args.join(" ")).not.toContain("hunter2");
    expect(connection.env).toEqual({ PGPASSWORD: "hunter2" });
  });

  it("sets no password when the URL has none", () => {
    expect(pgConnection("postgres://owner@127.0.0.1/twinflow").env).toEqual({});
  });
});

describe("running pg_dump and pg_restore", () => {
  it("reports their versions", async () => {
    expect(await pgToolVersion("pg_dump")).toMatch(/^pg_dump \(PostgreSQL\) \d+/);
    expect(await pgToolVersion("pg_restore")).toMatch(/^pg_restore \(PostgreSQL\) \d+/);
  });

  it("puts the tool's stderr in the error on one line, with URL passwords scrubbed", async () => {
    const err = await toolError(runPgTool("pg_restore", ["--list", "postgres://owner:hunter2@db.internal/missing.dump"]));
    expect(err.message).toMatch(/^pg_restore exited with code 1: pg_restore: error: could not open input file "postgres:\/\/owner:\[REDACTED\]@db\.internal\/missing\.dump"/);
    expect(err.message).not.toContain("hunter2");
    expect(err.message).not.toContain("\n");
    expect(err.stderr).not.toContain("hunter2");
  });

  it("keeps SQL and row values out of the error: the statement and DETAIL lines Postgres repeats are dropped", async () => {
    const db = await createTestDatabase();
    const dir = await mkdtemp(path.join(tmpdir(), "twinflow-pg-tools-"));
    try {
      const connection = pgConnection(db.ownerUrl);
      const file = path.join(dir, "self.dump");
      await runPgTool("pg_dump", ["-Fc", "--file", file, ...connection.args], connection.env);
      // Restoring a database onto itself fails on its first CREATE, which pg_restore quotes.
      const err = await toolError(runPgTool("pg_restore", ["--exit-on-error", ...connection.args, file], connection.env));
      expect(err.message).toMatch(/already exists/);
      expect(err.message).not.toMatch(/CREATE |Command was|DETAIL/);
      expect(err.stderr).not.toMatch(/CREATE |Command was/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await db.drop();
    }
  });

  it("passes arguments as they are, with no shell to interpret them", async () => {
    const err = await toolError(runPgTool("pg_restore", ["--list", "$(touch /tmp/never) ; *.dump"]));
    expect(err.message).toContain('could not open input file "$(touch /tmp/never) ; *.dump"');
  });

  it("says what to check when the tool cannot be started", async () => {
    const err = await toolError(runPgTool("pg_dump", ["--version"], { PATH: "/nonexistent" }));
    expect(err.message).toMatch(/^pg_dump could not be started \(spawn pg_dump ENOENT\): check that the PostgreSQL client tools are installed/);
  });
});
