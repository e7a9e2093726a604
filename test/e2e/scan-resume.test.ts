import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../../app/src/connectors/connections.js";
import { withTenant } from "../../app/src/platform/db/tenant.js";
import { Vault } from "../../app/src/platform/vault.js";
import { requestScan } from "../../app/src/scans/enqueue.js";
import { ScanQueues } from "../../app/src/scans/queue.js";
import { fixtureIssues, startFakeGitHub, FAKE_GITHUB_TOKEN, type FakeGitHub, type GitHubJson } from "../fakes/github.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { seedTenantGraph, type TenantGraph } from "../support/fixtures.js";
import { startTwinflow, type RunningProcess } from "../support/process.js";
import { testEnv } from "../support/web.js";

const ISSUES = 240;
const PAGE = 10;

/** Many distinct issues, one hour apart, so a scan takes many pages. */
function manyIssues(): GitHubJson[] {
  const template = fixtureIssues().find((issue) => !("pull_request" in issue))!;
  return Array.from({ length: ISSUES }, (_, index) => {
    const at = new Date(Date.UTC(2025, 0, 1) + index * 3_600_000).toISOString();
    return { ...structuredClone(template), id: 9_000_000 + index, number: 10_000 + index, created_at: at, updated_at: at };
  });
}

let db: TestDatabase;
let tenant: TenantGraph;
let github: FakeGitHub;
let env: Record<string, string>;
let queues: ScanQueues;
const running: RunningProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  tenant = await seedTenantGraph(db.owner, "Resume");
  github = await startFakeGitHub({ issues: manyIssues(), events: [], pageSize: PAGE, latencyMs: 40 });
  env = testEnv(db, { QUEUE_PREFIX: `test-${randomBytes(4).toString("hex")}`, SCAN_LOCK_SECONDS: "5" });
  queues = new ScanQueues({ redisUrl: env.REDIS_URL!, prefix: env.QUEUE_PREFIX!, lockDurationMs: 5_000, log: pino({ level: "silent" }) });
});

afterAll(async () => {
  await Promise.all(running.map((worker) => worker.stop()));
  await queues.close();
  await github.close();
  await db.drop();
});

async function newConnection(): Promise<string> {
  const vault = Vault.fromSpec(env.TWINFLOW_VAULT_KEYS!);
  const principal = { tenantId: tenant.tenantId, userId: tenant.userId, role: "owner" as const, sessionId: null };
  return withTenant(db.runtime, tenant.tenantId, (client) =>
    createConnection(client, vault, principal, {
      provider: "github",
      label: "resume",
      settings: { repositories: ["panjf2000/ants"], apiBaseUrl: github.url },
      credentials: { token: FAKE_GITHUB_TOKEN },
      backfillDays: 3650,
    }),
  );
}

function worker(): RunningProcess {
  const process = startTwinflow(["worker"], env);
  running.push(process);
  return process;
}

async function scanRow(scanId: string) {
  const { rows } = await db.owner.query<{ status: string; pages_done: number }>("SELECT status, pages_done FROM scans WHERE id = $1", [scanId]);
  return rows[0]!;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const eventsOf = async (connectionId: string) =>
  (await db.owner.query<{ n: number; distinct: number }>("SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS distinct FROM events WHERE connection_id = $1", [connectionId])).rows[0]!;

describe("a scan interrupted by a killed worker", () => {
  it("resumes on another worker with every event exactly once", async () => {
    const interrupted = await newConnection();
    const first = worker();
    await first.waitFor(/"msg":"worker ready"/);
    const { scanId } = await requestScan(db.runtime, queues, { tenantId: tenant.tenantId, connectionId: interrupted }, "manual");
    await until(async () => (await scanRow(scanId)).pages_done >= 5, "five pages");
    first.child.kill("SIGKILL");
    await first.exited;
    const pagesAtKill = (await scanRow(scanId)).pages_done;
    expect(pagesAtKill).toBeLessThan(ISSUES / PAGE);

    const second = worker();
    await second.waitFor(/"msg":"worker ready"/);
    await until(async () => !["queued", "running"].includes((await scanRow(scanId)).status), "the resumed scan to end");
    expect((await scanRow(scanId)).status).toBe("succeeded");
    // It continued after its saved cursor instead of starting over. A whole scan is
    // ISSUES / PAGE requests; the kill can waste the two pages in flight (the one being
    // written and the one fetched ahead) and the cursor's overlap one more. A restart would
    // re-read the five or more pages done before the kill on top of a whole scan.
    const issueRequests = () => github.requests.filter((request) => request.path.endsWith("/issues")).length;
    expect(issueRequests()).toBeLessThanOrEqual(ISSUES / PAGE + 3);
    expect(issueRequests()).toBeLessThan(pagesAtKill + ISSUES / PAGE);

    const uninterrupted = await newConnection();
    const control = await requestScan(db.runtime, queues, { tenantId: tenant.tenantId, connectionId: uninterrupted }, "manual");
    await until(async () => (await scanRow(control.scanId)).status === "succeeded", "the uninterrupted scan");

    const resumed = await eventsOf(interrupted);
    const whole = await eventsOf(uninterrupted);
    expect(whole.n).toBe(ISSUES);
    expect(resumed).toEqual(whole);
  }, 120_000);
});
