import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { Pool, PoolClient } from "./pool.js";

/** Same constant in every migrator, so two started at once take turns. */
const MIGRATION_LOCK_KEY = 7_370_611_001;
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export async function readMigrations(directory: string): Promise<MigrationFile[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith(".sql")).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (!match) throw new MigrationError(`migration file ${name} must be named NNNN_words.sql (e.g. 0002_add_labels.sql)`);
    const version = Number(match[1]);
    if (files.some((file) => file.version === version)) throw new MigrationError(`two migration files share number ${match[1]}`);
    const sql = await readFile(path.join(directory, name), "utf8");
    files.push({ version, name, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  return files;
}

/** Applies pending migrations, each in its own transaction, under an advisory lock. */
export async function migrate(pool: Pool, directory: string, log: Logger): Promise<string[]> {
  const files = await readMigrations(directory);
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await ensureLedger(client);
      const pending = await pendingMigrations(client, files);
      for (const file of pending) {
        await applyMigration(client, file);
        log.info({ migration: file.name }, "migration applied");
      }
      return pending.map((file) => file.name);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

async function ensureLedger(client: PoolClient): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
}

async function pendingMigrations(client: PoolClient, files: MigrationFile[]): Promise<MigrationFile[]> {
  const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
    "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
  );
  for (const applied of rows) {
    const file = files.find((candidate) => candidate.version === applied.version);
    if (!file) {
      throw new MigrationError(
        `the database has migration ${applied.name}, which this release does not contain: it was migrated by a newer TwinFlow; run that release or restore a backup`,
      );
    }
    if (file.checksum !== applied.checksum) {
      throw new MigrationError(
        `migration ${file.name} was edited after it was applied; migrations are forward-only: restore its original text and put the change in a new numbered migration`,
      );
    }
  }
  const appliedVersions = new Set(rows.map((row) => row.version));
  return files.filter((file) => !appliedVersions.has(file.version));
}

async function applyMigration(client: PoolClient, file: MigrationFile): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query(file.sql);
    await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
      file.version,
      file.name,
      file.checksum,
    ]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw new MigrationError(`migration ${file.name} failed and was rolled back`, { cause: err });
  }
}
