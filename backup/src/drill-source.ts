/**
 * Where the backup under drill comes from: the newest good backup in the local directory
 * (its checksum verified here, before anything restores it), or a download the caller
 * injects, which verifies its own checksum and is cleaned up after the drill.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { checkOutcome, type DrillCheck } from "./drill-checks.js";
import { sha256OfFile } from "./gates.js";
import { listGoodBackups, sidecarName, type BackupManifest, type GoodBackup } from "./manifest.js";

export interface FetchedBackup {
  path: string;
  manifest: BackupManifest;
  cleanup(): Promise<void>;
}

export type DrillSource = { kind: "local"; dir: string } | { kind: "fetched"; fetch: () => Promise<FetchedBackup> };

export interface BackupUnderDrill {
  path: string;
  manifest: BackupManifest;
  /** The local checksum check; absent when the source verified the checksum itself. */
  checksum?: DrillCheck;
  /** Called once after the drill, whatever its outcome. */
  release(): Promise<void>;
}

export async function takeBackup(source: DrillSource): Promise<BackupUnderDrill> {
  if (source.kind === "fetched") {
    const fetched = await source.fetch().catch((err: unknown) => {
      throw new Error("fetching the backup failed", { cause: err });
    });
    const release = () =>
      fetched.cleanup().catch((err: unknown) => {
        throw new Error("cleaning up the fetched backup failed", { cause: err });
      });
    return { path: fetched.path, manifest: fetched.manifest, release };
  }
  const [newest] = await listGoodBackups(source.dir);
  if (!newest) throw new Error(`no good backup in ${source.dir}`);
  return { path: newest.path, manifest: newest.manifest, checksum: await checkDumpChecksum(newest), release: async () => {} };
}

/** The dump's sha256 must match both its sidecar and its manifest. */
export async function checkDumpChecksum(backup: GoodBackup): Promise<DrillCheck> {
  const [actual, sidecar] = await Promise.all([sha256OfFile(backup.path), readFile(path.join(path.dirname(backup.path), sidecarName(backup.file)), "utf8")]);
  const summary = `sha256 ${actual.slice(0, 12)}… against the sidecar and the manifest`;
  return checkOutcome("checksum", summary, checksumMismatches(backup, actual, sidecar));
}

const SIDECAR_LINE = /^([0-9a-f]{64}) [ *](.+)\n?$/;

export function checksumMismatches(backup: GoodBackup, actual: string, sidecar: string): string[] {
  const line = SIDECAR_LINE.exec(sidecar);
  if (!line) return [`the sidecar of ${backup.file} is not a sha256sum line`];
  const mismatches: string[] = [];
  if (line[2] !== backup.file) mismatches.push(`the sidecar names ${line[2]}, not ${backup.file}`);
  if (line[1] !== actual) mismatches.push(`the dump's sha256 ${actual.slice(0, 12)}… differs from its sidecar's ${line[1]!.slice(0, 12)}…`);
  if (backup.manifest.sha256 !== actual) mismatches.push(`the dump's sha256 ${actual.slice(0, 12)}… differs from its manifest's ${backup.manifest.sha256.slice(0, 12)}…`);
  return mismatches;
}
