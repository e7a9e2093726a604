/**
 * `make demo`, the README's first command, as a newcomer runs it: ops/demo.sh writes the
 * env file's secrets, creates the roles and database, migrates, seeds the demo organization
 * and runs web, worker and scheduler until Ctrl-C. Its own database, ports and queues keep
 * it apart from the rest of the run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../support/net.js";
import { ADMIN_DATABASE_URL, REDIS_URL, TEST_DATABASE_PREFIX, TEST_OWNER, TEST_RUNTIME, databaseUrl } from "../support/services.js";
import { Browser } from "../support/web.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PROCESSES = ["web", "worker", "scheduler"] as const;

let dir: string;
let database: string;
let publicUrl: string;
let metricsBase: number;
let demo: ChildProcess;
let output = "";
let exited: Promise<number | null>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "twinflow-demo-"));
  database = `${TEST_DATABASE_PREFIX}${inject("testRunId")}_demo_${randomBytes(4).toString("hex")}`;
  const port = await freePort();
  metricsBase = await freePortRun(PROCESSES.length);
  publicUrl = `http://localhost:${port}`;
  // What a newcomer's .env would say, pointed at this run's database roles; make demo fills in the rest.
  const envFile = path.join(dir, ".env");
  await writeFile(
    envFile,
    [
      `PUBLIC_URL=${publicUrl}`,
      `PORT=${port}`,
      `METRICS_PORT=${metricsBase}`,
      `DATABASE_URL=${databaseUrl(TEST_RUNTIME, database)}`,
      `DATABASE_OWNER_URL=${databaseUrl(TEST_OWNER, database)}`,
      `DATABASE_ADMIN_URL=${ADMIN_DATABASE_URL}`,
      `REDIS_URL=${REDIS_URL}`,
      `QUEUE_PREFIX=demo-test-${randomBytes(4).toString("hex")}`,
      "",
    ].join("\n"),
  );
  demo = spawn("bash", ["ops/demo.sh"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TWINFLOW_ENV_FILE: envFile, TWINFLOW_READY_SECONDS: "120" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  demo.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  demo.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  exited = new Promise((resolve) => demo.on("exit", (code) => resolve(code)));
  const ready = await Promise.race([until(() => output.includes("TwinFlow is running"), 150_000), exited.then(() => false)]);
  if (!ready) throw new Error(`make demo did not start:\n${output.slice(-4000)}`);
}, 180_000);

afterAll(async () => {
  if (demo?.exitCode === null) {
    demo.kill("SIGINT");
    await exited;
  }
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`).finally(() => admin.end());
  await rm(dir, { recursive: true, force: true });
});

describe("make demo", () => {
  it("runs TwinFlow with the demo organization, signed in with the printed credentials", async () => {
    const envFile = parseEnv(await readFile(path.join(dir, ".env"), "utf8"));
    expect(envFile.DEMO_PASSWORD, "make demo wrote a demo password").toMatch(/.{12,}/);
    expect(output).toContain(`TwinFlow is running: ${publicUrl}`);
    expect(output).toContain("Sign in as demo@twinflow.local");

    const browser = new Browser(publicUrl);
    await browser.get("/sign-in");
    const signedIn = await browser.post("/sign-in", { email: "demo@twinflow.local", password: envFile.DEMO_PASSWORD! });
    expect(signedIn.location).toBe("/overview");
    const overview = await browser.get("/overview");
    expect(overview.body).toContain("Demo Co");
    const connection = /href="\/connections\/([0-9a-f-]{36})"/.exec((await browser.get("/connections")).body)![1]!;
    const assistant = await browser.get(`/connections/${connection}/assistant`);
    expect(assistant.status).toBe(200);
    expect(assistant.body).toContain("The assistant is not configured");
  });

  it("gives web, worker and scheduler a metrics port each", async () => {
    for (const [offset, name] of PROCESSES.entries()) {
      const health = await fetch(`http://127.0.0.1:${metricsBase + offset}/healthz`);
      expect(health.status, name).toBe(200);
    }
    expect(output).not.toContain("EADDRINUSE");
  });

  it("stops all three on Ctrl-C", async () => {
    demo.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(output).toContain("stopping web, worker and scheduler");
    await expect(fetch(`${publicUrl}/readyz`)).rejects.toThrow();
  }, 40_000);
});

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return true;
}

/** The first of `count` consecutive loopback ports that were all free a moment ago. */
async function freePortRun(count: number): Promise<number> {
  for (;;) {
    const first = await freePort();
    if (first + count > 65_535) continue;
    const taken = await Promise.all(Array.from({ length: count - 1 }, (_, i) => isTaken(first + i + 1)));
    if (!taken.some(Boolean)) return first;
  }
}

function isTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}
