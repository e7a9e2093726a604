import pg from "pg";
import type { Logger } from "pino";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that runs a query: a pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, "query">;

export interface PoolOptions {
  connectionString: string;
  max?: number;
  applicationName: string;
  log: Logger;
}

export function createPool(options: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A runaway query must not hold a request (or a connection) hostage.
    statement_timeout: 30_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", (err) => options.log.warn({ err }, "idle database connection lost"));
  return pool;
}

/**
 * How a transaction begins: `read-write` at Postgres's default isolation, or `snapshot`:
 * read-only, every statement seeing the same committed state (a page built from several
 * queries never shows half of another transaction). `snapshot-write` reads the same way and
 * may insert rows (no update it makes can conflict with another transaction's).
 */
export type TransactionMode = "read-write" | "snapshot" | "snapshot-write";

const BEGIN: Record<TransactionMode, string> = {
  "read-write": "BEGIN",
  snapshot: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
  "snapshot-write": "BEGIN ISOLATION LEVEL REPEATABLE READ",
};

/** Runs fn in a transaction on one client; rolls back on any error. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>, mode: TransactionMode = "read-write"): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(BEGIN[mode]);
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
