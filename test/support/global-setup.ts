import pg from "pg";
import { pino } from "pino";
import type { TestProject } from "vitest/node";
import { MIGRATIONS_DIR } from "../../app/src/main.js";
import { bootstrapDatabase } from "../../app/src/platform/db/bootstrap.js";
import { migrate } from "../../app/src/platform/db/migrate.js";
import { ADMIN_DATABASE_URL, TEST_DATABASE_PREFIX, TEST_OWNER, TEST_RUNTIME, databaseUrl } from "./services.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's id: every database the run creates is named after it. */
    testRunId: string;
  }
}

/**
 * Builds one migrated template database per run; each test file clones it
 * (CREATE DATABASE … TEMPLATE), which is much faster than migrating per file.
 * Databases are named after the run, so two runs on one machine never collide,
 * and those left by a run that died are dropped here.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = String(process.pid);
  await dropDatabases((name) => name.startsWith(TEST_DATABASE_PREFIX) && !isRunAlive(name));
  const template = templateName(runId);
  const ownerUrl = databaseUrl(TEST_OWNER, template);
  await bootstrapDatabase(ADMIN_DATABASE_URL, ownerUrl, databaseUrl(TEST_RUNTIME, template));
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 1 });
  try {
    await migrate(pool, MIGRATIONS_DIR, pino({ level: "silent" }));
  } finally {
    await pool.end();
  }
  project.provide("testRunId", runId);
  return async () => {
    await dropDatabases((name) => name.startsWith(`${TEST_DATABASE_PREFIX}${runId}_`));
  };
}

export function templateName(runId: string): string {
  return `${TEST_DATABASE_PREFIX}${runId}_template`;
}

function isRunAlive(database: string): boolean {
  const pid = Number(database.slice(TEST_DATABASE_PREFIX.length).split("_")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function dropDatabases(matches: (name: string) => boolean): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'twinflow\\_test\\_%'");
    for (const { datname } of rows.filter((row) => matches(row.datname))) {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}
