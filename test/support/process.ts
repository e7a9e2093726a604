import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const TWINFLOW_BIN = fileURLToPath(new URL("../../bin/twinflow", import.meta.url));

/** An empty env file, so a developer's own .env never leaks into a test process. */
const EMPTY_ENV_FILE = (() => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "twinflow-env-")), "empty.env");
  writeFileSync(file, "");
  return file;
})();

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the combined output matches, rejects after the timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

export function startTwinflow(args: string[], env: Record<string, string>): RunningProcess {
  const child = spawn(TWINFLOW_BIN, args, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", TWINFLOW_ENV_FILE: EMPTY_ENV_FILE, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`process exited while waiting for ${pattern}; output:\n${output}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Runs a one-shot command to completion. */
export async function runTwinflow(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const running = startTwinflow(args, env);
  const code = await running.exited;
  return { code, output: running.output() };
}
