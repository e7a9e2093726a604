/**
 * Scan output speed and memory: a synthetic status log of 100,000 items and a million events,
 * and the real BPI Challenge 2012 log imported from its XES file; each run in a forked
 * process so its memory is measured alone.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { AnalysisReport, AnalysisTask } from "./analysis-worker.js";
import type { Benchmark } from "./run.js";

const WORKER = fileURLToPath(new URL("./analysis-worker.ts", import.meta.url));
const BPIC2012 = fileURLToPath(new URL("../test/fixtures/eventlogs/bpic2012.xes.gz", import.meta.url));
const RUNS: { name: string; task: AnalysisTask }[] = [
  { name: "synthetic status log", task: { kind: "synthetic", items: 10_000, eventsPerItem: 10 } },
  { name: "synthetic status log", task: { kind: "synthetic", items: 100_000, eventsPerItem: 10 } },
  { name: "bpic2012.xes.gz (import + analysis)", task: { kind: "xes", file: BPIC2012 } },
];

const bench: Benchmark = async () => {
  const rows: (string | number)[][] = [];
  for (const { name, task } of RUNS) {
    const report = await analyse(task);
    const total = (report.importSeconds ?? 0) + report.analysisSeconds;
    rows.push([name, report.items, report.events, report.importSeconds ?? "—", report.analysisSeconds, total, report.outputKb, report.maxRssMb]);
  }
  return {
    title: "analysis: the scan output of one scope",
    description:
      "computeScanOutput, every section from traces to bottlenecks, forecast (10,000 trials twice) and data quality, over a synthetic status log built in memory " +
      "(To Do → In Progress → In Review and back, customer waits, reassignments; a fifth of the items open) and over the BPI Challenge 2012 log imported from its compressed XES file. " +
      "Targets: 1,000,000 events and 100,000 items in at most 1.0 s and 400 MB; bpic2012.xes.gz imported and analysed in at most 2 s.",
    columns: ["log", "items", "events", "import (s)", "analysis (s)", "total (s)", "output (KB of JSON)", "peak RSS of the process (MB)"],
    rows,
    notes:
      "Building the synthetic log is not timed. The peak RSS is the kernel's figure for the whole process, the log included. " +
      "After a scan the worker also reads the connection's log from Postgres before this step; that read is not in these figures.",
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
