import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backupFiles, writeFakeGoodBackup } from "../../test/backup/fake-backups.js";
import { PARTIAL_PREFIX } from "./dump.js";
import { applyRetention } from "./retention.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const FIRST_NIGHT = Date.parse("2026-11-01T02:17:00Z");
const RETENTION_DAYS = 7;
/** Day 3 alone, a streak of nine (9–17) longer than the window, and day 25. */
const FAILING_DAYS = new Set([3, 9, 10, 11, 12, 13, 14, 15, 16, 17, 25]);

const night = (day: number) => new Date(FIRST_NIGHT + day * DAY_MS);
const sorted = (names: Iterable<string>) => [...names].sort();

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "twinflow-retention-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writePartial(name: string, modifiedAt: Date): Promise<void> {
  await writeFile(path.join(dir, name), "cut short");
  await utimes(path.join(dir, name), modifiedAt, modifiedAt);
}

describe("applyRetention", () => {
  it("keeps exactly the backups inside the window over a month of nightly runs, some failing", async () => {
    const kept = new Map<number, string>(); // day → its good backup's dump file
    const partials = new Map<number, string>(); // day → the temporary dump its killed run left
    for (let day = 0; day < 31; day++) {
      if (FAILING_DAYS.has(day)) {
        // A failed run never reaches retention; one killed mid-dump leaves its temporary file.
        const name = `${PARTIAL_PREFIX}${day}.dump`;
        await writePartial(name, new Date(night(day).getTime() + 30 * 60 * 1000));
        partials.set(day, name);
      } else {
        kept.set(day, await writeFakeGoodBackup(dir, night(day)));
        const removed = await applyRetention(dir, { retentionDays: RETENTION_DAYS, now: night(day) });
        const expectedRemoved: string[] = [];
        for (const [goodDay, file] of kept) {
          if (goodDay >= day - RETENTION_DAYS) continue;
          expectedRemoved.push(...backupFiles(file));
          kept.delete(goodDay);
        }
        // Written half an hour into its night, so more than a day old from the night after next.
        for (const [failedDay, name] of partials) {
          if (failedDay > day - 2) continue;
          expectedRemoved.push(name);
          partials.delete(failedDay);
        }
        expect(sorted(removed)).toEqual(sorted(expectedRemoved));
      }
      expect(sorted(await readdir(dir))).toEqual(sorted([...[...kept.values()].flatMap(backupFiles), ...partials.values()]));
      if (day === 17) {
        // Nine failed nights in a row: every backup is past the window, and all are still there.
        expect([...kept.keys()]).toEqual([1, 2, 4, 5, 6, 7, 8]);
      }
    }
    expect([...kept.keys()]).toEqual([23, 24, 26, 27, 28, 29, 30]);
    expect([...partials.keys()]).toEqual([]);
  });

  it("keeps the newest good backup even when every backup is older than the window", async () => {
    const files = [];
    for (const day of [0, 1, 2]) files.push(await writeFakeGoodBackup(dir, night(day)));
    await writeFile(path.join(dir, "operator-notes.txt"), "not a backup");

    const removed = await applyRetention(dir, { retentionDays: RETENTION_DAYS, now: night(100) });

    expect(sorted(removed)).toEqual(sorted([...backupFiles(files[0]!), ...backupFiles(files[1]!)]));
    expect(sorted(await readdir(dir))).toEqual(sorted([...backupFiles(files[2]!), "operator-notes.txt"]));
  });

  it("keeps a backup exactly retentionDays old, and a temporary dump less than a day old", async () => {
    const edge = await writeFakeGoodBackup(dir, night(0));
    const newest = await writeFakeGoodBackup(dir, night(RETENTION_DAYS));
    await writePartial(`${PARTIAL_PREFIX}recent.dump`, new Date(night(RETENTION_DAYS).getTime() - DAY_MS + 1000));

    expect(await applyRetention(dir, { retentionDays: RETENTION_DAYS, now: night(RETENTION_DAYS) })).toEqual([]);
    expect(sorted(await readdir(dir))).toEqual(sorted([...backupFiles(edge), ...backupFiles(newest), `${PARTIAL_PREFIX}recent.dump`]));
  });
});
