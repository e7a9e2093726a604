import { randomBytes } from "node:crypto";
import pg from "pg";
import { pino } from "pino";
import { MIGRATIONS_DIR } from "../app/src/main.js";
import { bootstrapDatabase } from "../app/src/platform/db/bootstrap.js";
import { migrate } from "../app/src/platform/db/migrate.js";
import { ADMIN_DATABASE_URL, TEST_DATABASE_PREFIX, TEST_OWNER, TEST_RUNTIME, databaseUrl } from "../test/support/services.js";

export interface ScratchDatabase {
  /** The table owner (bypasses RLS): for arranging rows and counting what landed. */
  ownerUrl: string;
  /** The runtime role the application uses (RLS applies). */
  runtimeUrl: string;
  drop(): Promise<void>;
}

/**
 * A freshly bootstrapped and migrated database, built the way the test setup builds its
 * template. It carries the test prefix and this process id, so a bench that dies leaves
 * nothing the next test run does not drop.
 */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `${TEST_DATABASE_PREFIX}${process.pid}_bench_${randomBytes(4).toString("hex")}`;
  const ownerUrl = databaseUrl(TEST_OWNER, name);
  const runtimeUrl = databaseUrl(TEST_RUNTIME, name);
  await bootstrapDatabase(ADMIN_DATABASE_URL, ownerUrl, runtimeUrl);
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 1 });
  try {
    await migrate(owner, MIGRATIONS_DIR, pino({ level: "silent" }));
  } finally {
    await owner.end();
  }
  return { ownerUrl, runtimeUrl, drop: () => dropDatabase(name) };
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
