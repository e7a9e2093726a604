/**
 * `twinflow backup` (the compose service: nightly backup and off-site copy, weekly restore
 * drill, on node-cron), `twinflow backup-now` (`make backup`) and `twinflow restore-drill`
 * (`make restore-drill`). Each run is recorded in backup_runs and fails loudly: one error
 * line, and a non-zero exit for the one-shot commands.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import cron from "node-cron";
import { BackupFailed, runBackup } from "../../../backup/src/backup.js";
import { DrillFailed, formatDrillReport, restoreDrill, type DrillSource } from "../../../backup/src/drill.js";
import { describeError } from "../../../backup/src/drill-errors.js";
import type { GoodBackup } from "../../../backup/src/manifest.js";
import { copyOffsite } from "../../../backup/src/offsite/copy.js";
import { downloadNewest } from "../../../backup/src/offsite/download.js";
import { checkOffsiteKey } from "../../../backup/src/offsite/preflight.js";
import { createOffsiteS3 } from "../../../backup/src/offsite/s3-client.js";
import { finishRun, startRun, backupStatus } from "../../../backup/src/runs.js";
import { registerBackupStatus } from "../../../backup/src/status-metrics.js";
import { ConfigError, type Config, type OffsiteConfig } from "../config.js";
import { createPool, type Pool } from "../platform/db/pool.js";
import { createLogger, type Logger } from "../platform/log.js";
import { createMetricsRegistry, startMetricsServer } from "../platform/metrics.js";
import { watchStopSignals } from "./runtime.js";

interface BackupContext {
  config: Config;
  ownerUrl: string;
  pool: Pool;
  log: Logger;
}

async function withBackupContext<T>(config: Config, role: string, fn: (context: BackupContext) => Promise<T>): Promise<T> {
  const ownerUrl = config.databaseOwnerUrl;
  if (!ownerUrl) throw new ConfigError([`DATABASE_OWNER_URL is missing: \`twinflow ${role}\` dumps every tenant's rows, which only the owner role may read`]);
  const log = createLogger({ level: config.logLevel, name: `twinflow-${role}` });
  const pool = createPool({ connectionString: ownerUrl, max: 3, applicationName: `twinflow-${role}`, log });
  try {
    return await fn({ config, ownerUrl, pool, log });
  } finally {
    await pool.end();
  }
}

/** One night's work: the gated dump, then its off-site copy. True when both succeeded. */
async function backupAndCopy(context: BackupContext): Promise<boolean> {
  const { config, pool, log } = context;
  let backup: GoodBackup;
  try {
    const { dir, minBytes, minFraction, retentionDays } = config.backup;
    // The first run makes the directory, readable by this user only: dumps hold every tenant's data.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    ({ backup } = await runBackup({ pool, ownerUrl: context.ownerUrl, dir, minBytes, minFraction, retentionDays, log }));
  } catch (err) {
    // The pipeline has recorded and logged the failure once.
    if (err instanceof BackupFailed) return false;
    throw err;
  }
  const offsite = config.backup.offsite;
  if (!offsite) {
    log.info({ file: backup.file }, "backup kept locally; no off-site bucket is configured (B2_BUCKET)");
    return true;
  }
  return copyRecorded(backup, offsite, context);
}

async function copyRecorded(backup: GoodBackup, offsite: OffsiteConfig, { config, pool, log }: BackupContext): Promise<boolean> {
  const runId = await startRun(pool, "offsite", backup.file);
  const client = offsiteClient(offsite);
  try {
    const outcome = await copyOffsite(backup, { config: offsite, encryptionKey: config.backup.encryptionKey, log, client });
    await finishRun(pool, runId, { status: "succeeded", target: outcome.target, sizeBytes: outcome.sizeBytes, details: outcome.details });
    log.info({ target: outcome.target, sizeBytes: outcome.sizeBytes, encrypted: outcome.details.encrypted }, "off-site copy uploaded and verified");
    return true;
  } catch (err) {
    // Scrubbed like a log line: the run record is read by operators and the status page.
    const error = `offsite: ${describeError(err)}`;
    await finishRun(pool, runId, { status: "failed", error });
    log.error({ err }, "off-site copy failed");
    return false;
  } finally {
    client.destroy();
  }
}

/** Path-style addressing, which B2 serves as well as virtual hosts, so one form works everywhere. */
const offsiteClient = (offsite: OffsiteConfig) => createOffsiteS3(offsite, { forcePathStyle: true });

/** The newest good local backup, or with `from: "offsite"` the newest off-site copy, downloaded and checked. */
async function drill(context: BackupContext, from: "local" | "offsite"): Promise<boolean> {
  const { config, pool, log, ownerUrl } = context;
  const source = from === "local" ? ({ kind: "local", dir: config.backup.dir } as const) : offsiteSource(config, log);
  try {
    const report = await restoreDrill({ pool, serverUrl: ownerUrl, source, log });
    process.stdout.write(`${formatDrillReport(report)}\n`);
    return true;
  } catch (err) {
    if (!(err instanceof DrillFailed)) throw err;
    process.stdout.write(`${formatDrillReport(err.report)}\n`);
    return false;
  }
}

function offsiteSource(config: Config, log: Logger): DrillSource {
  const offsite = config.backup.offsite;
  if (!offsite) throw new ConfigError(["B2_BUCKET is not set: a drill from the off-site copy needs the bucket settings (docs/backups.md)"]);
  return {
    kind: "fetched",
    async fetch() {
      const dir = await mkdtemp(path.join(tmpdir(), "twinflow-drill-"));
      const client = offsiteClient(offsite);
      try {
        const downloaded = await downloadNewest({ client, config: offsite, encryptionKey: config.backup.encryptionKey, dir, log });
        return { path: downloaded.path, manifest: downloaded.manifest, cleanup: () => rm(dir, { recursive: true, force: true }) };
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      } finally {
        client.destroy();
      }
    },
  };
}

/** `twinflow backup-now`: one backup and its off-site copy; exits non-zero when either failed. */
export async function runBackupNow(config: Config): Promise<number> {
  return (await withBackupContext(config, "backup-now", backupAndCopy)) ? 0 : 1;
}

/**
 * `twinflow check-offsite-key`: whether the B2 key is fit for an append-only copy, asked of
 * B2 as the copy asks it; provisioning runs it before it enables the schedule. Needs no database.
 */
export async function runCheckOffsiteKey(config: Config): Promise<number> {
  const offsite = config.backup.offsite;
  if (!offsite) throw new ConfigError(["B2_BUCKET is not set: there is no off-site key to check (docs/backups.md)"]);
  const log = createLogger({ level: config.logLevel, name: "twinflow-check-offsite-key" });
  try {
    await checkOffsiteKey(offsite, { log });
    return 0;
  } catch (err) {
    // The refusal says what the key may do that it must not, or why B2 did not answer.
    log.error({ err }, "the off-site key cannot be used for an append-only copy");
    return 1;
  }
}

/** `twinflow restore-drill [--from offsite]` */
export async function runRestoreDrill(config: Config, args: readonly string[]): Promise<number> {
  const from = drillOrigin(args);
  return (await withBackupContext(config, "restore-drill", (context) => drill(context, from))) ? 0 : 1;
}

function drillOrigin(args: readonly string[]): "local" | "offsite" {
  if (args.length === 0 || (args.length === 2 && args[0] === "--from" && args[1] === "local")) return "local";
  if (args.length === 2 && args[0] === "--from" && args[1] === "offsite") return "offsite";
  throw new ConfigError([`restore-drill takes no arguments or --from local|offsite, not "${args.join(" ")}"`]);
}

/**
 * `twinflow backup`: the long-running service. One job at a time (a drill never restores a
 * dump being written); a run that is due while another runs is skipped and logged.
 */
export async function runBackupService(config: Config): Promise<void> {
  const stopRequested = watchStopSignals();
  await withBackupContext(config, "backup", async (context) => {
    const { log, pool } = context;
    let running: Promise<unknown> | undefined;
    const exclusive = (name: string, job: () => Promise<unknown>) => () => {
      if (running) {
        log.warn({ job: name }, "skipped: another backup job is still running");
        return;
      }
      running = job()
        .catch((err: unknown) => log.error({ err, job: name }, "backup job failed"))
        .finally(() => (running = undefined));
    };
    const tasks = [
      cron.schedule(config.backup.schedule, exclusive("backup", () => backupAndCopy(context)), { name: "backup" }),
      cron.schedule(config.backup.drillSchedule, exclusive("restore-drill", () => drill(context, "local")), { name: "restore-drill" }),
    ];
    const metrics = createMetricsRegistry();
    registerBackupStatus(metrics, pool, log);
    const server = await startMetricsServer({ host: config.metricsHost, port: config.metricsPort, registry: metrics, log, status: () => backupStatus(pool) });
    log.info({ schedule: config.backup.schedule, drillSchedule: config.backup.drillSchedule, dir: config.backup.dir, offsite: Boolean(config.backup.offsite) }, "backup service ready");
    const signal = await stopRequested;
    log.info({ signal }, "shutting down after the running job, if any");
    await Promise.all(tasks.map((task) => task.stop()));
    await running;
    await server.close();
    log.info("backup service stopped");
  });
}
