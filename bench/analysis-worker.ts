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
import { refreshScanOutput } from "../app/src/scans/scan-output-store.js";
import { syntheticStatusLog } from "./synthetic-log.js";

export type AnalysisTask =
  | { kind: "synthetic"; items: number; eventsPerItem: number }
  | { kind: "xes"; file: string }
  /** The analytics step after a scan: a connection's log read from Postgres, analysed and stored. */
  | { kind: "database"; runtimeUrl: string; tenantId: string; connectionId: string };

export interface AnalysisReport {
  events: number;
  items: number;
  importSeconds: number | null;
  analysisSeconds: number;
  outputKb: number;
  maxRssMb: number;
}

const MB = 1024 * 1024;

async function run(task: AnalysisTask): Promise<AnalysisReport> {
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
    const output = await withTenant(pool, task.tenantId, (client) => refreshScanOutput(client, ref, null, new Date()));
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

process.once("message", (task: AnalysisTask) => {
  void run(task).then((report) => process.send!(report, () => process.exit(0)));
});
