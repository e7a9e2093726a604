/**
 * Good backups made directly on disk, named and described as the pipeline names and describes
 * them, for tests that need many of them (or old ones) without running pg_dump each time.
 */
import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { CORE_TABLES, dumpFileName, manifestName, sidecarContent, sidecarName, type BackupManifest, type CoreTable } from "../../backup/src/manifest.js";

/** A manifest as the pipeline writes it; fields a test does not care about get plausible values. */
export function testManifest(fields: Pick<BackupManifest, "file" | "createdAt" | "sizeBytes" | "sha256"> & Partial<BackupManifest>): BackupManifest {
  return {
    format: 1,
    schemaVersion: 14,
    rowCounts: Object.fromEntries(CORE_TABLES.map((table) => [table, 0])) as Record<CoreTable, number>,
    canary: randomBytes(16).toString("hex"),
    tools: { pgDump: "pg_dump (PostgreSQL) 15", pgRestore: "pg_restore (PostgreSQL) 15", server: "15", node: process.version },
    gateSeconds: { sizeFloor: 0, catalog: 0, fullRead: 0, checksum: 0 },
    ...fields,
  };
}

/** Writes `content` as a good backup created at `createdAt`, with its sidecar and manifest; returns the manifest. */
export async function writeBackupFiles(dir: string, content: Buffer, createdAt: Date, facts: Partial<BackupManifest> = {}): Promise<BackupManifest> {
  const sha256 = createHash("sha256").update(content).digest("hex");
  const file = dumpFileName(createdAt, sha256);
  const manifest = testManifest({ file, createdAt: createdAt.toISOString(), sizeBytes: content.length, sha256, ...facts });
  await writeFile(path.join(dir, file), content);
  await writeFile(path.join(dir, sidecarName(file)), sidecarContent(file, sha256));
  await writeFile(path.join(dir, manifestName(file)), JSON.stringify(manifest));
  return manifest;
}

/** Writes the three files of a good backup created at `createdAt`; returns the dump's file name. */
export async function writeFakeGoodBackup(dir: string, createdAt: Date, sizeBytes = 4096): Promise<string> {
  return (await writeBackupFiles(dir, randomBytes(sizeBytes), createdAt)).file;
}

/** The three files of a good backup, by its dump's name. */
export const backupFiles = (file: string): string[] => [file, sidecarName(file), manifestName(file)];
