/**
 * pg_restore into the scratch database, through pg-tools: arguments and no shell, the password
 * in PGPASSWORD only. A failure is reported by pg_restore's first error line alone.
 */
import path from "node:path";
import { pgConnection, PgToolError, spawnPgTool } from "./pg-tools.js";

export interface Invocation {
  args: string[];
  env: Record<string, string>;
}

export function pgRestoreInvocation(dumpPath: string, databaseUrl: string): Invocation {
  const connection = pgConnection(databaseUrl);
  // An absolute path never starts with "-", so it cannot be read as an option.
  return { args: ["--exit-on-error", "--no-password", ...connection.args, path.resolve(dumpPath)], env: connection.env };
}

export async function runPgRestore(dumpPath: string, databaseUrl: string): Promise<void> {
  const { args, env } = pgRestoreInvocation(dumpPath, databaseUrl);
  await spawnPgTool("pg_restore", args, { env, stdout: "ignore" }).exited.catch((err: unknown) => {
    if (!(err instanceof PgToolError) || err.stderr === "") throw err;
    // Not kept as the cause: its message carries the DETAIL, CONTEXT and "Command was:" lines,
    // which quote row values and SQL.
    throw new Error(`pg_restore failed: ${pgRestoreErrorSummary(err.stderr)}`);
  });
}

/** Where pg-tools joined stderr's lines into one. */
const LINE_BREAK = /\s+\/\s+|\n/;
const MAX_SUMMARY_CHARS = 300;

/** The first `pg_restore: error:` line of pg_restore's (already scrubbed) stderr. */
export function pgRestoreErrorSummary(stderr: string): string {
  const line = stderr
    .split(LINE_BREAK)
    .map((part) => part.trim())
    .find((part) => part.startsWith("pg_restore: error:"));
  return line ? line.slice(0, MAX_SUMMARY_CHARS) : "its output holds no error line";
}
