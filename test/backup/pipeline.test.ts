import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupFailed, runBackup, type BackupDeps, type BackupStep } from "../../backup/src/backup.js";
import { pgDumpSource, type DumpSource } from "../../backup/src/dump.js";
import { CORE_TABLES, GATES, isGoodDumpName, listGoodBackups, sidecarName, type GoodBackup } from "../../backup/src/manifest.js";
import { MIGRATIONS_DIR } from "../../app/src/main.js";
import { createLogger } from "../../app/src/platform/log.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { backupFiles, writeFakeGoodBackup } from "./fake-backups.js";
import { catalogLength, dumpDatabase, rowsInDump, writePrefix, writeWithFlippedBit } from "./dumps.js";
import { addEvents, seedEventLog } from "./event-log.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const execFileAsync = promisify(execFile);

let db: TestDatabase;
let tenantId: string;
/** The backup directory. */
let dir: string;
/** Damaged dumps are made here, outside the backup directory. */
let scratch: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ tenantId } = await seedEventLog(db.owner, { items: 200, eventsPerItem: 25 }));
  dir = await mkdtemp(path.join(tmpdir(), "twinflow-backups-"));
  scratch = await mkdtemp(path.join(tmpdir(), "twinflow-damaged-"));
});

afterAll(async () => {
  await db?.drop();
  for (const tmp of [dir, scratch]) if (tmp) await rm(tmp, { recursive: true, force: true });
});

function captureLog() {
  const lines: string[] = [];
  const log = createLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } });
  const records = () => lines.map((line) => JSON.parse(line) as { level: number; msg: string });
  return { log, output: () => lines.join(""), errors: () => records().filter((record) => record.level >= 50) };
}

function depsFor(database: TestDatabase, overrides: Partial<BackupDeps> = {}) {
  const captured = captureLog();
  const deps: BackupDeps = { pool: database.owner, ownerUrl: database.ownerUrl, dir, minBytes: 1024, minFraction: 0.5, retentionDays: 14, log: captured.log, ...overrides };
  return { deps, ...captured };
}

async function latestRun(pool: pg.Pool) {
  const { rows } = await pool.query<{ status: string; target: string | null; size_bytes: string | null; details: Record<string, unknown>; error: string | null }>(
    "SELECT status, target, size_bytes, details, error FROM backup_runs WHERE kind = 'backup' ORDER BY id DESC LIMIT 1",
  );
  return rows[0]!;
}

async function currentCounts(pool: pg.Pool): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of CORE_TABLES) {
    const { rows } = await pool.query<{ count: string }>(`SELECT count(*) FROM ${table}`);
    counts[table] = Number(rows[0]!.count);
  }
  return counts;
}

/** Feeds the pipeline a file in place of pg_dump's output. */
const fileSource =
  (file: string): DumpSource =>
  () => ({ stream: createReadStream(file), finished: Promise.resolve() });

const listing = async () => (await readdir(dir)).sort();

describe("runBackup", () => {
  /** The newest good backup so far. */
  let good: GoodBackup;
  /** Every good backup written so far, oldest first. */
  const written: string[] = [];
  /** Older than the window: a failed run must not reach retention, which would delete it. */
  let old: string;

  it("writes a good backup that passed every gate, and records it", async () => {
    const { deps, errors, output } = depsFor(db);
    const { backup, removed } = await runBackup(deps);
    good = backup;
    written.push(backup.file);

    expect(isGoodDumpName(backup.file)).toBe(true);
    expect((await listGoodBackups(dir)).map((found) => found.file)).toEqual([backup.file]);
    expect(await listing()).toEqual(backupFiles(backup.file).sort());
    expect(removed).toEqual([]);
    expect((await stat(backup.path)).mode & 0o777).toBe(0o600);
    const { stdout } = await execFileAsync("sha256sum", ["--check", sidecarName(backup.file)], { cwd: dir });
    expect(stdout).toBe(`${backup.file}: OK\n`);

    const { manifest } = backup;
    const counts = await currentCounts(db.owner);
    expect(manifest.rowCounts).toEqual(counts);
    for (const table of CORE_TABLES) expect(counts[table]).toBeGreaterThan(0);
    expect(await rowsInDump(backup.path)).toMatchObject(counts);
    expect(manifest.sizeBytes).toBe((await stat(backup.path)).size);
    // The version of the newest migration: the one the database was migrated to.
    const migrations = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith(".sql")).sort();
    expect(manifest.schemaVersion).toBe(Number.parseInt(migrations.at(-1)!, 10));
    expect(Object.keys(manifest.gateSeconds)).toEqual([...GATES]);
    expect(manifest.tools.pgDump).toMatch(/^pg_dump \(PostgreSQL\) 15\./);
    expect(manifest.tools.server).toMatch(/^15\./);

    // The canary is in the manifest and in the dump's copy of backup_canaries.
    expect(manifest.canary).toMatch(/^[0-9a-f]{32}$/);
    const canaries = await db.owner.query("SELECT 1 FROM backup_canaries WHERE token = $1", [manifest.canary]);
    expect(canaries.rowCount).toBe(1);
    const canaryData = await execFileAsync("pg_restore", ["--data-only", "--table=backup_canaries", "--file=-", backup.path]);
    expect(canaryData.stdout).toContain(manifest.canary);

    const run = await latestRun(db.owner);
    expect(run).toMatchObject({ status: "succeeded", target: backup.file, size_bytes: String(manifest.sizeBytes), error: null });
    expect(run.details).toEqual({ gateSeconds: manifest.gateSeconds, rowCounts: counts, removed: [] });
    expect(errors()).toEqual([]);
    expect(output()).toContain('"msg":"backup written"');
  });

  it("counts rows in the snapshot pg_dump reads, whatever is written meanwhile", async () => {
    const before = await currentCounts(db.owner);
    let writing: Promise<void> | undefined;
    // 200 events committed once the snapshot is exported, racing pg_dump.
    const dumpWhileWriting: DumpSource = (snapshotId) => {
      writing = addEvents(db.owner, tenantId, 1);
      return pgDumpSource(db.ownerUrl)(snapshotId);
    };
    const { deps } = depsFor(db, { dumpSource: dumpWhileWriting });
    const { backup } = await runBackup(deps);
    await writing;

    expect((await currentCounts(db.owner)).events).toBe(before.events! + 200);
    expect(backup.manifest.rowCounts.events).toBe(before.events);
    expect((await rowsInDump(backup.path)).events).toBe(before.events);
    good = backup;
    written.push(backup.file);
  });

  describe("failing", () => {
    /** Where the good backup's catalog ends and its data begins. */
    let catalogEnd: number;

    beforeAll(async () => {
      old = await writeFakeGoodBackup(dir, new Date(Date.now() - 60 * DAY_MS));
      catalogEnd = await catalogLength(good.path, path.join(scratch, "prefix.dump"));
    });

    /** Runs a backup that must fail at `step`, leaving the directory as it was, recorded and logged once. */
    async function expectFailure(database: TestDatabase, step: BackupStep, overrides: Partial<BackupDeps>) {
      const before = await listing();
      const { deps, errors, output } = depsFor(database, overrides);
      const err = await runBackup(deps).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(err).toBeInstanceOf(BackupFailed);
      const failed = err as BackupFailed;
      expect(failed.step).toBe(step);
      expect(failed.message).toMatch(new RegExp(`^${step}: `));
      expect(failed.message).not.toContain("\n");
      expect(await listing()).toEqual(before);
      expect(before).toEqual(expect.arrayContaining(backupFiles(old)));
      expect(await latestRun(database.owner)).toMatchObject({ status: "failed", error: failed.message, target: null });
      expect(errors()).toHaveLength(1);
      expect(errors()[0]!.msg).toBe(failed.message);
      return { failed, output: output() };
    }

    it("an empty dump fails the size floor", async () => {
      const empty = path.join(scratch, "empty.dump");
      await writeFile(empty, "");
      const { failed } = await expectFailure(db, "sizeFloor", { dumpSource: fileSource(empty) });
      expect(failed.message).toContain("the dump is 0 bytes, below the minimum of 1024");
    });

    it("a dump missing a core table's data fails the catalog", async () => {
      const withoutEvents = path.join(scratch, "without-events.dump");
      await dumpDatabase(db.ownerUrl, withoutEvents, ["--exclude-table-data=events"]);
      // The fraction rule would stop this smaller dump first; switched off to reach the catalog.
      const { failed } = await expectFailure(db, "catalog", { dumpSource: fileSource(withoutEvents), minFraction: 0 });
      expect(failed.message).toContain("the dump's catalog has no data for events");
    });

    it("a dump truncated right after its catalog fails the full read", async () => {
      const truncated = path.join(scratch, "truncated.dump");
      await writePrefix(good.path, catalogEnd, truncated);
      // Here too the fraction rule would stop it first.
      const { failed } = await expectFailure(db, "fullRead", { dumpSource: fileSource(truncated), minFraction: 0 });
      expect(failed.message).toContain("pg_restore cannot read the dump through to its end");
    });

    it("a dump with a bit flipped in the middle of its data fails the full read", async () => {
      const flipped = path.join(scratch, "flipped.dump");
      await writeWithFlippedBit(good.path, catalogEnd + Math.floor((good.manifest.sizeBytes - catalogEnd) / 2), flipped);
      const { failed } = await expectFailure(db, "fullRead", { dumpSource: fileSource(flipped) });
      expect(failed.message).toMatch(/pg_restore exited with code 1: pg_restore: error: /);
    });

    it("a dump of the wrong (empty) database fails the size floor against the last good backup", async () => {
      const empty = await createTestDatabase();
      try {
        const { failed } = await expectFailure(empty, "sizeFloor", {});
        expect(failed.message).toContain(`of the newest good backup ${good.file} (${good.manifest.sizeBytes} bytes): check that the backup points at the right database`);
      } finally {
        await empty.drop();
      }
    });

    it("a missing backup directory fails the dump", async () => {
      const { failed } = await expectFailure(db, "dump", { dir: path.join(scratch, "not-mounted") });
      expect(failed.message).toMatch(/^dump: the dump could not be written \(ENOENT: no such file or directory, open '.*\/not-mounted\/\.partial-[0-9a-f]{16}\.dump'\); check .* the backup directory exists/);
    });

    it("a pg_dump failure is reported with pg_dump's message and never the password", async () => {
      const password = "pw-canary-7d1e0c";
      const url = new URL(db.ownerUrl);
      url.password = password;
      url.pathname = "/twinflow_no_such_database";
      const { failed, output } = await expectFailure(db, "dump", { ownerUrl: url.toString() });
      expect(failed.message).toMatch(/pg_dump exited with code 1: pg_dump: error: connection to server .* database "twinflow_no_such_database" does not exist/);
      expect(failed.message).toContain("check the database URL");
      for (const text of [failed.message, output, (await latestRun(db.owner)).error]) expect(text).not.toContain(password);
      // The pool's own URL (with the test owner's password) never reaches the output either.
      expect(output).not.toContain(new URL(db.ownerUrl).password);
    });
  });

  it("after a good backup, retention deletes what is past the window, as the failed runs did not", async () => {
    const { deps } = depsFor(db);
    const { backup, removed } = await runBackup(deps);
    expect([...removed].sort()).toEqual(backupFiles(old).sort());
    const kept = await listGoodBackups(dir);
    expect(kept.map((found) => found.file)).toEqual([backup.file, ...[...written].reverse()]);
    expect(await listing()).toEqual(kept.flatMap((found) => backupFiles(found.file)).sort());
    expect((await latestRun(db.owner)).details.removed).toEqual(removed);
  });

  it("a retention failure keeps the new backup good and recorded, and is logged once", async () => {
    // An old backup whose dump is not a file cannot be deleted.
    const stuck = await writeFakeGoodBackup(dir, new Date(Date.now() - 60 * DAY_MS));
    await rm(path.join(dir, stuck));
    await mkdir(path.join(dir, stuck));
    await writeFile(path.join(dir, stuck, "inside"), "");
    const { deps, errors } = depsFor(db);
    const { backup, removed } = await runBackup(deps);

    expect(removed).toEqual([]);
    expect((await listGoodBackups(dir))[0]!.file).toBe(backup.file);
    const run = await latestRun(db.owner);
    expect(run).toMatchObject({ status: "succeeded", target: backup.file });
    expect(run.details.retentionError).toMatch(/^retention: could not delete old backups \(.*\); check permissions in the backup directory$/);
    expect(errors().map((record) => record.msg)).toEqual([run.details.retentionError]);
    await rm(path.join(dir, stuck), { recursive: true });
  });
});
