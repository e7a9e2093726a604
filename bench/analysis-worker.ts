/**
 * The process the analysis benchmark forks: builds the input, then times the scan output
 * alone and reports the process's peak memory (the log and the output included).
 */
import { computeScanOutput } from "../app/src/analysis/scan-output.js";
import { syntheticStatusLog } from "./synthetic-log.js";

export interface AnalysisTask {
  items: number;
  eventsPerItem: number;
}

export interface AnalysisReport {
  events: number;
  items: number;
  seconds: number;
  outputKb: number;
  maxRssMb: number;
}

const MB = 1024 * 1024;

function run({ items, eventsPerItem }: AnalysisTask): AnalysisReport {
  const log = syntheticStatusLog(items, eventsPerItem);
  const started = performance.now();
  const output = computeScanOutput(log);
  const seconds = (performance.now() - started) / 1000;
  return {
    events: log.events.length,
    items: output.sample.items,
    seconds,
    outputKb: Math.round(JSON.stringify(output).length / 1024),
    maxRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
  };
}

process.once("message", (task: AnalysisTask) => {
  process.send!(run(task), () => process.exit(0));
});
