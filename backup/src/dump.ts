/**
 * Taking the dump: a snapshot whose row counts describe exactly what pg_dump reads, and the
 * dump streamed through sha256 into a temporary file whose name never looks like a good backup.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { Transform } from "node:stream";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import type { PoolClient } from "../../app/src/platform/db/pool.js";
import { CORE_TABLES, type CoreTable } from "./manifest.js";
import { pgConnection, spawnPgTool } from "./pg-tools.js";

/** Dumps being written, or left behind by a crash; retention removes old ones. */
export const PARTIAL_PREFIX = ".partial-";

export const partialDumpName = () => `${PARTIAL_PREFIX}${randomBytes(8).toString("hex")}.dump`;

export interface Snapshot {
  /** pg_export_snapshot()'s id, for `pg_dump --snapshot`. */
  id: string;
  takenAt: Date;
}

/** What the manifest records of a snapshot, read in it. */
export interface SnapshotFacts {
  rowCounts: Record<CoreTable, number>;
  schemaVersion: number;
  serverVersion: string;
}

/**
 * Exports the snapshot of `client`'s transaction (REPEATABLE READ, already begun). The
 * transaction must stay open until pg_dump has exited.
 */
export async function exportSnapshot(client: PoolClient, clock: () => Date): Promise<Snapshot> {
  // Counting a large event log may outlast the pool's per-statement limit.
  await client.query("SET LOCAL statement_timeout = 0");
  await client.query("SET LOCAL idle_in_transaction_session_timeout = 0");
  const { rows } = await client.query<{ id: string }>("SELECT pg_export_snapshot() AS id");
  return { id: rows[0]!.id, takenAt: clock() };
}

/**
 * Reads, in the exported snapshot's own transaction, what the manifest records: the counts
 * describe exactly the rows pg_dump reads. It can run while pg_dump does.
 */
export async function snapshotFacts(client: PoolClient): Promise<SnapshotFacts> {
  const counts = await client.query<Record<CoreTable, string>>(
    `SELECT ${CORE_TABLES.map((table) => `(SELECT count(*) FROM ${pg.escapeIdentifier(table)}) AS ${pg.escapeIdentifier(table)}`).join(", ")}`,
  );
  const version = await client.query<{ version: number }>("SELECT max(version) AS version FROM schema_migrations");
  const server = await client.query<{ server_version: string }>("SHOW server_version");
  const rowCounts = Object.fromEntries(CORE_TABLES.map((table) => [table, Number(counts.rows[0]![table])])) as Record<CoreTable, number>;
  return { rowCounts, schemaVersion: version.rows[0]!.version, serverVersion: server.rows[0]!.server_version };
}

/** A dump's bytes, and when producing them has ended (rejecting if it failed). */
export interface DumpStream {
  stream: Readable;
  finished: Promise<void>;
}

/** Produces the custom-format dump of one snapshot. */
export type DumpSource = (snapshotId: string) => DumpStream;

/** pg_dump of the database at `databaseUrl`, as seen by the snapshot. */
export function pgDumpSource(databaseUrl: string): DumpSource {
  const connection = pgConnection(databaseUrl);
  return (snapshotId) => {
    const run = spawnPgTool("pg_dump", ["--format=custom", `--snapshot=${snapshotId}`, "--no-password", ...connection.args], {
      env: connection.env,
      stdout: "pipe",
    });
    return { stream: run.stdout!, finished: run.exited };
  };
}

export interface WrittenDump {
  sizeBytes: number;
  /** Hex sha256 of the bytes as they were written. */
  sha256: string;
}

/** Writes the dump to a new file (mode 0600: it holds every tenant's data), hashing on the way, and fsyncs it. */
export async function writeDump(file: string, dump: DumpStream, alsoTo?: Writable): Promise<WrittenDump> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  const copy = alsoTo ? copyingTo(alsoTo) : undefined;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      if (!copy) return done(null, chunk);
      copy.write(chunk).then(() => done(null, chunk), done);
    },
    flush(done) {
      copy?.end();
      done();
    },
  });
  // Both must settle before the file can be synced or removed. A failed write (a full disk)
  // also breaks pg_dump's pipe, so the write's error is the cause to report.
  const outcomes = await Promise.allSettled([pipeline(dump.stream, hashing, createWriteStream(file, { flags: "wx", mode: 0o600 })), dump.finished]);
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed) {
    // The second reader must not wait for bytes that will never come.
    alsoTo?.destroy();
    throw failed.reason;
  }
  await fsyncPath(file);
  return { sizeBytes, sha256: hash.digest("hex") };
}

/**
 * A second destination for the dump's bytes, with its backpressure respected. A reader that
 * stops early (pg_restore exiting on a corrupt dump) is no failure of the write: its own
 * result reports it, so its errors are kept from the file's pipeline.
 */
function copyingTo(destination: Writable): { write(chunk: Buffer): Promise<void>; end(): void } {
  let gone = false;
  destination.on("error", () => (gone = true));
  destination.on("close", () => (gone = true));
  return {
    write(chunk) {
      if (gone || destination.write(chunk)) return Promise.resolve();
      return new Promise((resolve) => {
        const settle = () => {
          destination.off("drain", settle);
          destination.off("close", settle);
          resolve();
        };
        destination.on("drain", settle);
        destination.on("close", settle);
      });
    },
    end() {
      if (!gone) destination.end();
    },
  };
}

/**
 * fsync of a file (its data, whichever descriptor asks) or of a directory (the names in it,
 * which is what makes a rename durable).
 */
export async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
