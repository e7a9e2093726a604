/**
 * The process the analysis benchmark forks, so each run's memory is its own: either a
 * synthetic status log built in memory and analysed (the analysis alone is timed), or a
 * real XES file imported and analysed (both timed, as a user waits for both).
 */
import { createReadStream } from "node:fs";
import { importXesLog } from "../app/src/analysis/import/xes.js";
import { pino } from "pino";
import { computeScanOutput } from "../app/src/analysis/scan-output.js";
import { createPool } from "../app/src/platform/db/pool.js";
import { withTenant } from "../app/src/platform/db/tenant.js";
import type { EventLogBatch, EventRecord, WorkItemRecord } from "../app/src/connectors/types.js";
import { ingestBatch } from "../app/src/scans/ingest.js";
import { LiveOutputs, refreshScanOutput } from "../app/src/scans/scan-output-store.js";
import { syntheticStatusLog } from "./synthetic-log.js";

export type AnalysisTask =
  | { kind: "synthetic"; items: number; eventsPerItem: number }
  | { kind: "xes"; file: string }
  /** The analytics step after a scan: a connection's log read from Postgres, analysed and stored. */
  | { kind: "database"; runtimeUrl: string; tenantId: string; connectionId: string }
  /** The same step as the worker runs it after a first full one: scans of `events` events each, the analysis kept between them. */
  | { kind: "kept"; runtimeUrl: string; tenantId: string; connectionId: string; scans: number; events: number };

export interface KeptReport {
  events: number;
  /** The first refresh, a full read. */
  fullSeconds: number;
  /** Each later refresh, after a scan of `events` events. */
  updateMs: number[];
  /** Every update read only the changed items (none fell back to a full read). */
  allKept: boolean;
  maxRssMb: number;
}

export interface AnalysisReport {
  events: number;
  items: number;
  importSeconds: number | null;
  analysisSeconds: number;
  outputKb: number;
  maxRssMb: number;
}

const MB = 1024 * 1024;

async function run(task: Exclude<AnalysisTask, { kind: "kept" }>): Promise<AnalysisReport> {
  if (task.kind === "database") return analyseStored(task);
  let importSeconds: number | null = null;
  let log;
  if (task.kind === "synthetic") {
    log = syntheticStatusLog(task.items, task.eventsPerItem);
  } else {
    const started = performance.now();
    log = (await importXesLog(createReadStream(task.file))).log;
    importSeconds = (performance.now() - started) / 1000;
  }
  const started = performance.now();
  const output = computeScanOutput(log);
  const analysisSeconds = (performance.now() - started) / 1000;
  return {
    events: log.events.length,
    items: output.sample.items,
    importSeconds,
    analysisSeconds,
    outputKb: Math.round(JSON.stringify(output).length / 1024),
    maxRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
  };
}

/** Reading, analysing and storing are timed together, as the worker runs them; the read counts as the import. */
async function analyseStored(task: Extract<AnalysisTask, { kind: "database" }>): Promise<AnalysisReport> {
  const log = pino({ level: "silent" });
  const pool = createPool({ connectionString: task.runtimeUrl, applicationName: "twinflow-bench-analysis", log });
  try {
    const ref = { tenantId: task.tenantId, connectionId: task.connectionId };
    const started = performance.now();
    const { output } = await withTenant(pool, task.tenantId, (client) => refreshScanOutput(client, ref, null, new Date()));
    const seconds = (performance.now() - started) / 1000;
    return {
      events: output.sample.events,
      items: output.sample.items,
      importSeconds: null,
      analysisSeconds: seconds,
      outputKb: Math.round(JSON.stringify(output).length / 1024),
      maxRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
    };
  } finally {
    await pool.end();
  }
}

/**
 * A full refresh, then `scans` rounds of: a page of `events` new events ingested (status
 * changes and assignments of a quarter as many items, dated just before now; not timed),
 * and the refresh after it (timed: the changed items read, the outputs updated and stored).
 */
async function keepAcrossScans(task: Extract<AnalysisTask, { kind: "kept" }>): Promise<KeptReport> {
  const pool = createPool({ connectionString: task.runtimeUrl, applicationName: "twinflow-bench-analysis", log: pino({ level: "silent" }) });
  const ref = { tenantId: task.tenantId, connectionId: task.connectionId };
  const live = new LiveOutputs();
  const refresh = (now: Date) => withTenant(pool, task.tenantId, (client) => refreshScanOutput(client, ref, null, now, live), "snapshot-write");
  try {
    let started = performance.now();
    const { output: first } = await refresh(new Date());
    const fullSeconds = (performance.now() - started) / 1000;
    const updateMs: number[] = [];
    let allKept = true;
    for (let scan = 0; scan < task.scans; scan += 1) {
      await withTenant(pool, task.tenantId, (client) => ingestBatch(client, ref, scanPage(scan, task.events)));
      started = performance.now();
      const { read } = await refresh(new Date());
      updateMs.push(performance.now() - started);
      allKept &&= read === "changed items";
    }
    return {
      events: first.sample.events,
      fullSeconds,
      updateMs,
      allKept,
      maxRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
    };
  } finally {
    await pool.end();
  }
}

/** A scan's page: items of the benchmark connection moved on a status and handed to someone, a minute or two ago. */
function scanPage(scan: number, events: number): EventLogBatch {
  const items: WorkItemRecord[] = [];
  const records: EventRecord[] = [];
  const now = Date.now();
  for (let n = 0; n < events / 4; n += 1) {
    const key = `B-${1 + ((scan * 7919 + n * 104_729) % 100_000)}`;
    items.push({ externalId: key, container: "B", itemType: "Task", createdAt: new Date(Date.UTC(2026, 0, 5) + Number(key.slice(2)) * 180_000), closedAt: null, status: "In Review", priority: null, assignee: null, labels: [] });
    const at = (k: number) => new Date(now - 120_000 + k * 1000);
    records.push(
      { externalId: `${key}#s${scan}a`, itemExternalId: key, occurredAt: at(0), actor: null, type: "status_changed", field: "status", from: "In Review", to: "In Progress" },
      { externalId: `${key}#a${scan}a`, itemExternalId: key, occurredAt: at(1), actor: null, type: "assigned", field: "assignee", from: null, to: null },
      { externalId: `${key}#s${scan}b`, itemExternalId: key, occurredAt: at(2), actor: null, type: "status_changed", field: "status", from: "In Progress", to: "In Review" },
      { externalId: `${key}#a${scan}b`, itemExternalId: key, occurredAt: at(3), actor: null, type: "assigned", field: "assignee", from: null, to: null },
    );
  }
  return { actors: [], items, events: records };
}

process.once("message", (task: AnalysisTask) => {
  const report = task.kind === "kept" ? keepAcrossScans(task) : run(task);
  void report.then((result) => process.send!(result, () => process.exit(0)));
});
