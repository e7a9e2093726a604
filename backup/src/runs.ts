/**
 * The record of what the backup process did (table backup_runs): each backup, off-site
 * upload and drill starts a run and finishes it once, succeeded or failed, with its details.
 */
import type { Pool } from "../../app/src/platform/db/pool.js";

export type RunKind = "backup" | "offsite" | "drill";

export interface RunOutcome {
  status: "succeeded" | "failed";
  target?: string;
  sizeBytes?: number;
  details?: Record<string, unknown>;
  /** One line, already scrubbed: which step failed and why. */
  error?: string;
}

export async function startRun(pool: Pool, kind: RunKind, target?: string): Promise<number> {
  const { rows } = await pool.query<{ id: string }>("INSERT INTO backup_runs (kind, status, target) VALUES ($1, 'running', $2) RETURNING id", [kind, target ?? null]);
  return Number(rows[0]!.id);
}

export async function finishRun(pool: Pool, id: number, outcome: RunOutcome): Promise<void> {
  await pool.query(
    `UPDATE backup_runs SET status = $2, finished_at = now(), target = coalesce($3, target), size_bytes = $4, details = $5, error = $6
      WHERE id = $1`,
    [id, outcome.status, outcome.target ?? null, outcome.sizeBytes ?? null, JSON.stringify(outcome.details ?? {}), outcome.error ?? null],
  );
}

export interface RunSummary {
  kind: RunKind;
  status: "running" | "succeeded" | "failed";
  startedAt: Date;
  finishedAt: Date | null;
  sizeBytes: number | null;
}

export interface BackupStatus {
  /** The newest run of each kind, whatever its outcome. */
  latest: Partial<Record<RunKind, RunSummary>>;
  /** The newest succeeded run of each kind. */
  lastGood: Partial<Record<RunKind, RunSummary>>;
}

/** Readable by the runtime role too (times, outcomes and sizes only). */
export async function backupStatus(pool: Pool): Promise<BackupStatus> {
  const { rows } = await pool.query<{ kind: RunKind; status: RunSummary["status"]; started_at: Date; finished_at: Date | null; size_bytes: string | null; newest_good: boolean }>(
    // Only the columns granted to the runtime role.
    `(SELECT DISTINCT ON (kind) kind, status, started_at, finished_at, size_bytes, false AS newest_good
        FROM backup_runs ORDER BY kind, started_at DESC)
     UNION ALL
     (SELECT DISTINCT ON (kind) kind, status, started_at, finished_at, size_bytes, true
        FROM backup_runs WHERE status = 'succeeded' ORDER BY kind, finished_at DESC)`,
  );
  const status: BackupStatus = { latest: {}, lastGood: {} };
  for (const row of rows) {
    const summary: RunSummary = {
      kind: row.kind,
      status: row.status,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    };
    (row.newest_good ? status.lastGood : status.latest)[row.kind] = summary;
  }
  return status;
}
