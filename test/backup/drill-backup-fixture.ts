/**
 * Good backups for the drill tests, written the way the backup pipeline writes them: a
 * pg_dump custom-format dump under a good name, its sha256 sidecar and a manifest with the
 * real counts, schema version and canary. Variants (an edited manifest, a flipped bit) are
 * copies in their own directories, so the original stays good.
 */
import { randomUUID } from "node:crypto";
import { copyFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { CORE_TABLES, dumpFileName, manifestName, sidecarContent, sidecarName, type BackupManifest, type CoreTable } from "../../backup/src/manifest.js";
import { pgToolVersion } from "../../backup/src/pg-tools.js";
import { testManifest } from "./fake-backups.js";
import type { TestDatabase } from "../support/database.js";
import { seedTenantGraph } from "../support/fixtures.js";
import { dumpDatabase, writeWithFlippedBit } from "./dumps.js";

export interface TestBackup {
  dir: string;
  file: string;
  path: string;
  manifest: BackupManifest;
}

/** Two tenants' graphs and a canary row; returns the canary token. */
export async function seedDrillDatabase(db: TestDatabase): Promise<string> {
  await seedTenantGraph(db.owner, "Alpha");
  await seedTenantGraph(db.owner, "Bravo");
  const canary = `canary-${randomUUID()}`;
  await db.owner.query("INSERT INTO backup_canaries (token) VALUES ($1)", [canary]);
  return canary;
}

/** Dumps `db` into a new temporary directory as a good backup. */
export async function writeTestBackup(db: TestDatabase, canary: string): Promise<TestBackup> {
  const dir = await mkdtemp(path.join(tmpdir(), "twinflow-drill-"));
  const partial = path.join(dir, "dump.partial");
  const createdAt = new Date();
  const { sha256, sizeBytes } = await dumpDatabase(db.ownerUrl, partial);
  const file = dumpFileName(createdAt, sha256);
  const manifest = testManifest({
    file,
    createdAt: createdAt.toISOString(),
    sizeBytes,
    sha256,
    schemaVersion: await schemaVersion(db.owner),
    rowCounts: await rowCounts(db.owner),
    canary,
    tools: { pgDump: await pgToolVersion("pg_dump"), pgRestore: await pgToolVersion("pg_restore"), server: await serverVersion(db.owner), node: process.version },
  });
  await rename(partial, path.join(dir, file));
  await writeFile(path.join(dir, sidecarName(file)), sidecarContent(file, sha256));
  await writeManifest(dir, manifest);
  return { dir, file, path: path.join(dir, file), manifest };
}

export interface BackupChange {
  manifest?: Partial<BackupManifest>;
  /** Flips one bit in the middle of the dump, leaving the sidecar and manifest as they were. */
  flipBit?: boolean;
}

/** A copy of `backup` in a new directory, with `change` applied. */
export async function copyBackup(backup: TestBackup, change: BackupChange = {}): Promise<TestBackup> {
  const dir = await mkdtemp(path.join(tmpdir(), "twinflow-drill-"));
  const copy = { dir, file: backup.file, path: path.join(dir, backup.file), manifest: { ...backup.manifest, ...change.manifest } };
  if (change.flipBit) await writeWithFlippedBit(backup.path, Math.floor(backup.manifest.sizeBytes / 2), copy.path);
  else await copyFile(backup.path, copy.path);
  await copyFile(path.join(backup.dir, sidecarName(backup.file)), path.join(dir, sidecarName(backup.file)));
  await writeManifest(dir, copy.manifest);
  return copy;
}

export async function removeBackup(backup: TestBackup): Promise<void> {
  await rm(backup.dir, { recursive: true, force: true });
}

async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  await writeFile(path.join(dir, manifestName(manifest.file)), `${JSON.stringify(manifest, null, 2)}\n`);
}

async function schemaVersion(owner: pg.Pool): Promise<number> {
  const { rows } = await owner.query<{ version: number }>("SELECT max(version) AS version FROM schema_migrations");
  return rows[0]!.version;
}

async function rowCounts(owner: pg.Pool): Promise<Record<CoreTable, number>> {
  const entries = await Promise.all(
    CORE_TABLES.map(async (table) => {
      const { rows } = await owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(table)}`);
      return [table, rows[0]!.n] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<CoreTable, number>;
}

async function serverVersion(owner: pg.Pool): Promise<string> {
  const { rows } = await owner.query<{ server_version: string }>("SHOW server_version");
  return rows[0]!.server_version;
}
