import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { devNull, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogLength, dumpDatabase, pgRestoreSucceeds, writePrefix, writeWithFlippedBit } from "../../test/backup/dumps.js";
import { seedEventLog } from "../../test/backup/event-log.js";
import { writeFakeGoodBackup } from "../../test/backup/fake-backups.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/database.js";
import { checkCatalog, checkChecksum, checkFullRead, checkSizeFloor, GateFailed, runGates, type GateCandidate } from "./gates.js";
import { GATES } from "./manifest.js";
import type { WrittenDump } from "./dump.js";

let db: TestDatabase;
let dir: string;
let real: string;
let written: WrittenDump;
let catalogEnd: number;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedEventLog(db.owner, { items: 200, eventsPerItem: 25 });
  dir = await mkdtemp(path.join(tmpdir(), "twinflow-gates-"));
  real = path.join(dir, "real.dump");
  written = await dumpDatabase(db.ownerUrl, real);
  catalogEnd = await catalogLength(real, path.join(dir, "prefix.dump"));
});

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Judged against the good backups in `dir`: none, unless a test writes some. */
const candidate = (file: string, overrides: Partial<GateCandidate> = {}): GateCandidate => ({
  file,
  sha256: written.sha256,
  minBytes: 1024,
  minFraction: 0.5,
  backupDir: dir,
  ...overrides,
});

/** A directory whose newest good backup has this size. */
async function backupDirWithNewest(sizeBytes: number): Promise<{ backupDir: string; newest: string }> {
  const backupDir = await mkdtemp(path.join(dir, "backups-"));
  await writeFakeGoodBackup(backupDir, new Date("2026-11-27T02:17:00Z"), sizeBytes * 4);
  return { backupDir, newest: await writeFakeGoodBackup(backupDir, new Date("2026-11-28T02:17:00Z"), sizeBytes) };
}

async function gateError(check: Promise<void>): Promise<GateFailed> {
  const err = await check.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(err).toBeInstanceOf(GateFailed);
  return err as GateFailed;
}

describe("gates on real pg_dump output", () => {
  it("pass a sound dump, timing each gate in order", async () => {
    const { backupDir } = await backupDirWithNewest(written.sizeBytes);
    const seconds = await runGates(candidate(real, { backupDir }));
    expect(Object.keys(seconds)).toEqual([...GATES]);
    for (const gate of GATES) expect(seconds[gate]).toBeGreaterThanOrEqual(0);
  });

  it("name the gate that could not run at all", async () => {
    const missing = await gateError(runGates(candidate(path.join(dir, "missing.dump"))).then(() => undefined));
    expect(missing.gate).toBe("sizeFloor");
    expect(missing.message).toMatch(/^the sizeFloor gate could not run \(ENOENT: no such file or directory/);
  });

  it("sizeFloor: fails an empty file, and a dump under the fraction of the newest good backup", async () => {
    const empty = path.join(dir, "empty.dump");
    await writeFile(empty, "");
    const tooSmall = await gateError(checkSizeFloor(candidate(empty)));
    expect(tooSmall.gate).toBe("sizeFloor");
    expect(tooSmall.message).toMatch(/0 bytes, below the minimum of 1024/);

    const tripled = await backupDirWithNewest(written.sizeBytes * 3);
    const shrunk = await gateError(checkSizeFloor(candidate(real, { backupDir: tripled.backupDir })));
    expect(shrunk.message).toContain(`under 50% of the newest good backup ${tripled.newest} (${written.sizeBytes * 3} bytes)`);
    // Measured against the newest only: an older, larger one does not count.
    await checkSizeFloor(candidate(real, { backupDir: (await backupDirWithNewest(Math.floor(written.sizeBytes * 1.9))).backupDir }));
  });

  it("catalog: fails a file cut inside its catalog, and a dump without a core table's data", async () => {
    const cut = path.join(dir, "cut-in-catalog.dump");
    await writePrefix(real, Math.floor(catalogEnd / 2), cut);
    const unreadable = await gateError(checkCatalog(cut));
    expect(unreadable.gate).toBe("catalog");
    expect(unreadable.message).toMatch(/pg_restore --list cannot read the dump's catalog \(pg_restore exited with code 1: pg_restore: error: /);

    const withoutEvents = path.join(dir, "without-events.dump");
    await dumpDatabase(db.ownerUrl, withoutEvents, ["--exclude-table-data=events"]);
    const missing = await gateError(checkCatalog(withoutEvents));
    expect(missing.message).toMatch(/^the dump's catalog has no data for events:/);
  });

  it("fullRead: fails what --list passes, a dump truncated after its catalog and one with a flipped bit", async () => {
    const truncated = path.join(dir, "truncated.dump");
    await writePrefix(real, catalogEnd, truncated);
    const flipped = path.join(dir, "flipped.dump");
    // The middle of the data: past the catalog, halfway to the end.
    await writeWithFlippedBit(real, catalogEnd + Math.floor((written.sizeBytes - catalogEnd) / 2), flipped);

    // Measured, and asserted on every run: bare `pg_restore --list` exits 0 for both damaged
    // files and bare `pg_restore -f /dev/null` exits 1. With pg_restore 15.20 on this seed (a
    // 339 kB dump whose catalog ends at byte 62 699) the full read reports "could not find
    // block ID 3600 in archive" for the truncated file and "could not uncompress data:
    // incorrect data check" for the flipped bit.
    for (const damaged of [truncated, flipped]) {
      expect(await pgRestoreSucceeds(["--list"], damaged)).toBe(true);
      expect(await pgRestoreSucceeds(["--file", devNull], damaged)).toBe(false);
      await checkCatalog(damaged);
      const unread = await gateError(checkFullRead(damaged));
      expect(unread.gate).toBe("fullRead");
    }
    expect((await gateError(checkFullRead(truncated))).message).toMatch(/pg_restore: error: (could not find block ID|could not read from input file)/);
    expect((await gateError(checkFullRead(flipped))).message).toMatch(/pg_restore: error: /);
    await checkFullRead(real);
  });

  it("checksum: fails a file that changed after it was written", async () => {
    const flipped = path.join(dir, "changed.dump");
    await writeWithFlippedBit(real, (await stat(real)).size - 1, flipped);
    const changed = await gateError(checkChecksum(flipped, written.sha256));
    expect(changed.gate).toBe("checksum");
    expect(changed.message).toContain(`differs from what was written (${written.sha256})`);
    await checkChecksum(real, written.sha256);
  });
});
