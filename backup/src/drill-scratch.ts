/**
 * The throwaway database a drill restores into, on the live database's server. It is created
 * from template0 because a restore needs a database without objects of its own, and dropped
 * WITH (FORCE) so a connection left behind cannot keep it alive.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const DEFAULT_SCRATCH_PREFIX = "twinflow_";
const PREFIX = /^[a-z0-9_]*$/;
/** Postgres truncates longer names silently, which would break dropping the database by name. */
const MAX_IDENTIFIER_LENGTH = 63;

/** `<prefix>drill_<UTC yyyymmddhhmmss>_<8 random hex>`: lower case, so it needs no quoting in psql. */
export function scratchDatabaseName(prefix: string, at: Date): string {
  if (!PREFIX.test(prefix)) throw new Error(`the scratch database prefix may hold only lower-case letters, digits and _ (got ${JSON.stringify(prefix)})`);
  const stamp = at.toISOString().replace(/\D/g, "").slice(0, 14);
  const name = `${prefix}drill_${stamp}_${randomBytes(4).toString("hex")}`;
  if (name.length > MAX_IDENTIFIER_LENGTH) throw new Error(`the scratch database name ${name} is longer than ${MAX_IDENTIFIER_LENGTH} characters: shorten the prefix`);
  return name;
}

/** The same server and role as `serverUrl`, connected to `database`. */
export function urlOfDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export async function createScratchDatabase(serverUrl: string, name: string): Promise<void> {
  const database = pg.escapeIdentifier(name);
  // It holds a copy of every tenant's data: no other role may connect, as with the live database.
  await onServer(serverUrl, `CREATE DATABASE ${database} TEMPLATE template0`, `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`).catch((err: unknown) => {
    throw new Error(`could not create the scratch database ${name}`, { cause: err });
  });
}

export async function dropScratchDatabase(serverUrl: string, name: string): Promise<void> {
  await onServer(serverUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`).catch((err: unknown) => {
    throw new Error(`could not drop the scratch database ${name}`, { cause: err });
  });
}

async function onServer(serverUrl: string, ...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}
