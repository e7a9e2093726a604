/**
 * One local backup: canary, snapshot, pg_dump into a temporary file, the gates, then the good
 * name, and retention. Each run is recorded in backup_runs; a failure removes everything it
 * wrote, is logged once and thrown as BackupFailed.
 */
import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { inTransaction, type Pool } from "../../app/src/platform/db/pool.js";
import { serializeError, type Logger } from "../../app/src/platform/log.js";
import { scrubText } from "../../app/src/platform/scrub.js";
import { exportSnapshot, fsyncPath, partialDumpName, pgDumpSource, snapshotFacts, writeDump, type DumpSource } from "./dump.js";
import { GateFailed, runGates, streamingFullRead } from "./gates.js";
import { dumpFileName, manifestName, sidecarContent, sidecarName, type BackupManifest, type GateName, type GoodBackup } from "./manifest.js";
import { pgToolVersion } from "./pg-tools.js";
import { applyRetention } from "./retention.js";
import { finishRun, startRun } from "./runs.js";

export interface BackupDeps {
  /** Owner-role pool: the owner reads every tenant's rows (it owns the tables, so RLS does not apply). */
  pool: Pool;
  ownerUrl: string;
  dir: string;
  minBytes: number;
  minFraction: number;
  retentionDays: number;
  log: Logger;
  now?: () => Date;
  /** Where the dump's bytes come from: pg_dump of ownerUrl unless given. */
  dumpSource?: DumpSource;
}

export interface BackupResult {
  backup: GoodBackup;
  /** Files retention deleted. */
  removed: string[];
}

export type BackupStep = "start" | "canary" | "snapshot" | "dump" | GateName | "finalize" | "record";

export class BackupFailed extends Error {
  override name = "BackupFailed";
  constructor(
    readonly step: BackupStep,
    message: string,
  ) {
    super(scrubText(message).replace(/\s*\n\s*/g, " / "));
  }
}

/** The steps outside the gates: a gate's failure names the gate and says what to check itself. */
type PipelineStep = Exclude<BackupStep, GateName>;

/** What failed at each step, and what to check. */
const FAILURE: Record<PipelineStep, { what: string; check: string }> = {
  start: { what: "could not record the start of the backup run", check: "check that the database is reachable" },
  canary: { what: "could not write the backup canary", check: "check that the database is reachable and migrated" },
  snapshot: { what: "could not open the snapshot to dump", check: "check the database connection and the owner role" },
  dump: { what: "the dump could not be written", check: "check the database URL, the owner role, and that the backup directory exists and has free space" },
  finalize: { what: "could not give the dump its good name", check: "check free space and permissions in the backup directory" },
  record: { what: "the backup is good but its run could not be recorded", check: "check that the database is reachable" },
};

function failure(step: PipelineStep, err: unknown): BackupFailed {
  if (err instanceof BackupFailed) return err;
  if (err instanceof GateFailed) return new BackupFailed(err.gate, `${err.gate}: ${err.message}`);
  const { what, check } = FAILURE[step];
  return new BackupFailed(step, `${step}: ${what} (${serializeError(err).message}); ${check}`);
}

export async function runBackup(deps: BackupDeps): Promise<BackupResult> {
  const clock = deps.now ?? (() => new Date());
  let runId: number;
  try {
    runId = await startRun(deps.pool, "backup");
  } catch (err) {
    const failed = failure("start", err);
    deps.log.error({ step: failed.step }, failed.message);
    throw failed;
  }

  // Every file written for this dump, removed if it fails.
  const written: string[] = [];
  let backup: GoodBackup;
  try {
    backup = await takeGoodBackup(deps, clock, written);
  } catch (err) {
    // takeGoodBackup throws only BackupFailed, naming the step that failed.
    throw await recordFailure(deps, runId, err as BackupFailed, written);
  }

  // The backup is good whatever happens next; retention failing must not undo it.
  let retentionError: string | undefined;
  const removed = await applyRetention(deps.dir, { retentionDays: deps.retentionDays, now: clock() }).catch((err: unknown) => {
    retentionError = `retention: could not delete old backups (${serializeError(err).message}); check permissions in the backup directory`;
    deps.log.error({ runId, step: "retention" }, retentionError);
    return [];
  });
  const { manifest } = backup;
  try {
    await finishRun(deps.pool, runId, {
      status: "succeeded",
      target: backup.file,
      sizeBytes: manifest.sizeBytes,
      details: { gateSeconds: manifest.gateSeconds, rowCounts: manifest.rowCounts, removed, ...(retentionError ? { retentionError } : {}) },
    });
  } catch (err) {
    const failed = failure("record", err);
    deps.log.error({ runId, step: failed.step, file: backup.file }, failed.message);
    throw failed;
  }
  deps.log.info({ runId, file: backup.file, sizeBytes: manifest.sizeBytes, gateSeconds: manifest.gateSeconds, removed }, "backup written");
  return { backup, removed };
}

async function takeGoodBackup(deps: BackupDeps, clock: () => Date, written: string[]): Promise<GoodBackup> {
  let step: PipelineStep = "canary";
  try {
    const canary = randomBytes(16).toString("hex");
    // Committed before the snapshot, so the dump holds it and a restore can be recognised by it.
    await deps.pool.query("INSERT INTO backup_canaries (token) VALUES ($1)", [canary]);

    step = "snapshot";
    const partial = path.join(deps.dir, partialDumpName());
    const dumpSource = deps.dumpSource ?? pgDumpSource(deps.ownerUrl);
    const { snapshot, facts, dump, fullRead } = await inTransaction(
      deps.pool,
      async (client) => {
        const snapshot = await exportSnapshot(client, clock);
        step = "dump";
        written.push(partial);
        // The snapshot lives as long as this transaction: it closes only after pg_dump exits.
        // The fullRead gate reads the bytes as they are written; its verdict waits for its turn.
        const fullRead = streamingFullRead();
        // The counts and the dump read the same snapshot at the same time; both settle before
        // the transaction (and with it the snapshot) ends, whichever fails.
        const [facts, dump] = await Promise.allSettled([snapshotFacts(client), writeDump(partial, dumpSource(snapshot.id), fullRead.input)]);
        if (dump.status === "rejected") throw dump.reason;
        if (facts.status === "rejected") {
          step = "snapshot";
          throw facts.reason;
        }
        return { snapshot, facts: facts.value, fullRead, dump: dump.value };
      },
      "snapshot",
    );

    // A gate that fails says so in the GateFailed it throws.
    const gateSeconds = await runGates({ file: partial, sha256: dump.sha256, minBytes: deps.minBytes, minFraction: deps.minFraction, backupDir: deps.dir, fullRead: fullRead.result });

    step = "finalize";
    const file = dumpFileName(snapshot.takenAt, dump.sha256);
    const [pgDump, pgRestore] = await Promise.all([pgToolVersion("pg_dump"), pgToolVersion("pg_restore")]);
    const manifest: BackupManifest = {
      format: 1,
      file,
      createdAt: snapshot.takenAt.toISOString(),
      sizeBytes: dump.sizeBytes,
      sha256: dump.sha256,
      schemaVersion: facts.schemaVersion,
      rowCounts: facts.rowCounts,
      canary,
      tools: { pgDump, pgRestore, server: facts.serverVersion, node: process.version },
      gateSeconds,
    };
    await publish(deps.dir, partial, manifest, written);
    return { file, path: path.join(deps.dir, file), manifest };
  } catch (err) {
    throw failure(step, err);
  }
}

/** Sidecar and manifest first, each synced; the rename that gives the dump its good name comes last. */
async function publish(dir: string, partial: string, manifest: BackupManifest, written: string[]): Promise<void> {
  await createSyncedFile(path.join(dir, sidecarName(manifest.file)), sidecarContent(manifest.file, manifest.sha256), written);
  await createSyncedFile(path.join(dir, manifestName(manifest.file)), `${JSON.stringify(manifest, null, 2)}\n`, written);
  const final = path.join(dir, manifest.file);
  written.push(final);
  await rename(partial, final);
  await fsyncPath(dir);
}

/** Never replaces an existing file: a name taken by another backup is not this one's to overwrite. */
async function createSyncedFile(file: string, content: string, written: string[]): Promise<void> {
  await writeFile(file, content, { flag: "wx", mode: 0o600 }).catch((err: NodeJS.ErrnoException) => {
    // Anything but a name already taken may have left part of the file behind.
    if (err.code !== "EEXIST") written.push(file);
    throw err;
  });
  written.push(file);
  await fsyncPath(file);
}

/** Removes what the failed dump left, records the run as failed and logs one line; returns what to throw. */
async function recordFailure(deps: BackupDeps, runId: number, failed: BackupFailed, written: string[]): Promise<BackupFailed> {
  let message = failed.message;
  for (const file of written) {
    await rm(file, { force: true }).catch((err: Error) => {
      message += `; could not remove ${file} (${err.message})`;
    });
  }
  await finishRun(deps.pool, runId, { status: "failed", error: message }).catch((err: unknown) => {
    message += `; the failure could not be recorded in backup_runs (${serializeError(err).message})`;
  });
  deps.log.error({ runId, step: failed.step }, message);
  return message === failed.message ? failed : new BackupFailed(failed.step, message);
}
