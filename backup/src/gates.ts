/**
 * The checks a fresh dump must pass before it may take a good name, run in GATES order: each
 * one is cheap next to pg_dump, and each catches damage the ones before it let through.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { devNull } from "node:os";
import { CORE_TABLES, GATES, listGoodBackups, type GateName } from "./manifest.js";
import type { Writable } from "node:stream";
import { runPgTool, spawnPgTool } from "./pg-tools.js";

export class GateFailed extends Error {
  override name = "GateFailed";
  constructor(
    readonly gate: GateName,
    message: string,
  ) {
    super(message);
  }
}

export interface GateCandidate {
  file: string;
  /** The sha256 computed while the dump was written. */
  sha256: string;
  minBytes: number;
  /** The dump must be at least this fraction of the size of the newest good backup in backupDir. */
  minFraction: number;
  backupDir: string;
  /** The full read of the dump's bytes as they were written (see streamingFullRead); read from the file when absent. */
  fullRead?: Promise<void>;
}

const CHECKS: Record<GateName, (candidate: GateCandidate) => Promise<void>> = {
  sizeFloor: checkSizeFloor,
  catalog: ({ file }) => checkCatalog(file),
  fullRead: ({ file, fullRead }) => fullRead ?? checkFullRead(file),
  checksum: ({ file, sha256 }) => checkChecksum(file, sha256),
};

/** Runs every gate in order; throws GateFailed at the first that fails, else returns each gate's seconds. */
export async function runGates(candidate: GateCandidate): Promise<Record<GateName, number>> {
  const seconds = {} as Record<GateName, number>;
  for (const gate of GATES) {
    const started = process.hrtime.bigint();
    await CHECKS[gate](candidate).catch((err: Error) => {
      throw err instanceof GateFailed ? err : new GateFailed(gate, `the ${gate} gate could not run (${err.message}): check the disk holding the backups`);
    });
    seconds[gate] = Number(process.hrtime.bigint() - started) / 1e9;
  }
  return seconds;
}

/** An empty or tiny dump, or one far smaller than the last good one, is a dump of the wrong thing. */
export async function checkSizeFloor({ file, minBytes, minFraction, backupDir }: GateCandidate): Promise<void> {
  const { size } = await stat(file);
  if (size < minBytes) {
    throw new GateFailed("sizeFloor", `the dump is ${size} bytes, below the minimum of ${minBytes}: check that pg_dump reached the right database and that the backup disk is not full`);
  }
  const [newestGood] = await listGoodBackups(backupDir);
  if (newestGood && size < minFraction * newestGood.manifest.sizeBytes) {
    throw new GateFailed(
      "sizeFloor",
      `the dump is ${size} bytes, under ${Math.round(minFraction * 100)}% of the newest good backup ${newestGood.file} (${newestGood.manifest.sizeBytes} bytes): check that the backup points at the right database and whether data was deleted`,
    );
  }
}

const TABLE_DATA_ENTRY = /^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) /gm;

/** The catalog is readable and holds the data of every core table. */
export async function checkCatalog(file: string): Promise<void> {
  const listing = await runPgTool("pg_restore", ["--list", file]).catch((err: Error) => {
    throw new GateFailed("catalog", `pg_restore --list cannot read the dump's catalog (${err.message}): the dump is damaged or not a custom-format pg_dump archive`);
  });
  const tablesWithData = new Set([...listing.matchAll(TABLE_DATA_ENTRY)].filter((entry) => entry[1] === "public").map((entry) => entry[2]));
  const missing = CORE_TABLES.filter((table) => !tablesWithData.has(table));
  if (missing.length > 0) {
    throw new GateFailed("catalog", `the dump's catalog has no data for ${missing.join(", ")}: check that the backup connects as the owner role and that no table is excluded from the dump`);
  }
}

/**
 * Decompresses every data block. `--list` reads only the catalog at the front of the file, so
 * it passes a dump cut short after its catalog, or with a damaged block; this does not.
 */
export async function checkFullRead(file: string): Promise<void> {
  await runPgTool("pg_restore", ["--file", devNull, file]).catch((err: Error) => {
    throw fullReadFailed(err);
  });
}

export interface StreamingFullRead {
  /** Where the dump's bytes go, in the order they are written to the file. */
  input: Writable;
  /** Settles when pg_restore has read them all; rejects with GateFailed("fullRead"). Never rejects unobserved. */
  result: Promise<void>;
}

/**
 * The full read, run on the dump's bytes while they are written rather than on the file
 * afterwards: the same pg_restore, on another core, at no extra wall time. The checksum gate
 * then proves the file holds exactly those bytes.
 */
export function streamingFullRead(): StreamingFullRead {
  const reader = spawnPgTool("pg_restore", ["--file", devNull], { stdin: "pipe", stdout: "ignore" });
  const result = reader.exited.catch((err: Error) => {
    throw fullReadFailed(err);
  });
  // Observed now; the gate awaits it in its turn.
  result.catch(() => undefined);
  return { input: reader.stdin!, result };
}

const fullReadFailed = (err: Error) =>
  new GateFailed("fullRead", `pg_restore cannot read the dump through to its end (${err.message}): the dump is truncated or corrupt; check free space and the disk holding the backups`);

/** The file on disk is byte for byte what was written. */
export async function checkChecksum(file: string, sha256: string): Promise<void> {
  const onDisk = await sha256OfFile(file);
  if (onDisk !== sha256) {
    throw new GateFailed("checksum", `the dump on disk (sha256 ${onDisk}) differs from what was written (${sha256}): check the disk and whatever else writes to the backup directory`);
  }
}

const READ_CHUNK_BYTES = 1024 * 1024;

/** Hex sha256 of a file's contents, read in large chunks. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
