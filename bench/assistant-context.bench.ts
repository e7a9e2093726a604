/**
 * The assistant's context: how long writing a scope's aggregates for Claude takes, and how
 * much of them fits, for the largest output the analysis benchmark builds and a real log.
 */
import { createReadStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildContext } from "../app/src/ai/context.js";
import { importXesLog } from "../app/src/analysis/import/xes.js";
import { computeScanOutput, type ScanOutput } from "../app/src/analysis/scan-output.js";
import type { Benchmark } from "./run.js";
import { syntheticStatusLog } from "./synthetic-log.js";

const BPIC2012 = fileURLToPath(new URL("../test/fixtures/eventlogs/bpic2012.xes.gz", import.meta.url));
const BUDGETS = [6_000, 150_000];
const REPEATS = 50;

const bench: Benchmark = async () => {
  const outputs: { name: string; output: ScanOutput }[] = [
    { name: "synthetic status log, 1,000,000 events", output: computeScanOutput(syntheticStatusLog(100_000, 10)) },
    { name: "bpic2012.xes.gz", output: computeScanOutput((await importXesLog(createReadStream(BPIC2012))).log) },
  ];
  const rows: (string | number)[][] = [];
  for (const { name, output } of outputs) {
    for (const tokenBudget of BUDGETS) {
      const options = { scopeLabel: "bench", personLabel: (key: string) => `Person ${key.length}`, tokenBudget };
      const times: number[] = [];
      let context = buildContext(output, options);
      for (let run = 0; run < REPEATS; run += 1) {
        const started = performance.now();
        context = buildContext(output, options);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      rows.push([
        name,
        tokenBudget,
        Number(times[Math.floor(REPEATS / 2)]!.toFixed(2)),
        Number(times[Math.ceil(REPEATS * 0.95) - 1]!.toFixed(2)),
        context.estimatedTokens,
        Number((Buffer.byteLength(context.text) / 1024).toFixed(1)),
        context.leftOut.length,
        context.suppressedGroups,
      ]);
    }
  }
  return {
    title: "assistant: the context sent with a question",
    description:
      `buildContext over the scan output of the synthetic 1,000,000-event log and of BPI Challenge 2012, at the default context budget (AI_CONTEXT_TOKENS) and at its largest, ${REPEATS} times each after one warm-up. ` +
      "It runs in the web process before every question and ticket draft. Target: at most 20 ms.",
    columns: ["output of", "budget (tokens)", "median (ms)", "p95 (ms)", "estimated tokens", "size (KB)", "facts left out", "groups under 5 items left out"],
    rows,
    notes: "Tokens are the builder's own conservative estimate (3.5 ASCII characters a token), not Claude's count.",
  };
};

export default bench;
