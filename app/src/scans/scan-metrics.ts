import { Counter, Histogram, type Registry } from "prom-client";
import type { Provider } from "../connectors/connector.js";
import type { ScanEndStatus } from "./scan-records.js";

/** How a scan job ended: the scan's own status, or `error` when the job threw before it could record one. */
export type ScanOutcome = ScanEndStatus | "error";

/** From an incremental scan with nothing new (seconds) to a first backfill (an hour or more). */
const BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];

export interface ScanMetrics {
  /** Counts one finished scan job and how long it took. */
  record(provider: Provider, outcome: ScanOutcome, seconds: number): void;
}

export function scanMetrics(registry: Registry): ScanMetrics {
  const runs = new Counter({
    name: "twinflow_scan_runs_total",
    help: "Scan jobs run by this worker, by provider and outcome (succeeded, partial, failed, or error when the job itself threw).",
    labelNames: ["provider", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "twinflow_scan_duration_seconds",
    help: "Time a scan job took, the scan and its analysis step together, by provider.",
    labelNames: ["provider"] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  return {
    record(provider, outcome, seconds) {
      runs.inc({ provider, outcome });
      duration.observe({ provider }, seconds);
    },
  };
}
