/**
 * What a good backup is, on disk: `<name>.dump` (pg_dump custom format), its sha256
 * sidecar `<name>.dump.sha256` (sha256sum's format) and its manifest `<name>.dump.manifest.json`.
 * A dump is good only when all three are there under a good name; the pipeline writes under
 * a temporary name and renames last, so a crash or a failed gate never leaves a good name.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

/** Tables whose data every backup must hold, and whose rows the manifest counts. */
export const CORE_TABLES = [
  "tenants",
  "users",
  "memberships",
  "connections",
  "actors",
  "work_items",
  "events",
  "scans",
  "scan_outputs",
  "audit_log",
  "backup_canaries",
] as const;

export type CoreTable = (typeof CORE_TABLES)[number];

export const GATES = ["sizeFloor", "catalog", "fullRead", "checksum"] as const;
export type GateName = (typeof GATES)[number];

export interface BackupManifest {
  format: 1;
  /** The dump's final file name, e.g. twinflow-20261129T021700Z-3f2a9c1d0b4e.dump. */
  file: string;
  /** When the dump's snapshot was taken (ISO 8601, UTC). */
  createdAt: string;
  sizeBytes: number;
  /** Hex sha256 of the dump file as written. */
  sha256: string;
  /** The highest applied migration. */
  schemaVersion: number;
  /** Rows of each core table, counted in the same snapshot pg_dump read. */
  rowCounts: Record<CoreTable, number>;
  /** The token written to backup_canaries just before the snapshot. */
  canary: string;
  tools: { pgDump: string; pgRestore: string; server: string; node: string };
  /** Seconds each gate took; present only when every gate passed. */
  gateSeconds: Record<GateName, number>;
}

const GOOD_NAME = /^twinflow-(\d{8}T\d{6}Z)-([0-9a-f]{12})\.dump$/;

/** twinflow-<UTC yyyymmddThhmmssZ>-<first 12 hex of the sha256>.dump */
export function dumpFileName(createdAt: Date, sha256: string): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  return `twinflow-${stamp}-${sha256.slice(0, 12)}.dump`;
}

export function isGoodDumpName(name: string): boolean {
  return GOOD_NAME.test(name);
}

export const sidecarName = (dumpFile: string) => `${dumpFile}.sha256`;
export const manifestName = (dumpFile: string) => `${dumpFile}.manifest.json`;

/** sha256sum's line: the file can be checked with `sha256sum -c` in the backup directory. */
export const sidecarContent = (dumpFile: string, sha256: string) => `${sha256}  ${dumpFile}\n`;

export interface GoodBackup {
  file: string;
  /** Absolute path of the dump. */
  path: string;
  manifest: BackupManifest;
}

/** The good backups in `dir`, newest first: a good name with its sidecar and a manifest that names it. */
export async function listGoodBackups(dir: string): Promise<GoodBackup[]> {
  const names = new Set(await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? [] : Promise.reject(err))));
  const found: GoodBackup[] = [];
  for (const file of names) {
    if (!isGoodDumpName(file) || !names.has(sidecarName(file)) || !names.has(manifestName(file))) continue;
    const manifest = JSON.parse(await readFile(path.join(dir, manifestName(file)), "utf8")) as BackupManifest;
    if (manifest.file !== file) continue;
    found.push({ file, path: path.join(dir, file), manifest });
  }
  return found.sort((a, b) => b.manifest.createdAt.localeCompare(a.manifest.createdAt));
}
