import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checksumMismatches, takeBackup } from "./drill-source.js";
import { sha256OfFile } from "./gates.js";
import { dumpFileName, manifestName, sidecarContent, sidecarName, type BackupManifest, type GoodBackup } from "./manifest.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "drill-source-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A good backup of `content` taken at `createdAt`; the sidecar and manifest say `sha256` (the real one unless given). */
async function writeBackup(content: string, createdAt: Date, sha256?: string): Promise<GoodBackup> {
  const dump = path.join(dir, "partial");
  await writeFile(dump, content);
  const actual = await sha256OfFile(dump);
  const file = dumpFileName(createdAt, actual);
  await writeFile(path.join(dir, file), content);
  await writeFile(path.join(dir, sidecarName(file)), sidecarContent(file, sha256 ?? actual));
  const manifest = { format: 1, file, createdAt: createdAt.toISOString(), sha256: sha256 ?? actual } as BackupManifest;
  await writeFile(path.join(dir, manifestName(file)), JSON.stringify(manifest));
  return { file, path: path.join(dir, file), manifest };
}

describe("takeBackup from a local directory", () => {
  it("takes the newest good backup and passes its checksum", async () => {
    await writeBackup("older", new Date("2026-11-28T02:17:00Z"));
    const newest = await writeBackup("newest", new Date("2026-11-29T02:17:00Z"));

    const backup = await takeBackup({ kind: "local", dir });

    expect(backup.path).toBe(newest.path);
    expect(backup.checksum).toMatchObject({ name: "checksum", passed: true, mismatches: [] });
  });

  it("fails the checksum of a dump whose sidecar and manifest say another sha256", async () => {
    await writeBackup("tampered", new Date("2026-11-29T02:17:00Z"), "0".repeat(64));

    const backup = await takeBackup({ kind: "local", dir });

    expect(backup.checksum?.passed).toBe(false);
    expect(backup.checksum?.mismatches).toEqual([
      expect.stringMatching(/^the dump's sha256 [0-9a-f]{12}… differs from its sidecar's 000000000000…$/),
      expect.stringMatching(/^the dump's sha256 [0-9a-f]{12}… differs from its manifest's 000000000000…$/),
    ]);
  });

  it("fails when the directory holds no good backup", async () => {
    await expect(takeBackup({ kind: "local", dir })).rejects.toThrow(`no good backup in ${dir}`);
  });
});

describe("checksumMismatches", () => {
  const backup = { file: "twinflow-20261129T021700Z-aaaaaaaaaaaa.dump", path: "/b/x", manifest: { sha256: "a".repeat(64) } as BackupManifest };

  it("refuses a sidecar that is not sha256sum's line or names another file", () => {
    expect(checksumMismatches(backup, "a".repeat(64), "garbage\n")).toEqual([`the sidecar of ${backup.file} is not a sha256sum line`]);
    expect(checksumMismatches(backup, "a".repeat(64), sidecarContent("other.dump", "a".repeat(64)))).toEqual([`the sidecar names other.dump, not ${backup.file}`]);
  });
});

describe("takeBackup from a fetch", () => {
  it("uses the fetched file and releases it through its cleanup", async () => {
    const cleanup = vi.fn(async () => {});
    const manifest = { file: "twinflow-20261129T021700Z-aaaaaaaaaaaa.dump" } as BackupManifest;

    const backup = await takeBackup({ kind: "fetched", fetch: async () => ({ path: "/tmp/download.dump", manifest, cleanup }) });
    await backup.release();

    expect(backup).toMatchObject({ path: "/tmp/download.dump", manifest });
    expect(backup.checksum).toBeUndefined();
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it("says which side failed: the fetch or its cleanup", async () => {
    await expect(takeBackup({ kind: "fetched", fetch: () => Promise.reject(new Error("403")) })).rejects.toThrow("fetching the backup failed");
    const backup = await takeBackup({ kind: "fetched", fetch: async () => ({ path: "/x", manifest: {} as BackupManifest, cleanup: () => Promise.reject(new Error("EBUSY")) }) });
    await expect(backup.release()).rejects.toThrow("cleaning up the fetched backup failed");
  });
});
