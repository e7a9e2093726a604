/**
 * Benchmark harness (`make bench`): runs the default export of every `bench/*.bench.ts`
 * module, in name order, and writes docs/benchmarks.md with the machine and date.
 *
 * A benchmark module looks like:
 *
 *   import type { Benchmark } from "./run.js";
 *   const bench: Benchmark = async () => ({
 *     title: "analysis: 90-day event log",
 *     description: "scan output from 50 000 events",
 *     columns: ["events", "median ms", "p95 ms"],
 *     rows: [[50_000, 41.2, 48.9]],
 *   });
 *   export default bench;
 *
 * Benchmarks are measurements for the record, not timed tests: nothing here fails on a
 * slow number. A benchmark that throws is reported in the file and makes the run exit 1.
 */
import { readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface BenchResult {
  /** Section heading, e.g. "analysis: 90-day event log". */
  title: string;
  /** One or two sentences: what was measured, on what input. */
  description?: string;
  columns: string[];
  rows: (string | number)[][];
  /** Free text under the table (caveats, how to read it). */
  notes?: string;
}

export type Benchmark = () => BenchResult | BenchResult[] | Promise<BenchResult | BenchResult[]>;

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, "..");
const outputFile = path.join(repoRoot, "docs", "benchmarks.md");

export function machineSummary(): string[] {
  const cpus = os.cpus();
  const gib = (os.totalmem() / 1024 ** 3).toFixed(1);
  return [
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- CPU: ${cpus[0]?.model.trim() ?? "unknown"}`,
    `- Cores: ${os.availableParallelism?.() ?? cpus.length}`,
    `- Memory: ${gib} GiB`,
    `- Node: ${process.version}`,
  ];
}

function formatCell(value: string | number): string {
  const text = typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : value;
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderResult(result: BenchResult): string[] {
  const lines = [`## ${result.title}`, ""];
  if (result.description) lines.push(result.description, "");
  lines.push(`| ${result.columns.map(formatCell).join(" | ")} |`);
  lines.push(`|${result.columns.map(() => "---").join("|")}|`);
  for (const row of result.rows) lines.push(`| ${row.map(formatCell).join(" | ")} |`);
  lines.push("");
  if (result.notes) lines.push(result.notes, "");
  return lines;
}

async function main(): Promise<number> {
  const files = (await readdir(benchDir)).filter((name) => name.endsWith(".bench.ts")).sort();
  const lines = [
    "# Benchmarks",
    "",
    "Written by `make bench` (bench/run.ts); do not edit by hand.",
    "",
    `Date: ${new Date().toISOString()}`,
    "",
    "Machine:",
    "",
    ...machineSummary(),
    "",
  ];
  let failed = 0;
  if (files.length === 0) lines.push("No benchmarks yet.", "");
  for (const file of files) {
    const started = performance.now();
    try {
      const module = (await import(pathToFileURL(path.join(benchDir, file)).href)) as { default?: unknown };
      if (typeof module.default !== "function") throw new Error("its default export is not a function");
      const output = await (module.default as Benchmark)();
      for (const result of Array.isArray(output) ? output : [output]) lines.push(...renderResult(result));
      process.stdout.write(`bench: ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (error) {
      failed += 1;
      const message = error instanceof Error ? error.message : String(error);
      lines.push(`## ${file}`, "", `Failed: ${message}`, "");
      process.stderr.write(`bench: ${file} failed: ${message}\n`);
    }
  }
  await writeFile(outputFile, `${lines.join("\n").trimEnd()}\n`);
  process.stdout.write(`bench: wrote ${path.relative(process.cwd(), outputFile) || outputFile} (${files.length} benchmark file(s))\n`);
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
