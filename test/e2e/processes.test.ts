import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../support/net.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { samplesOf, valueOf } from "../support/metrics.js";
import { runTwinflow, startTwinflow, type RunningProcess } from "../support/process.js";
import { ADMIN_DATABASE_URL, TEST_DATABASE_PREFIX, TEST_OWNER, TEST_RUNTIME, databaseUrl } from "../support/services.js";
import { Browser, testEnv } from "../support/web.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

/** The metrics address a process logged once it was ready (tests bind port 0). */
async function metricsUrl(role: RunningProcess): Promise<string> {
  await role.waitFor(/"msg":"metrics listening"/);
  const line = role.output().split("\n").find((text) => text.includes('"msg":"metrics listening"'))!;
  const { host, port } = JSON.parse(line) as { host: string; port: number };
  return `http://${host}:${port}`;
}

describe("twinflow processes", () => {
  it("web: starts against real Postgres and Redis, signs a person up and in, shows the overview, and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const env = testEnv(db, { PORT: String(port), HOST: "127.0.0.1", PUBLIC_URL: `http://127.0.0.1:${port}` });
    const web = startTwinflow(["web"], env);
    try {
      await web.waitFor(/"msg":"web listening"/);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);

      const browser = new Browser(base);
      await browser.get("/sign-up");
      const created = await browser.post("/sign-up", { tenantName: "Process Co", displayName: "Pat", email: "pat@process.example", password: "a long enough password" });
      expect(created.status).toBe(302);
      await browser.get("/overview");
      expect((await browser.post("/sign-out", {})).status).toBe(302);

      const again = new Browser(base);
      await again.get("/sign-in");
      expect((await again.post("/sign-in", { email: "pat@process.example", password: "a long enough password" })).location).toBe("/overview");
      const overview = await again.get("/overview");
      expect(overview.status).toBe(200);
      expect(overview.body).toContain("Process Co");

      const metrics = await metricsUrl(web);
      expect(new URL(metrics).port).not.toBe(String(port));
      const text = await (await fetch(`${metrics}/metrics`)).text();
      expect(valueOf(text, "twinflow_http_request_duration_seconds_count", { method: "GET", route: "/overview", status: "2xx" })).toBe(2);
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
    } finally {
      expect(await web.stop()).toBe(0);
    }
    expect(web.output()).toContain('"msg":"web stopped"');
    expect(web.output()).not.toContain("a long enough password");
  });

  it("worker and scheduler connect, report in, and stop cleanly on SIGTERM", async () => {
    const env = testEnv(db);
    const worker = startTwinflow(["worker"], env);
    const scheduler = startTwinflow(["scheduler"], env);
    try {
      await worker.waitFor(/"msg":"worker ready"/);
      await scheduler.waitFor(/"msg":"scheduler is (the leader|standing by)"/);
      for (const role of [worker, scheduler]) {
        const metrics = await metricsUrl(role);
        const health = await fetch(`${metrics}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.text()).toBe("ok");
        const text = await (await fetch(`${metrics}/metrics`)).text();
        expect(valueOf(text, "twinflow_queue_jobs", { queue: "scans-demo", state: "waiting" })).toBe(0);
        expect(samplesOf(text, "twinflow_process_cpu_seconds_total")).toHaveLength(1);
      }
    } finally {
      expect(await worker.stop()).toBe(0);
      expect(await scheduler.stop()).toBe(0);
    }
    expect(worker.output()).toContain("worker stopped");
    expect(scheduler.output()).toContain("scheduler stopped");
  });

  it("refuses to start without a required secret, naming the variable", async () => {
    const env = testEnv(db);
    delete env.SESSION_SECRET;
    const result = await runTwinflow(["web"], env);
    expect(result.code).toBe(78);
    expect(result.output).toContain("SESSION_SECRET is missing");
    expect(result.output).toContain("openssl rand -base64 32");
  });

  it("migrate applies nothing to an up-to-date database and says so", async () => {
    const result = await runTwinflow(["migrate"], testEnv(db));
    expect(result.code).toBe(0);
    expect(result.output).toContain("database is up to date");
  });

  it("prepare-db creates a missing database and migrates it, and an upgrade run changes nothing", async () => {
    // Named like the run's other databases, so the run drops it at the end.
    const name = `${TEST_DATABASE_PREFIX}${inject("testRunId")}_prepare_${randomBytes(3).toString("hex")}`;
    const env = testEnv(db, { DATABASE_ADMIN_URL: ADMIN_DATABASE_URL, DATABASE_OWNER_URL: databaseUrl(TEST_OWNER, name), DATABASE_URL: databaseUrl(TEST_RUNTIME, name) });
    const first = await runTwinflow(["prepare-db"], env);
    expect(first.code).toBe(0);
    expect(first.output).toContain('"msg":"migrations applied"');
    const runtime = new pg.Client({ connectionString: databaseUrl(TEST_RUNTIME, name) });
    await runtime.connect();
    try {
      const { rows } = await runtime.query<{ n: number }>("SELECT count(*)::int AS n FROM work_items");
      expect(rows[0]!.n).toBe(0);
    } finally {
      await runtime.end();
    }
    const again = await runTwinflow(["prepare-db"], env);
    expect(again.code).toBe(0);
    expect(again.output).toContain("database is up to date");
  });
});
