import { Gauge, type Registry } from "prom-client";
import type { Pool } from "../../app/src/platform/db/pool.js";
import type { Logger } from "../../app/src/platform/log.js";
import { backupStatus, type BackupStatus, type RunKind } from "./runs.js";

const KINDS: readonly RunKind[] = ["backup", "offsite", "drill"];

/**
 * Backup gauges, read from backup_runs on every scrape: how old the last good backup,
 * off-site copy and drill are, their sizes, and whether the newest run of each failed.
 * An alert on the age catches a backup process that stopped running at all.
 */
export function registerBackupStatus(registry: Registry, pool: Pool, log: Logger, now: () => Date = () => new Date()): void {
  let cached: Promise<BackupStatus | null> | undefined;
  // The three gauges are collected one after another in a scrape: one query serves them all.
  const read = () => {
    cached ??= backupStatus(pool)
      .catch((err: unknown) => {
        log.warn({ err }, "backup status could not be read; /metrics leaves it out");
        return null;
      })
      .finally(() => setImmediate(() => (cached = undefined)));
    return cached;
  };
  const gauge = (name: string, help: string, value: (status: BackupStatus, kind: RunKind) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ["kind"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const status = await read();
        if (!status) return;
        for (const kind of KINDS) {
          const measured = value(status, kind);
          if (measured !== undefined) this.set({ kind }, measured);
        }
      },
    });
  gauge("twinflow_backup_last_success_age_seconds", "Seconds since the last succeeded backup, off-site copy or drill finished.", (status, kind) => {
    const finished = status.lastGood[kind]?.finishedAt;
    return finished ? (now().getTime() - finished.getTime()) / 1000 : undefined;
  });
  gauge("twinflow_backup_last_success_size_bytes", "Size of the last succeeded backup, off-site copy or drill's dump.", (status, kind) => status.lastGood[kind]?.sizeBytes ?? undefined);
  gauge("twinflow_backup_latest_failed", "1 when the newest run of this kind failed, 0 when it succeeded or is running.", (status, kind) =>
    status.latest[kind] ? (status.latest[kind].status === "failed" ? 1 : 0) : undefined,
  );
}
