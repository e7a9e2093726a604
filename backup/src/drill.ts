/**
 * The restore drill proves a backup restores: it restores the dump into a scratch database
 * on the live server and checks what came back against the manifest and the live database.
 * Each drill is a `drill` run in backup_runs, and the scratch database is dropped whatever
 * happens. A drill that finds anything wrong logs one error line and throws DrillFailed.
 */
import type { Pool } from "../../app/src/platform/db/pool.js";
import type { Logger } from "../../app/src/platform/log.js";
import { runRestoreChecks, type CheckName, type DrillCheck } from "./drill-checks.js";
import { describeError } from "./drill-errors.js";
import { runPgRestore } from "./drill-pg-restore.js";
import { createScratchDatabase, DEFAULT_SCRATCH_PREFIX, dropScratchDatabase, scratchDatabaseName, urlOfDatabase } from "./drill-scratch.js";
import { takeBackup, type BackupUnderDrill, type DrillSource } from "./drill-source.js";
import { finishRun, startRun } from "./runs.js";

export type { DrillCheck } from "./drill-checks.js";
export type { DrillSource, FetchedBackup } from "./drill-source.js";

export interface DrillDeps {
  /** Owner-role pool of the live database: records the run, and its grants are the reference. */
  pool: Pool;
  /** A role that may CREATE DATABASE on the live database's server; the scratch database is made with it. */
  serverUrl: string;
  source: DrillSource;
  log: Logger;
  /** Scratch databases are named `<prefix>drill_<timestamp>_<random>`; twinflow_ unless set. */
  scratchPrefix?: string;
  now?: () => Date;
}

export interface DrillReport {
  runId: number;
  passed: boolean;
  startedAt: string;
  /** The dump's file name, once the source has produced one. */
  file: string | null;
  sizeBytes: number | null;
  scratchDatabase: string | null;
  scratchDropped: boolean;
  checks: DrillCheck[];
  /** Steps that failed outright (no backup, restore error, drop failed): one scrubbed line each. */
  errors: string[];
  /** restore: pg_restore alone; checks: the checks after it; total: the whole drill. */
  seconds: { restore: number | null; checks: number | null; total: number };
}

export class DrillFailed extends Error {
  override name = "DrillFailed";
  readonly mismatches: string[];

  constructor(readonly report: DrillReport) {
    const mismatches = drillMismatches(report);
    super(`restore drill failed: ${oneLine(mismatches)}`);
    this.mismatches = mismatches;
  }
}

export async function restoreDrill(deps: DrillDeps): Promise<DrillReport> {
  const startedAt = deps.now?.() ?? new Date();
  const started = performance.now();
  const runId = await startRun(deps.pool, "drill");
  const report: DrillReport = {
    runId,
    passed: false,
    startedAt: startedAt.toISOString(),
    file: null,
    sizeBytes: null,
    scratchDatabase: null,
    scratchDropped: false,
    checks: [],
    errors: [],
    seconds: { restore: null, checks: null, total: 0 },
  };
  // A failed step is recorded and the drill moves on to its cleanup; nothing is lost or logged twice.
  const record = (err: unknown) => {
    report.errors.push(describeError(err));
  };
  const backup = await takeBackup(deps.source).catch(record);
  if (backup) {
    report.file = backup.manifest.file;
    report.sizeBytes = backup.manifest.sizeBytes;
    if (backup.checksum) report.checks.push(backup.checksum);
    if (backup.checksum?.passed !== false) await drillInScratch(deps, backup, report, startedAt, record).catch(record);
    await backup.release().catch(record);
  }
  report.seconds.total = secondsSince(started);
  report.passed = drillMismatches(report).length === 0;
  return finish(deps, report);
}

/** Once a scratch database may exist, every failure is recorded and the drop still runs. */
async function drillInScratch(deps: DrillDeps, backup: BackupUnderDrill, report: DrillReport, startedAt: Date, record: (err: unknown) => void): Promise<void> {
  const name = scratchDatabaseName(deps.scratchPrefix ?? DEFAULT_SCRATCH_PREFIX, startedAt);
  report.scratchDatabase = name;
  const restoredUrl = urlOfDatabase(deps.serverUrl, name);
  try {
    await createScratchDatabase(deps.serverUrl, name);
    const restoreStarted = performance.now();
    await runPgRestore(backup.path, restoredUrl);
    report.seconds.restore = secondsSince(restoreStarted);
    const checksStarted = performance.now();
    report.checks.push(...(await runRestoreChecks({ restoredUrl, live: deps.pool, manifest: backup.manifest, log: deps.log })));
    report.seconds.checks = secondsSince(checksStarted);
  } catch (err) {
    record(err);
  }
  await dropScratchDatabase(deps.serverUrl, name).then(() => {
    report.scratchDropped = true;
  }, record);
}

async function finish(deps: DrillDeps, report: DrillReport): Promise<DrillReport> {
  const mismatches = drillMismatches(report);
  const context = { runId: report.runId, file: report.file, seconds: report.seconds, scratchDropped: report.scratchDropped };
  if (report.passed) deps.log.info(context, "restore drill passed");
  else deps.log.error(context, `restore drill failed: ${oneLine(mismatches)}`);
  await finishRun(deps.pool, report.runId, {
    status: report.passed ? "succeeded" : "failed",
    target: report.file ?? undefined,
    sizeBytes: report.sizeBytes ?? undefined,
    details: {
      checks: Object.fromEntries(report.checks.map((check) => [check.name, check.passed ? "passed" : "failed"])),
      mismatches,
      seconds: report.seconds,
      scratchDatabase: report.scratchDatabase,
      scratchDropped: report.scratchDropped,
    },
    error: report.passed ? undefined : oneLine(mismatches),
  });
  if (!report.passed) throw new DrillFailed(report);
  return report;
}

/** Everything that went wrong: failed steps, then each failed check's mismatches. */
function drillMismatches(report: DrillReport): string[] {
  return [...report.errors, ...report.checks.flatMap((check) => check.mismatches.map((mismatch) => `${CHECK_LABELS[check.name]}: ${mismatch}`))];
}

/** A log line and the run's error column stay readable when a restore lost hundreds of grants. */
const MAX_LISTED = 20;

function oneLine(mismatches: string[]): string {
  const listed = mismatches.slice(0, MAX_LISTED).join("; ");
  return mismatches.length > MAX_LISTED ? `${listed}; and ${mismatches.length - MAX_LISTED} more` : listed;
}

function secondsSince(start: number): number {
  return Math.round(performance.now() - start) / 1000;
}

const CHECK_LABELS: Record<CheckName, string> = {
  checksum: "checksum",
  schemaVersion: "schema version",
  rowCounts: "row counts",
  rowLevelSecurity: "row-level security",
  runtimeGrants: "runtime grants",
  canary: "canary",
};

/** The lines `make restore-drill` prints. */
export function formatDrillReport(report: DrillReport): string {
  const lines = [`restore drill ${report.passed ? "passed" : "FAILED"}: ${report.file ?? "no backup"} (run ${report.runId}, started ${report.startedAt})`];
  for (const check of report.checks) {
    lines.push(`  ${check.passed ? "ok    " : "FAILED"}  ${CHECK_LABELS[check.name].padEnd(18)}  ${check.summary}`);
    for (const mismatch of check.mismatches) lines.push(`            - ${mismatch}`);
  }
  for (const error of report.errors) lines.push(`  error   ${error}`);
  if (report.scratchDatabase) lines.push(`  scratch database ${report.scratchDatabase} ${report.scratchDropped ? "dropped" : "NOT dropped: drop it by hand"}`);
  const { restore, checks, total } = report.seconds;
  lines.push(`  restore ${formatSeconds(restore)}, checks ${formatSeconds(checks)}, total ${formatSeconds(total)}`);
  return lines.join("\n");
}

function formatSeconds(seconds: number | null): string {
  return seconds === null ? "-" : `${seconds.toFixed(2)} s`;
}
