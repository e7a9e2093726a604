import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { templateName } from "./global-setup.js";
import { ADMIN_DATABASE_URL, TEST_DATABASE_PREFIX, TEST_OWNER, TEST_RUNTIME, databaseUrl } from "./services.js";

export interface TestDatabase {
  name: string;
  /** The table owner (bypasses RLS): for arranging fixtures and asserting raw state. */
  ownerUrl: string;
  /** The runtime role the application uses (RLS applies). */
  runtimeUrl: string;
  owner: pg.Pool;
  runtime: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test file's own, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const runId = inject("testRunId");
  const name = `${TEST_DATABASE_PREFIX}${runId}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(templateName(runId))} OWNER ${pg.escapeIdentifier(TEST_OWNER.user)}`);
  const ownerUrl = databaseUrl(TEST_OWNER, name);
  const runtimeUrl = databaseUrl(TEST_RUNTIME, name);
  const owner = tolerateTeardown(new pg.Pool({ connectionString: ownerUrl, max: 3 }));
  const runtime = tolerateTeardown(new pg.Pool({ connectionString: runtimeUrl, max: 5 }));
  return {
    name,
    ownerUrl,
    runtimeUrl,
    owner,
    runtime,
    async drop() {
      await Promise.all([owner.end(), runtime.end()]);
      await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    },
  };
}

/**
 * Dropping the database WITH (FORCE) terminates idle connections (57P01); that is the
 * expected end of a test file. Any other connection error still fails the run.
 */
function tolerateTeardown(pool: pg.Pool): pg.Pool {
  pool.on("error", (err: Error & { code?: string }) => {
    if (err.code !== "57P01") throw err;
  });
  return pool;
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}
