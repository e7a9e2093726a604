/**
 * Backups on a database of at least 500 MB: the gated pipeline (dump + size floor + catalog +
 * full read + checksum + manifest) against a bare `pg_dump -Fc`, and the restore drill
 * (restore + checks + drop) against a bare `pg_restore` into an empty database.
 */
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { pino } from "pino";
import { runBackup } from "../backup/src/backup.js";
import { restoreDrill } from "../backup/src/drill.js";
import { pgConnection, runPgTool } from "../backup/src/pg-tools.js";
import { createPool } from "../app/src/platform/db/pool.js";
import type { Benchmark } from "./run.js";
import { createScratchDatabase } from "./scratch-database.js";

const TARGET_BYTES = 500 * 1024 * 1024;
const ITEMS_PER_BATCH = 20_000;
const EVENTS_PER_ITEM = 12;

const bench: Benchmark = async () => {
  const db = await createScratchDatabase();
  const dir = await mkdtemp(path.join(tmpdir(), "twinflow-backup-bench-"));
  const log = pino({ level: "silent" });
  const pool = createPool({ connectionString: db.ownerUrl, max: 3, applicationName: "twinflow-backup-bench", log });
  try {
    const databaseBytes = await fillTo(db.ownerUrl, TARGET_BYTES);
    await mkdir(path.join(dir, "gated"));
    const owner = pgConnection(db.ownerUrl);
    const bareDump = await timed(() => runPgTool("pg_dump", ["-Fc", "--file", path.join(dir, "bare.dump"), ...owner.args], owner.env));
    const pipeline = await timed(() => runBackup({ pool, ownerUrl: db.ownerUrl, dir: path.join(dir, "gated"), minBytes: 8192, minFraction: 0.5, retentionDays: 14, log }));
    const dumpBytes = (await stat(path.join(dir, "bare.dump"))).size;
    const restoreTarget = `${new URL(db.ownerUrl).pathname.slice(1)}_restore`;
    await createDatabase(db.ownerUrl, restoreTarget);
    const target = pgConnection(withDatabase(db.ownerUrl, restoreTarget));
    const bareRestore = await timed(() => runPgTool("pg_restore", ["--exit-on-error", "--no-password", ...target.args, path.join(dir, "bare.dump")], target.env));
    await dropDatabase(db.ownerUrl, restoreTarget);
    const drill = await timed(() => restoreDrill({ pool, serverUrl: db.ownerUrl, source: { kind: "local", dir: path.join(dir, "gated") }, log }));
    const ratio = (seconds: number, bare: number) => Number((seconds / bare).toFixed(2));
    return {
      title: "backups: gated dump and restore drill against bare pg_dump and pg_restore",
      description:
        `A database of ${mb(databaseBytes)} MB (pg_database_size: one tenant, ${EVENTS_PER_ITEM} events an item), dumped to a ${mb(dumpBytes)} MB custom-format file. ` +
        "The pipeline is runBackup: canary, snapshot counts, pg_dump streamed through sha256, the four gates, manifest and rename. " +
        "The drill is restoreDrill from the local backup: checksum, scratch database, pg_restore --exit-on-error, the checks, drop. " +
        "Targets: pipeline ≤ 1.3× bare pg_dump; drill ≤ 1.2× bare pg_restore.",
      columns: ["operation", "seconds", "× the bare tool", "target"],
      rows: [
        ["pg_dump -Fc (bare)", bareDump.seconds, 1, "—"],
        ["backup pipeline (dump + gates)", pipeline.seconds, ratio(pipeline.seconds, bareDump.seconds), "≤ 1.3"],
        ["pg_restore (bare, into an empty database)", bareRestore.seconds, 1, "—"],
        ["restore drill", drill.seconds, ratio(drill.seconds, bareRestore.seconds), "≤ 1.2"],
      ],
      notes:
        "One run each, Postgres on the same 2 cores; the bare tools ran first, on the same warm page cache. " +
        `Gate seconds in the pipeline: ${Object.entries(pipeline.result.backup.manifest.gateSeconds)
          .map(([gate, seconds]) => `${gate} ${seconds.toFixed(2)}`)
          .join(", ")} (the full read runs while the dump is written; its figure is the wait after it).`,
    };
  } finally {
    await pool.end();
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  }
};

export default bench;

/**
 * Adds work items and their events in batches until the database reaches `bytes`. The events'
 * foreign key to their items is dropped while filling and added back after (validated in one
 * pass): checked row by row it would make the fill, not the backup, the slow part.
 */
async function fillTo(ownerUrl: string, bytes: number): Promise<number> {
  const tenantId = randomUUID();
  const connectionId = await withClient(ownerUrl, async (owner) => {
    await owner.query("INSERT INTO tenants (id, name) VALUES ($1, 'Backup bench')", [tenantId]);
    const { rows } = await owner.query<{ id: string }>("INSERT INTO connections (tenant_id, provider, label) VALUES ($1, 'demo', 'bench') RETURNING id", [tenantId]);
    await owner.query(
      "INSERT INTO actors (tenant_id, connection_id, external_id, display_name) SELECT $1, $2, 'user-' || n, 'User ' || n FROM generate_series(1, 50) AS n",
      [tenantId, rows[0]!.id],
    );
    return rows[0]!.id;
  });
  const foreignKey = await withClient(ownerUrl, async (owner) => {
    const { rows } = await owner.query<{ name: string; definition: string }>(
      "SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'f'",
    );
    for (const { name } of rows) await owner.query(`ALTER TABLE events DROP CONSTRAINT ${pg.escapeIdentifier(name)}`);
    return rows;
  });
  for (let batch = 0; ; batch += 1) {
    const size = await withClient(ownerUrl, async (owner) => {
      await owner.query("ANALYZE work_items, events, actors");
      return databaseSize(owner);
    });
    if (size >= bytes) {
      await withClient(ownerUrl, async (owner) => {
        for (const { name, definition } of foreignKey) await owner.query(`ALTER TABLE events ADD CONSTRAINT ${pg.escapeIdentifier(name)} ${definition}`);
      });
      return size;
    }
    await withClient(ownerUrl, async (owner) => {
      await owner.query(
        `INSERT INTO work_items (tenant_id, connection_id, external_id, container, item_type, created_at, status, priority, labels)
         SELECT $1, $2, 'B-' || ($3::int * $4::int + n), 'BATCH-' || $3::int, 'Story', now() - n * interval '1 minute', 'In Progress', 'Medium', '{backend}'
           FROM generate_series(1, $4::int) AS n`,
        [tenantId, connectionId, batch, ITEMS_PER_BATCH],
      );
      await owner.query(
        `INSERT INTO events (tenant_id, connection_id, work_item_id, external_id, occurred_at, actor_id, type, field, from_value, to_value)
         SELECT w.tenant_id, w.connection_id, w.id, w.external_id || '#' || k, w.created_at + k * interval '1 hour', a.id, 'status_changed', 'status', 'To Do', 'In Progress'
           FROM work_items w CROSS JOIN generate_series(1, $4::int) AS k
           JOIN actors a ON a.connection_id = w.connection_id AND a.external_id = 'user-' || (1 + k % 50)
          WHERE w.tenant_id = $1 AND w.connection_id = $2 AND w.container = 'BATCH-' || $3::int`,
        [tenantId, connectionId, batch, EVENTS_PER_ITEM],
      );
    });
  }
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function databaseSize(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ bytes: string }>("SELECT pg_database_size(current_database()) AS bytes");
  return Number(rows[0]!.bytes);
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { seconds: Number(((performance.now() - started) / 1000).toFixed(2)), result };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const createDatabase = (ownerUrl: string, name: string) =>
  withClient(ownerUrl, (owner) => owner.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`));

const dropDatabase = (ownerUrl: string, name: string) =>
  withClient(ownerUrl, (owner) => owner.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
