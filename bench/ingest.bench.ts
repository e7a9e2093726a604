/**
 * Ingest throughput and worker memory: a million events through the scan runner (runScan →
 * ingestBatch, one tenant transaction a page) into a scratch Postgres, in a forked worker
 * process so its memory is measured alone.
 */
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { ScanJob } from "../app/src/scans/queue.js";
import { deployedWorkerNodeOptions } from "./deployed-worker.js";
import type { WorkerReport, WorkerTask } from "./ingest-worker.js";
import { runForked } from "./forked.js";
import type { Benchmark, BenchResult } from "./run.js";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-database.js";
import { syntheticLogSize, type SyntheticSettings } from "./synthetic-connector.js";

const TOTAL_EVENTS = 1_000_000;
/** Another tenant's events already in the database, as in any live one. */
const EXISTING_EVENTS = 100_000;
const WORKER = fileURLToPath(new URL("./ingest-worker.ts", import.meta.url));

interface Run {
  /** Items a page: 100 is a GitHub issues page, 1,000 a Jira scan page (about 1,000 and 10,000 events). */
  itemsPerPage: number;
  /** Scans at once, each of its own connection; a worker runs up to 2 a provider. */
  scans: number;
}

const RUNS: Run[] = [
  { itemsPerPage: 100, scans: 1 },
  { itemsPerPage: 1_000, scans: 1 },
  { itemsPerPage: 100, scans: 2 },
  { itemsPerPage: 1_000, scans: 2 },
];

const bench: Benchmark = async () => {
  const nodeOptions = await deployedWorkerNodeOptions();
  const rows: (string | number)[][] = [];
  for (const run of RUNS) rows.push(await measure(run, nodeOptions));
  return [scanResult(rows, nodeOptions), await postgresCeiling()];
};

export default bench;

function scanResult(rows: (string | number)[][], nodeOptions: readonly string[]): BenchResult {
  return {
    title: `scan ingest: ${TOTAL_EVENTS.toLocaleString("en")} events into Postgres`,
    description:
      "Full scans through the scan runner (runScan) in a worker process that loads the compiled application as `twinflow worker` does, " +
      `with the worker's Node options from compose/docker-compose.yml (${nodeOptions.join(" ") || "none"}). ` +
      "A connector builds each page when the scan asks for it (5–15 events an item, 10 on average), so no more than a page is held; " +
      "each page is ingested with its cursor and scan progress in one tenant transaction, as the runtime role under row-level security, " +
      `into a freshly migrated database that already holds another tenant's ${EXISTING_EVENTS.toLocaleString("en")} events. Two scans at once share the events. ` +
      "Targets: at least 50,000 events/s on this machine; peak worker RSS under 256 MB.",
    columns: ["items a page", "scans at once", "pages", "events", "seconds", "events/s", "RSS at start (MB)", "peak RSS, sampled (MB)", "peak RSS, kernel (MB)", "peak heap used (MB)"],
    rows,
    notes:
      "RSS is sampled from process.memoryUsage() every 20 ms; the kernel's figure (getrusage) is the worker process's peak over its whole life. " +
      "Postgres runs on the same 2 cores as the worker, so the seconds include the database's work: per event a heap row, two index entries (external id; item and time) " +
      "and the ON CONFLICT check. Page transactions commit without waiting for the WAL flush, as the scan runner's do. " +
      "One scan writes through one database session, so it keeps one core busy at most; a worker runs up to two scans of a provider at once, which is how it uses both cores.",
  };
}

/**
 * What Postgres alone does on this machine: the existing tenant's events copied under new
 * external ids in one INSERT … SELECT, in a transaction that is rolled back.
 */
async function postgresCeiling(): Promise<BenchResult> {
  const db = await createScratchDatabase();
  try {
    await seedExistingTenant(db);
    const rows = await asOwner(db, async (owner) => [["as ingested: two indexes, ON CONFLICT", ...(await timeCopy(owner))]]);
    return {
      title: "scan ingest: what Postgres alone inserts",
      description:
        `The existing tenant's ${EXISTING_EVENTS.toLocaleString("en")} events copied into the events table by one INSERT … SELECT inside Postgres ` +
        "(no client, no parameters), as the table owner, and rolled back: an upper bound for one scan, which writes through one database session.",
      columns: ["events table", "events", "seconds", "events/s"],
      rows,
    };
  } finally {
    await db.drop();
  }
}

async function timeCopy(owner: pg.Client): Promise<[number, number, number]> {
  await owner.query("BEGIN");
  try {
    const started = performance.now();
    const { rowCount } = await owner.query(
      `INSERT INTO events (tenant_id, connection_id, work_item_id, external_id, occurred_at, actor_id, type, field, from_value, to_value)
       SELECT tenant_id, connection_id, work_item_id, external_id || ':copy', occurred_at, actor_id, type, field, from_value, to_value FROM events
       ON CONFLICT (tenant_id, connection_id, external_id) DO NOTHING`,
    );
    const seconds = (performance.now() - started) / 1000;
    const events = rowCount ?? 0;
    return [events, seconds, Math.round(events / seconds)];
  } finally {
    await owner.query("ROLLBACK");
  }
}

async function measure(run: Run, nodeOptions: readonly string[]): Promise<(string | number)[]> {
  const settings: SyntheticSettings = { itemsPerPage: run.itemsPerPage, totalEvents: TOTAL_EVENTS / run.scans };
  const expected = syntheticLogSize(settings);
  const db = await createScratchDatabase();
  try {
    await seedExistingTenant(db);
    const jobs: ScanJob[] = [];
    for (let scan = 0; scan < run.scans; scan += 1) jobs.push(await arrangeScan(db, settings));
    const report = await runForked<WorkerTask, WorkerReport>(WORKER, { runtimeUrl: db.runtimeUrl, jobs }, nodeOptions);
    const failed = report.statuses.find((status) => status !== "succeeded");
    if (failed) throw new Error(`a scan ended ${failed}`);
    const events = await storedEvents(db, jobs, expected.events);
    return [
      run.itemsPerPage,
      run.scans,
      run.scans * Math.ceil(expected.items / run.itemsPerPage),
      events,
      report.seconds,
      Math.round(events / report.seconds),
      report.rssBeforeMb,
      report.peakRssMb,
      report.maxRssMb,
      report.peakHeapUsedMb,
    ];
  } finally {
    await db.drop();
  }
}


/**
 * Another tenant's history, analyzed as autovacuum does in a live database. Empty tables
 * without statistics make Postgres plan the foreign-key checks as sequential scans, and a
 * database connection keeps those plans while the tables grow.
 */
async function seedExistingTenant(db: ScratchDatabase): Promise<void> {
  await asOwner(db, async (owner) => {
    const tenantId = randomUUID();
    await owner.query("INSERT INTO tenants (id, name) VALUES ($1, 'Existing tenant')", [tenantId]);
    const { rows } = await owner.query<{ id: string }>("INSERT INTO connections (tenant_id, provider, label) VALUES ($1, 'demo', 'existing data') RETURNING id", [tenantId]);
    const ref = [tenantId, rows[0]!.id];
    await owner.query("INSERT INTO actors (tenant_id, connection_id, external_id, display_name) SELECT $1, $2, 'user-' || n, 'User ' || n FROM generate_series(1, 40) AS n", ref);
    await owner.query(
      `INSERT INTO work_items (tenant_id, connection_id, external_id, container, item_type, created_at, status)
       SELECT $1, $2, 'OLD-' || n, 'OLD', 'Task', now() - n * interval '1 hour', 'Done' FROM generate_series(1, $3::int) AS n`,
      [...ref, EXISTING_EVENTS / 10],
    );
    await owner.query(
      `INSERT INTO events (tenant_id, connection_id, work_item_id, external_id, occurred_at, actor_id, type, field, to_value)
       SELECT w.tenant_id, w.connection_id, w.id, w.external_id || '#' || k, w.created_at + k * interval '1 minute', a.id, 'status_changed', 'status', 'Done'
         FROM work_items w CROSS JOIN generate_series(1, 10) AS k
         JOIN actors a ON a.connection_id = w.connection_id AND a.external_id = 'user-' || k
        WHERE w.connection_id = $1`,
      [ref[1]],
    );
    await owner.query("ANALYZE actors, work_items, events");
  });
}

/** A tenant, a demo-provider connection configured for the synthetic log, and its queued scan. */
async function arrangeScan(db: ScratchDatabase, settings: SyntheticSettings): Promise<ScanJob> {
  return asOwner(db, async (owner) => {
    const tenantId = randomUUID();
    await owner.query("INSERT INTO tenants (id, name) VALUES ($1, 'Bench')", [tenantId]);
    const connection = await owner.query<{ id: string }>(
      "INSERT INTO connections (tenant_id, provider, label, config) VALUES ($1, 'demo', 'ingest bench', $2) RETURNING id",
      [tenantId, JSON.stringify(settings)],
    );
    const connectionId = connection.rows[0]!.id;
    const scan = await owner.query<{ id: string }>("INSERT INTO scans (tenant_id, connection_id, status) VALUES ($1, $2, 'queued') RETURNING id", [tenantId, connectionId]);
    return { tenantId, connectionId, scanId: scan.rows[0]!.id };
  });
}

/** Every scanned event must have landed: a fast number that lost events would be no number. */
async function storedEvents(db: ScratchDatabase, jobs: readonly ScanJob[], expectedPerScan: number): Promise<number> {
  return asOwner(db, async (owner) => {
    let total = 0;
    for (const { connectionId } of jobs) {
      const { rows } = await owner.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE connection_id = $1", [connectionId]);
      const stored = rows[0]!.n;
      if (stored !== expectedPerScan) throw new Error(`${expectedPerScan} events were scanned but ${stored} stored`);
      total += stored;
    }
    return total;
  });
}

async function asOwner<T>(db: ScratchDatabase, fn: (owner: pg.Client) => Promise<T>): Promise<T> {
  const owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  try {
    return await fn(owner);
  } finally {
    await owner.end();
  }
}
