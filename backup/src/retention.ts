/**
 * Which local backups to keep. Run only after a backup succeeded, so a stretch of failing
 * nights never eats into the backups that are left.
 */
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { PARTIAL_PREFIX } from "./dump.js";
import { listGoodBackups, manifestName, sidecarName } from "./manifest.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionPolicy {
  retentionDays: number;
  now: Date;
}

/**
 * Deletes good backups created more than `retentionDays` before `now` (all three files), except
 * the newest, whatever its age; and temporary dumps untouched for a day (left by a crash).
 * Returns the names of the files it deleted.
 */
export async function applyRetention(dir: string, { retentionDays, now }: RetentionPolicy): Promise<string[]> {
  const removed: string[] = [];
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  const [, ...allButNewest] = await listGoodBackups(dir);
  for (const { file, manifest } of allButNewest) {
    if (Date.parse(manifest.createdAt) >= cutoff) continue;
    // The dump first: it is what takes the space, and without it the rest is no longer a backup.
    for (const name of [file, sidecarName(file), manifestName(file)]) {
      await rm(path.join(dir, name));
      removed.push(name);
    }
  }
  const partialCutoff = now.getTime() - DAY_MS;
  for (const name of await readdir(dir)) {
    if (!name.startsWith(PARTIAL_PREFIX)) continue;
    if ((await stat(path.join(dir, name))).mtimeMs >= partialCutoff) continue;
    await rm(path.join(dir, name));
    removed.push(name);
  }
  return removed;
}
