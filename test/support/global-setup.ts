import pg from "pg";
import { pino } from "pino";
import { MIGRATIONS_DIR } from "../../app/src/main.js";
import { bootstrapDatabase } from "../../app/src/platform/db/bootstrap.js";
import { migrate } from "../../app/src/platform/db/migrate.js";
import { ADMIN_DATABASE_URL, TEMPLATE_DATABASE, TEST_OWNER, TEST_RUNTIME, databaseUrl } from "./services.js";

/**
 * Builds one migrated template database per run; each test file clones it
 * (CREATE DATABASE … TEMPLATE), which is much faster than migrating per file.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await dropDatabase(TEMPLATE_DATABASE);
  const ownerUrl = databaseUrl(TEST_OWNER, TEMPLATE_DATABASE);
  await bootstrapDatabase(ADMIN_DATABASE_URL, ownerUrl, databaseUrl(TEST_RUNTIME, TEMPLATE_DATABASE));
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 1 });
  try {
    await migrate(pool, MIGRATIONS_DIR, pino({ level: "silent" }));
  } finally {
    await pool.end();
  }
  return async () => {
    await dropDatabase(TEMPLATE_DATABASE);
  };
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
