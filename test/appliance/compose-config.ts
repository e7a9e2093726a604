/**
 * Runs `docker-compose config` on the appliance's compose files and parses what it prints:
 * the files as compose itself reads them (anchors merged, variables interpolated).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "yaml";
import type { ComposeConfig } from "./compose-policy.js";

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const COMPOSE_FILE = fileURLToPath(new URL("../../compose/docker-compose.yml", import.meta.url));
export const DEV_OVERRIDE_FILE = fileURLToPath(new URL("../../compose/docker-compose.dev.yml", import.meta.url));
export const COMPOSE_ENV_EXAMPLE = fileURLToPath(new URL("../../compose/.env.example", import.meta.url));

export interface EnvEntry {
  name: string;
  value: string;
  /** `# NAME=value`: documented, optional. */
  commented: boolean;
  line: number;
}

/** The NAME=value lines of an env file, commented-out ones included, in order. */
export function envEntries(text: string): EnvEntry[] {
  const entries: EnvEntry[] = [];
  text.split("\n").forEach((line, index) => {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) entries.push({ name: match[2]!, value: match[3]!, commented: match[1] !== undefined, line: index });
  });
  return entries;
}

/**
 * A recognisable, URL-safe stand-in for each secret compose/.env.example leaves empty (what
 * `make init` fills in). Passed through the environment, which wins over the env file.
 */
export async function placeholderSecrets(): Promise<Record<string, string>> {
  const entries = envEntries(await readFile(COMPOSE_ENV_EXAMPLE, "utf8"));
  return Object.fromEntries(
    entries.filter((entry) => !entry.commented && entry.value === "").map((entry) => [entry.name, `placeholder-${entry.name.toLowerCase().replace(/_/g, "-")}`]),
  );
}

export interface ComposeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `docker-compose -f … --env-file … config` with only PATH and HOME from this process, so a developer's shell cannot change the result. */
export async function runComposeConfig(files: string[], envFile: string, env: Record<string, string>): Promise<ComposeRun> {
  const args = [...files.flatMap((file) => ["-f", file]), "--env-file", envFile, "config"];
  try {
    const { stdout, stderr } = await run("docker-compose", args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw err;
    return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** The normalized configuration, or an error carrying compose's own message. */
export async function composeConfig(files: string[], envFile: string, env: Record<string, string>): Promise<ComposeConfig> {
  const result = await runComposeConfig(files, envFile, env);
  if (result.code !== 0) throw new Error(`docker-compose config failed (${result.code}): ${result.stderr}`);
  return parse(result.stdout) as ComposeConfig;
}
