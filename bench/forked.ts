import { fork } from "node:child_process";
import { once } from "node:events";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const compiledDir = path.resolve(benchDir, "..", "dist", "bench");

/**
 * Runs `task` in a fresh process of `workerFile` and returns what it reports, so each run's
 * memory is its own. The worker runs as the shipped processes do: compiled JavaScript with
 * no TypeScript loader in the process (the loader alone adds some 45 MB), with the Node
 * options given. "close" comes after the process has exited and its IPC channel has
 * delivered everything.
 */
export async function runForked<Task, Report>(workerFile: string, task: Task, nodeOptions: readonly string[] = []): Promise<Report> {
  const worker = fork(await compiled(workerFile), { execArgv: [...nodeOptions], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let report: Report | undefined;
  worker.once("message", (message) => {
    report = message as Report;
  });
  worker.send(task as object);
  const [code] = (await once(worker, "close")) as [number | null];
  if (report === undefined) throw new Error(`${workerFile} exited with ${code} before reporting`);
  return report;
}

/**
 * The bench modules compiled beside the application's build (dist/app, from `make build`,
 * which `make bench` runs first), so the worker's imports of ../app/src/… load the shipped
 * JavaScript with the files it reads next to it.
 */
async function compiled(workerFile: string): Promise<string> {
  benchBuild ??= compileBench();
  await benchBuild;
  return path.join(compiledDir, `${path.basename(workerFile, ".ts")}.js`);
}

/** Once a process: every run of a benchmark forks from the same sources. */
let benchBuild: Promise<void> | undefined;

async function compileBench(): Promise<void> {
  const sources = (await readdir(benchDir)).filter((name) => name.endsWith(".ts")).map((name) => path.join(benchDir, name));
  await build({ entryPoints: sources, outdir: compiledDir, platform: "node", format: "esm", target: "node20", logLevel: "error" });
}
