import { withTenant } from "../platform/db/tenant.js";
import type { ScanJob, ScanJobRunner } from "./queue.js";
import { runScan, type ScanDeps } from "./runner.js";
import type { ScanMetrics } from "./scan-metrics.js";
import type { ScanEndStatus } from "./scan-records.js";
import { refreshScanOutput } from "./scan-output-store.js";

/**
 * A scan job: the scan, then the analytics step, which brings the connection's scan output
 * up to date whenever the scan stored anything (from the items it changed, when the worker
 * kept the connection's analysis). The step runs apart
 * from the scan so the scan's memory stays that of a page; a failure in it does not undo
 * the scan (the event log is stored, and the pages keep the previous output).
 */
export async function scanAndAnalyze(deps: ScanDeps, job: ScanJob, signal: AbortSignal): Promise<ScanEndStatus> {
  const status = await runScan(deps, job, signal);
  if (status !== "succeeded" && status !== "partial") return status;
  const log = deps.log.child({ scanId: job.scanId, connectionId: job.connectionId });
  const started = performance.now();
  try {
    const ref = { tenantId: job.tenantId, connectionId: job.connectionId };
    const { output, read } = await withTenant(deps.pool, job.tenantId, (client) => refreshScanOutput(client, ref, job.scanId, deps.now?.() ?? new Date(), deps.liveOutputs), "snapshot-write");
    log.info({ items: output.sample.items, events: output.sample.events, read, ms: Math.round(performance.now() - started) }, "scan output computed");
  } catch (err) {
    log.error({ err }, "the scan output could not be computed; the previous one stays");
  }
  return status;
}

/**
 * The worker's job handler: a scan job, counted and timed by provider and outcome. A job
 * that throws (the database unreachable, say) is logged here, the one place that sees it,
 * and rethrown so the queue records the job as failed.
 */
export function scanJobHandler(deps: ScanDeps, metrics: ScanMetrics): ScanJobRunner {
  return async (job, signal, provider) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let status: ScanEndStatus;
    try {
      status = await scanAndAnalyze(deps, job, signal);
    } catch (err) {
      metrics.record(provider, "error", seconds());
      deps.log.error({ err, provider, scanId: job.scanId, connectionId: job.connectionId }, "scan job failed");
      throw err;
    }
    metrics.record(provider, status, seconds());
  };
}
