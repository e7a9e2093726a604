/**
 * Page render times for a tenant with a 1,000,000-event connection: every analytics page
 * reads the precomputed scan output, so its time should not grow with the log. Each page is
 * requested over HTTP from the real app, one request at a time, after warming up.
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import { withTenant } from "../app/src/platform/db/tenant.js";
import { refreshScanOutput } from "../app/src/scans/scan-output-store.js";
import { signUp, startTestWeb, type Browser } from "../test/support/web.js";
import type { Benchmark, BenchResult } from "./run.js";
import { createScratchDatabase } from "./scratch-database.js";

const ITEMS = 100_000;
const EVENTS_PER_ITEM = 10;
const WARM_UP = 3;
const REQUESTS = 40;

/** The pages a team lead opens, by the connection they show. */
const PAGES: readonly { name: string; path: (connectionId: string) => string }[] = [
  { name: "overview", path: () => "/overview" },
  { name: "connection", path: (id) => `/connections/${id}` },
  { name: "process map", path: (id) => `/connections/${id}/process-map` },
  { name: "process map with durations", path: (id) => `/connections/${id}/process-map?steps=20&durations=on` },
  { name: "process map of a project", path: (id) => `/connections/${id}/process-map?container=ENG` },
  { name: "flow", path: (id) => `/connections/${id}/flow` },
  { name: "bottlenecks", path: (id) => `/connections/${id}/bottlenecks` },
  { name: "variants & rework", path: (id) => `/connections/${id}/variants` },
  { name: "forecast", path: (id) => `/connections/${id}/forecast` },
  { name: "forecast for 500 items", path: (id) => `/connections/${id}/forecast?items=500` },
  { name: "assistant", path: (id) => `/connections/${id}/assistant` },
  { name: "settings", path: (id) => `/connections/${id}/settings` },
  { name: "security", path: () => "/security" },
];

const bench: Benchmark = async (): Promise<BenchResult> => {
  const db = await createScratchDatabase();
  const web = await startTestWeb(db);
  try {
    const owner = await signUp(web, { email: "pages-bench@example.com", tenantName: "Pages bench" });
    const { tenantId, connectionId } = await seedConnection(db.ownerUrl);
    await withTenant(web.pool, tenantId, (client) => refreshScanOutput(client, { tenantId, connectionId }, null, new Date()), "snapshot-write");
    const stored = await withTenant(web.pool, tenantId, (client) =>
      client.query<{ bytes: number }>("SELECT octet_length(output::text) AS bytes FROM scan_outputs WHERE scope = $1", [`connection:${connectionId}`]),
    );
    const rows: (string | number)[][] = [];
    for (const page of PAGES) rows.push([page.name, ...(await timePage(owner, page.path(connectionId)))]);
    return {
      title: "web: page render with a 1,000,000-event connection",
      description:
        `Each page of a tenant whose connection holds ${ITEMS.toLocaleString("en")} items and ${(ITEMS * EVENTS_PER_ITEM).toLocaleString("en")} events (three projects), ` +
        `requested ${REQUESTS} times in a row over HTTP from the app in this process, after ${WARM_UP} warm-up requests. Times run from sending the request to the last byte of the page.`,
      columns: ["page", "median (ms)", "p95 (ms)", "max (ms)", "size (KB)"],
      rows,
      notes:
        `Target: p95 at most 100 ms for every page. The pages read the stored scan outputs (the connection's is ${(stored.rows[0]!.bytes / 1024).toFixed(0)} KB of JSON); ` +
        "no page counts items or events.",
    };
  } finally {
    await web.close();
    await db.drop();
  }
};
export default bench;

async function timePage(browser: Browser, path: string): Promise<number[]> {
  const times: number[] = [];
  let size = 0;
  for (let request = 0; request < WARM_UP + REQUESTS; request += 1) {
    const started = performance.now();
    const page = await browser.get(path);
    const elapsed = performance.now() - started;
    if (page.status !== 200) throw new Error(`${path} answered ${page.status}: ${page.body.slice(0, 300)}`);
    if (request >= WARM_UP) times.push(elapsed);
    size = page.body.length;
  }
  times.sort((a, b) => a - b);
  const rank = (share: number) => times[Math.ceil(share * times.length) - 1]!;
  return [rank(0.5), rank(0.95), times.at(-1)!, size / 1024];
}

/**
 * One connection in the signed-up tenant: items in three projects, each with ten status
 * changes through a review and test loop; one in five is still open at the end.
 */
async function seedConnection(ownerUrl: string): Promise<{ tenantId: string; connectionId: string }> {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const tenantId = (await owner.query<{ id: string }>("SELECT id FROM tenants WHERE name = 'Pages bench'")).rows[0]!.id;
    const connectionId = (await owner.query<{ id: string }>("INSERT INTO connections (tenant_id, provider, label) VALUES ($1, 'demo', 'Engineering') RETURNING id", [tenantId])).rows[0]!.id;
    await owner.query(
      `INSERT INTO work_items (tenant_id, connection_id, external_id, container, item_type, created_at, status, priority, labels)
       SELECT $1, $2, 'W-' || n, (ARRAY['ENG', 'OPS', 'WEB'])[1 + n % 3], (ARRAY['Bug', 'Task', 'Story'])[1 + n % 3 / 2 + n % 2],
              timestamptz '2026-05-01' + n * interval '150 seconds', CASE WHEN n % 5 = 0 THEN 'QA' ELSE 'Done' END,
              (ARRAY['High', 'Medium', 'Low'])[1 + n % 7 % 3], ARRAY[(ARRAY['backend', 'frontend', 'infra', 'docs'])[1 + n % 4]]
         FROM generate_series(1, $3::int) AS n`,
      [tenantId, connectionId, ITEMS],
    );
    await owner.query(
      `INSERT INTO events (tenant_id, connection_id, work_item_id, external_id, occurred_at, type, field, from_value, to_value)
       SELECT w.tenant_id, w.connection_id, w.id, w.external_id || '#' || k, w.created_at + k * interval '4 hours' * (1 + hashtext(w.external_id) % 5 + 5), 'status_changed', 'status',
              path[k], path[k + 1]
         FROM work_items w
        CROSS JOIN generate_series(1, $2::int) AS k
        CROSS JOIN LATERAL (SELECT CASE WHEN w.status = 'Done'
          THEN ARRAY['To Do', 'In Progress', 'In Review', 'In Progress', 'In Review', 'QA', 'In Progress', 'In Review', 'QA', 'Ready to release', 'Done']
          ELSE ARRAY['To Do', 'Ready', 'In Progress', 'Blocked', 'In Progress', 'In Review', 'In Progress', 'In Review', 'In Progress', 'In Review', 'QA'] END AS path) AS paths
        WHERE w.connection_id = $1`,
      [connectionId, EVENTS_PER_ITEM],
    );
    await owner.query("UPDATE connections SET last_scan_at = now() WHERE id = $1", [connectionId]);
    await owner.query("ANALYZE work_items, events");
    return { tenantId, connectionId };
  } finally {
    await owner.end();
  }
}
