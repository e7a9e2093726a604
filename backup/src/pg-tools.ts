/**
 * Running pg_dump and pg_restore: always spawned with an argument list (never a shell), the
 * password handed over in the environment (never on a command line, where `ps` shows it), and
 * stderr kept, scrubbed, for the error that reports a failed run.
 */
import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { scrubText } from "../../app/src/platform/scrub.js";

export type PgTool = "pg_dump" | "pg_restore";

/** How much of a tool's stderr an error keeps: the end, where the fatal message is. */
const STDERR_TAIL_BYTES = 8 * 1024;
const MESSAGE_TAIL_CHARS = 600;

export class PgToolError extends Error {
  override name = "PgToolError";
  constructor(
    readonly tool: PgTool,
    message: string,
    /** The end of the tool's stderr, scrubbed and on one line. */
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface PgConnection {
  /** `--dbname=<URL without its password>`. */
  args: string[];
  /** PGPASSWORD, when the URL carries one. */
  env: Record<string, string>;
}

/** A libpq connection for a database URL, with the password moved from the URL to PGPASSWORD. */
export function pgConnection(databaseUrl: string): PgConnection {
  const url = new URL(databaseUrl);
  const password = url.password ? decodeURIComponent(url.password) : url.searchParams.get("password");
  url.password = "";
  url.searchParams.delete("password");
  return { args: [`--dbname=${url.toString()}`], env: password ? { PGPASSWORD: password } : {} };
}

export interface PgProcess {
  /** The tool's stdin, when it was asked for. */
  stdin: Writable | null;
  /** The tool's stdout, when it was asked for. */
  stdout: Readable | null;
  /** Settles once the tool has exited and its output streams are closed; rejects with PgToolError unless it exited 0. */
  exited: Promise<void>;
}

export function spawnPgTool(tool: PgTool, args: string[], options: { env?: Record<string, string>; stdin?: "pipe" | "ignore"; stdout: "pipe" | "ignore" }): PgProcess {
  const child = spawn(tool, args, {
    shell: false,
    stdio: [options.stdin ?? "ignore", options.stdout, "pipe"],
    env: { ...process.env, ...options.env },
  });
  let stderr = Buffer.alloc(0);
  // stdio[2] is "pipe", so stderr is always there.
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = Buffer.concat([stderr, chunk]);
    if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.once("error", (err) => {
      reject(new PgToolError(tool, `${tool} could not be started (${scrubText(err.message)}): check that the PostgreSQL client tools are installed and on PATH`, ""));
    });
    child.once("close", (code, signal) => {
      if (code === 0) return resolve();
      const tail = oneLine(stderr.toString("utf8"));
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new PgToolError(tool, tail ? `${tool} ${how}: ${tail}` : `${tool} ${how} without a message`, tail));
    });
  });
  return { stdin: child.stdin, stdout: child.stdout, exited };
}

/** Runs a tool to completion and returns its stdout (small outputs only: --version, --list). */
export async function runPgTool(tool: PgTool, args: string[], env?: Record<string, string>): Promise<string> {
  const run = spawnPgTool(tool, args, { env, stdout: "pipe" });
  const chunks: Buffer[] = [];
  run.stdout!.on("data", (chunk: Buffer) => chunks.push(chunk));
  await run.exited;
  return Buffer.concat(chunks).toString("utf8");
}

/** e.g. "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)". */
export async function pgToolVersion(tool: PgTool): Promise<string> {
  return (await runPgTool(tool, ["--version"])).trim();
}

/** Scrubbed, on one line, and only the end of it when long. */
/**
 * Lines in which Postgres repeats SQL or row values (the statement, a key's value, the
 * context): an error message never carries either, so they are dropped before anything else.
 */
const SQL_OR_DATA_LINE = /^\s*(?:pg_\w+:\s*)?(?:(?:error|warning):\s*)?(?:DETAIL|CONTEXT|HINT|QUERY|STATEMENT|LINE \d+|Command was)\b/i;

function oneLine(text: string): string {
  const kept = text.split("\n").filter((line) => !SQL_OR_DATA_LINE.test(line)).join("\n");
  const line = scrubText(kept).trim().replace(/\s*\n\s*/g, " / ");
  return line.length > MESSAGE_TAIL_CHARS ? `…${line.slice(-MESSAGE_TAIL_CHARS)}` : line;
}
