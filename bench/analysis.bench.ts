/**
 * Scan output speed and memory: a status log of 100,000 items and about a million events,
 * analysed in a forked process so its memory is measured alone.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { AnalysisReport, AnalysisTask } from "./analysis-worker.js";
import type { Benchmark } from "./run.js";

const WORKER = fileURLToPath(new URL("./analysis-worker.ts", import.meta.url));
const RUNS: AnalysisTask[] = [
  { items: 10_000, eventsPerItem: 11 },
  { items: 100_000, eventsPerItem: 11 },
];

const bench: Benchmark = async () => {
  const rows: (string | number)[][] = [];
  for (const task of RUNS) {
    const report = await analyse(task);
    rows.push([report.items, report.events, report.seconds, report.outputKb, report.maxRssMb]);
  }
  return {
    title: "analysis: the scan output of one scope",
    description:
      "computeScanOutput over a synthetic status log built in memory (To Do → In Progress → In Review → Done, review loops, customer waits, " +
      "reassignments; a fifth of the items open): every section, from traces to bottlenecks, forecast (10,000 trials twice) and data quality. " +
      "Targets for 1,000,000 events and 100,000 items: at most 1.0 s and 400 MB.",
    columns: ["items", "events", "seconds", "output (KB of JSON)", "peak RSS of the process, log included (MB)"],
    rows,
    notes: "The seconds are the analysis alone; building the log is not timed. The peak RSS is the kernel's figure for the whole process.",
  };
};

export default bench;

async function analyse(task: AnalysisTask): Promise<AnalysisReport> {
  const worker = fork(WORKER, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let report: AnalysisReport | undefined;
  worker.once("message", (message) => {
    report = message as AnalysisReport;
  });
  worker.send(task);
  const [code] = (await once(worker, "close")) as [number | null];
  if (!report) throw new Error(`the analysis worker exited with ${code} before reporting`);
  return report;
}
