import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, inject, vi } from "vitest";
import { DrillFailed, formatDrillReport, restoreDrill, type DrillReport, type DrillSource } from "../../backup/src/drill.js";
import { createLogger } from "../../app/src/platform/log.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { ADMIN_DATABASE_URL, TEST_DATABASE_PREFIX } from "../support/services.js";
import { copyBackup, removeBackup, seedDrillDatabase, writeTestBackup, type BackupChange, type TestBackup } from "./drill-backup-fixture.js";

/** Named after the run, so the run's teardown drops a scratch database the drill failed to drop. */
const scratchPrefix = `${TEST_DATABASE_PREFIX}${inject("testRunId")}_`;

/** With trust auth the password is ignored; it is there to prove it reaches no log, report or run row. */
const serverUrl = (() => {
  const url = new URL(ADMIN_DATABASE_URL);
  url.password ||= "drill-unused-password";
  return url.toString();
})();
const serverPassword = decodeURIComponent(new URL(serverUrl).password);

let db: TestDatabase;
let backup: TestBackup;
const made: TestBackup[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  backup = await writeTestBackup(db, await seedDrillDatabase(db));
  made.push(backup);
});

afterEach(async () => {
  expect(await scratchDatabases()).toEqual([]);
});

afterAll(async () => {
  await Promise.all(made.map(removeBackup));
  await db?.drop();
});

async function variant(change: BackupChange): Promise<TestBackup> {
  const copy = await copyBackup(backup, change);
  made.push(copy);
  return copy;
}

interface DrillOutcome {
  report: DrillReport;
  failed: DrillFailed | undefined;
  /** Every log line, parsed. */
  logged: { level: number; msg: string }[];
  output: string;
}

async function drill(source: DrillSource): Promise<DrillOutcome> {
  const lines: string[] = [];
  const log = createLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } });
  const outcome = await restoreDrill({ pool: db.owner, serverUrl, source, log, scratchPrefix }).then(
    (report) => ({ report, failed: undefined }),
    (err: unknown) => {
      if (!(err instanceof DrillFailed)) throw err;
      return { report: err.report, failed: err };
    },
  );
  const output = [...lines, formatDrillReport(outcome.report), JSON.stringify(outcome.report)].join("\n");
  return { ...outcome, logged: lines.map((line) => JSON.parse(line) as { level: number; msg: string }), output };
}

const local = (from: TestBackup): DrillSource => ({ kind: "local", dir: from.dir });

async function scratchDatabases(): Promise<string[]> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [`${scratchPrefix}drill_`]);
    return rows.map((row) => row.datname);
  } finally {
    await admin.end();
  }
}

async function runRow(id: number) {
  const { rows } = await db.owner.query<{ kind: string; status: string; target: string | null; size_bytes: string | null; error: string | null; details: Record<string, unknown> }>(
    "SELECT kind, status, target, size_bytes, error, details FROM backup_runs WHERE id = $1",
    [id],
  );
  return rows[0]!;
}

const failedChecks = (report: DrillReport) => report.checks.filter((check) => !check.passed).map((check) => check.name);

/** A failed drill: the named checks (and no other) failed, one error line says why, the run is failed and the scratch database gone. */
async function expectFailure(outcome: DrillOutcome, checks: string[], mention: string): Promise<void> {
  expect(outcome.failed).toBeInstanceOf(DrillFailed);
  expect(failedChecks(outcome.report)).toEqual(checks);
  expect(outcome.failed!.mismatches.join("\n")).toContain(mention);
  expect(outcome.logged).toEqual([expect.objectContaining({ level: 50, msg: expect.stringContaining(mention) })]);
  expect(outcome.report.scratchDatabase === null || outcome.report.scratchDropped).toBe(true);
  const row = await runRow(outcome.report.runId);
  expect(row).toMatchObject({ kind: "drill", status: "failed", target: backup.file });
  expect(row.error).toContain(mention);
  expect(outcome.output).not.toContain(serverPassword);
}

describe("restore drill", () => {
  it("restores the newest good backup, passes every check, drops the scratch database and records a succeeded run", async () => {
    const outcome = await drill(local(backup));

    expect(outcome.failed).toBeUndefined();
    const { report } = outcome;
    expect(report.passed).toBe(true);
    expect(report.file).toBe(backup.file);
    expect(report.checks.map((check) => [check.name, check.passed])).toEqual([
      ["checksum", true],
      ["schemaVersion", true],
      ["rowCounts", true],
      ["rowLevelSecurity", true],
      ["runtimeGrants", true],
      ["canary", true],
    ]);
    expect(report.errors).toEqual([]);
    expect(report.scratchDatabase).toMatch(new RegExp(`^${scratchPrefix}drill_\\d{14}_[0-9a-f]{8}$`));
    expect(report.scratchDropped).toBe(true);
    expect(report.seconds.restore).toBeGreaterThan(0);
    expect(report.seconds.checks).toBeGreaterThan(0);
    expect(report.seconds.total).toBeGreaterThanOrEqual(report.seconds.restore! + report.seconds.checks!);

    expect(await runRow(report.runId)).toMatchObject({
      kind: "drill",
      status: "succeeded",
      target: backup.file,
      size_bytes: String(backup.manifest.sizeBytes),
      error: null,
      details: { scratchDropped: true, mismatches: [], checks: { rowCounts: "passed", canary: "passed" } },
    });
    expect(outcome.logged.map((line) => line.msg)).toEqual(["restore drill passed"]);
    const printed = formatDrillReport(report).split("\n");
    expect(printed[0]).toBe(`restore drill passed: ${backup.file} (run ${report.runId}, started ${report.startedAt})`);
    expect(printed.slice(-2)).toEqual([`  scratch database ${report.scratchDatabase} dropped`, expect.stringMatching(/^ {2}restore \d+\.\d\d s, checks \d+\.\d\d s, total \d+\.\d\d s$/)]);
    expect(outcome.output).not.toContain(serverPassword);
  });

  it("fails on a restored row count that differs from the manifest, naming the table", async () => {
    const events = backup.manifest.rowCounts.events;
    const edited = await variant({ manifest: { rowCounts: { ...backup.manifest.rowCounts, events: events + 1 } } });

    const outcome = await drill(local(edited));

    await expectFailure(outcome, ["rowCounts"], `events: ${events} rows restored, the manifest counted ${events + 1}`);
    expect(outcome.report.scratchDropped).toBe(true);
  });

  it("fails when the manifest's canary is not in the restored database", async () => {
    const outcome = await drill(local(await variant({ manifest: { canary: `canary-${randomUUID()}` } })));

    await expectFailure(outcome, ["canary"], "canary token is not in backup_canaries");
  });

  it("fails when the restored schema version is not the manifest's", async () => {
    const claimed = backup.manifest.schemaVersion + 1;

    const outcome = await drill(local(await variant({ manifest: { schemaVersion: claimed } })));

    await expectFailure(outcome, ["schemaVersion"], `restored schema version ${backup.manifest.schemaVersion}, the manifest says ${claimed}`);
  });

  it("refuses a dump whose sha256 does not match its sidecar, before restoring anything", async () => {
    const outcome = await drill(local(await variant({ flipBit: true })));

    await expectFailure(outcome, ["checksum"], "differs from its sidecar");
    expect(outcome.report.scratchDatabase).toBeNull();
    expect(outcome.report.seconds.restore).toBeNull();
  });

  it("fails on a dump of a database where a tenant table lost row-level security", async () => {
    const unprotected = await createTestDatabase();
    try {
      const canary = await seedDrillDatabase(unprotected);
      await unprotected.owner.query("ALTER TABLE events DISABLE ROW LEVEL SECURITY");
      const dump = await writeTestBackup(unprotected, canary);
      made.push(dump);

      const outcome = await drill(local(dump));

      expect(failedChecks(outcome.report)).toEqual(["rowLevelSecurity"]);
      expect(outcome.failed!.mismatches).toEqual(["row-level security: events: row-level security is not enabled"]);
      expect(outcome.logged).toEqual([expect.objectContaining({ level: 50 })]);
      expect(outcome.report.scratchDropped).toBe(true);
      expect(await runRow(outcome.report.runId)).toMatchObject({ status: "failed", target: dump.file });
    } finally {
      await unprotected.drop();
    }
  });

  it("restores a fetched backup and cleans the download up", async () => {
    const cleanup = vi.fn(async () => {});
    const fetch = vi.fn(async () => ({ path: backup.path, manifest: backup.manifest, cleanup }));

    const outcome = await drill({ kind: "fetched", fetch });

    expect(outcome.failed).toBeUndefined();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(cleanup).toHaveBeenCalledTimes(1);
    // The download verified its checksum itself.
    expect(outcome.report.checks.map((check) => check.name)).not.toContain("checksum");
    expect(outcome.report.file).toBe(backup.file);
  });

  it("cleans a fetched download up and drops the scratch database when pg_restore fails", async () => {
    const notADump = path.join(backup.dir, "not-a-dump");
    await writeFile(notADump, "this is not a pg_dump archive\n");
    const cleanup = vi.fn(async () => {});

    const outcome = await drill({ kind: "fetched", fetch: async () => ({ path: notADump, manifest: backup.manifest, cleanup }) });

    await expectFailure(outcome, [], "pg_restore failed: pg_restore: error: input file does not appear to be a valid archive");
    expect(outcome.report.errors).toHaveLength(1);
    expect(outcome.report.scratchDropped).toBe(true);
    expect(cleanup).toHaveBeenCalledTimes(1);
  });
});
