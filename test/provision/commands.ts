/**
 * Runs the provisioning harness's commands with a clean environment, so a developer's own
 * shell (ANSIBLE_* settings, proxies, ~/.ansible) never changes what a test sees.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ISOLATED = fileURLToPath(new URL("./isolated.sh", import.meta.url));

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

const BASE_ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
};

/** Runs a command to completion; a non-zero exit is a result, not an error. */
export function runCommand(file: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...BASE_ENV, ...options.env },
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 60_000,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (signal) stderr += `\n[${file} ended by ${signal}]`;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command in private network, mount and pid namespaces beside the root filesystem (isolated.sh). */
export function runIsolated(rootfs: string, command: string[], options: CommandOptions = {}): Promise<CommandResult> {
  return runCommand(ISOLATED, [rootfs, ...command], options);
}

/** Runs a command inside the root filesystem (chroot), isolated the same way. */
export function runInRootfs(rootfs: string, command: string[], options: CommandOptions = {}): Promise<CommandResult> {
  return runIsolated(rootfs, ["chroot", rootfs, ...command], options);
}

/** The command's stdout; throws with its output when it fails. */
export async function outputOf(result: Promise<CommandResult>, what: string): Promise<string> {
  const { code, stdout, stderr } = await result;
  if (code !== 0) throw new Error(`${what} exited with ${code}:\n${stdout}${stderr}`);
  return stdout;
}
