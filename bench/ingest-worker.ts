/**
 * The worker process of the ingest benchmark, forked by ingest.bench.ts: runs the given
 * scans at once through the scan runner and sends back the time and the peak memory. It
 * loads the application as `twinflow worker` does, so the memory is a worker's.
 */
import "../app/src/main.js";
import { pino } from "pino";
import { createPool } from "../app/src/platform/db/pool.js";
import { generateVaultKey, Vault } from "../app/src/platform/vault.js";
import type { ScanJob } from "../app/src/scans/queue.js";
import { runScan } from "../app/src/scans/runner.js";
import type { ScanEndStatus } from "../app/src/scans/scan-records.js";
import { syntheticConnector } from "./synthetic-connector.js";

export interface WorkerTask {
  runtimeUrl: string;
  jobs: ScanJob[];
}

export interface WorkerReport {
  statuses: ScanEndStatus[];
  seconds: number;
  rssBeforeMb: number;
  /** The highest of the samples of process.memoryUsage().rss. */
  peakRssMb: number;
  /** The kernel's peak (getrusage), over the process's whole life: nothing is missed between samples. */
  maxRssMb: number;
  peakHeapUsedMb: number;
}

const MEMORY_SAMPLE_MS = 20;
const MB = 1024 * 1024;

async function runTask({ runtimeUrl, jobs }: WorkerTask): Promise<WorkerReport> {
  const log = pino({ level: "silent" });
  const pool = createPool({ connectionString: runtimeUrl, applicationName: "twinflow-bench-worker", log });
  const deps = { pool, vault: Vault.fromSpec(`k1:${generateVaultKey()}`), log, connectors: new Map([["demo" as const, syntheticConnector]]), extraHosts: [] };
  const rssBefore = process.memoryUsage().rss;
  const memory = sampleMemory();
  const started = performance.now();
  const statuses = await Promise.all(jobs.map((job) => runScan(deps, job, new AbortController().signal))).finally(() => memory.stop());
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  return {
    statuses,
    seconds,
    rssBeforeMb: toMb(rssBefore),
    peakRssMb: toMb(memory.peak.rss),
    maxRssMb: toMb(process.resourceUsage().maxRSS * 1024),
    peakHeapUsedMb: toMb(memory.peak.heapUsed),
  };
}

/** Samples on a timer: the scans await Postgres between pages, so the timer gets its turns. */
function sampleMemory(): { peak: { rss: number; heapUsed: number }; stop(): void } {
  const peak = { rss: 0, heapUsed: 0 };
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    peak.rss = Math.max(peak.rss, rss);
    peak.heapUsed = Math.max(peak.heapUsed, heapUsed);
  };
  sample();
  const timer = setInterval(sample, MEMORY_SAMPLE_MS);
  return {
    peak,
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}

const toMb = (bytes: number) => Math.round(bytes / MB);

process.once("message", (task: WorkerTask) => {
  runTask(task).then(
    (report) => process.send?.(report, () => process.disconnect()),
    (error: unknown) => {
      process.stderr.write(`ingest worker: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});
