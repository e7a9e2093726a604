/**
 * Real pg_dump output, and the damage the gates must catch, made from it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { pgConnection, runPgTool, spawnPgTool } from "../../backup/src/pg-tools.js";
import { writeDump, type WrittenDump } from "../../backup/src/dump.js";

/** A custom-format dump written as the pipeline writes it: streamed from pg_dump's stdout. */
export async function dumpDatabase(databaseUrl: string, file: string, extraArgs: string[] = []): Promise<WrittenDump> {
  const connection = pgConnection(databaseUrl);
  const run = spawnPgTool("pg_dump", ["--format=custom", "--no-password", ...extraArgs, ...connection.args], { env: connection.env, stdout: "pipe" });
  return writeDump(file, { stream: run.stdout!, finished: run.exited });
}

/** Whether the bare `pg_restore <args> <file>` exits 0. */
export async function pgRestoreSucceeds(args: string[], file: string): Promise<boolean> {
  return runPgTool("pg_restore", [...args, file]).then(
    () => true,
    () => false,
  );
}

/**
 * Where the catalog ends: the length of the shortest prefix of the dump that `pg_restore --list`
 * accepts, found by bisection (a prefix that holds the whole catalog lists; a shorter one does not).
 */
export async function catalogLength(dump: string, scratch: string): Promise<number> {
  const bytes = await readFile(dump);
  let failing = 0;
  let listing = bytes.length;
  while (listing - failing > 1) {
    const middle = Math.floor((failing + listing) / 2);
    await writeFile(scratch, bytes.subarray(0, middle));
    if (await pgRestoreSucceeds(["--list"], scratch)) listing = middle;
    else failing = middle;
  }
  return listing;
}

export async function writePrefix(dump: string, length: number, out: string): Promise<void> {
  await writeFile(out, (await readFile(dump)).subarray(0, length));
}

/** A copy with one bit flipped at `offset`, as a failing disk would leave it. */
export async function writeWithFlippedBit(dump: string, offset: number, out: string): Promise<void> {
  const bytes = await readFile(dump);
  bytes[offset]! ^= 0x01;
  await writeFile(out, bytes);
}

/** Rows of each table's data in a dump, as pg_restore writes them out. */
export async function rowsInDump(file: string): Promise<Record<string, number>> {
  const script = await runPgTool("pg_restore", ["--data-only", "--file=-", file]);
  const rows: Record<string, number> = {};
  let table: string | undefined;
  for (const line of script.split("\n")) {
    if (table === undefined) {
      table = /^COPY public\.(\w+) /.exec(line)?.[1];
      if (table !== undefined) rows[table] = 0;
    } else if (line === "\\.") {
      table = undefined;
    } else {
      rows[table]! += 1;
    }
  }
  return rows;
}
