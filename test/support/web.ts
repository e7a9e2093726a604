import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { Registry } from "prom-client";
import { loadConfig, type Config } from "../../app/src/config.js";
import { createPool, type Pool } from "../../app/src/platform/db/pool.js";
import { createLogger } from "../../app/src/platform/log.js";
import { createMetricsRegistry } from "../../app/src/platform/metrics.js";
import { createRedis, type Redis } from "../../app/src/platform/redis.js";
import { generateVaultKey } from "../../app/src/platform/vault.js";
import type { ScanQueues } from "../../app/src/scans/queue.js";
import { createWebApp } from "../../app/src/web/app.js";
import { assembleWebDeps } from "../../app/src/web/deps.js";
import type { TestDatabase } from "./database.js";
import { LOCAL_FAKE_HOSTS, REDIS_URL } from "./services.js";

export function testEnv(db: Pick<TestDatabase, "runtimeUrl" | "ownerUrl">, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: "test",
    PUBLIC_URL: "http://127.0.0.1:3000",
    DATABASE_URL: db.runtimeUrl,
    DATABASE_OWNER_URL: db.ownerUrl,
    REDIS_URL,
    TWINFLOW_VAULT_KEYS: `test1:${generateVaultKey()}`,
    SESSION_SECRET: randomBytes(32).toString("base64"),
    LOG_LEVEL: "info",
    // Processes started in parallel each get a free metrics port.
    METRICS_PORT: "0",
    TRUST_PROXY: "true",
    // Each test app gets queues of its own in the shared Redis.
    QUEUE_PREFIX: `test-${randomBytes(4).toString("hex")}`,
    // The tools' fakes listen on this machine.
    CONNECTOR_EXTRA_HOSTS: LOCAL_FAKE_HOSTS.join(","),
    ...overrides,
  };
}

/** Everything the web app wrote to its log, as text and as parsed lines. */
export class LogCapture extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  lines(): Record<string, unknown>[] {
    return this.text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface TestWeb {
  url: string;
  queues: ScanQueues;
  config: Config;
  pool: Pool;
  redis: Redis;
  logs: LogCapture;
  /** The app's metrics registry, as the web process would serve it. */
  metrics: Registry;
  close(): Promise<void>;
}

/** The real Koa app over real HTTP, against the test database and Redis (keys namespaced per app). */
export async function startTestWeb(db: Pick<TestDatabase, "runtimeUrl" | "ownerUrl">, overrides: Record<string, string> = {}): Promise<TestWeb> {
  const config = loadConfig(testEnv(db, overrides));
  const logs = new LogCapture();
  const log = createLogger({ level: "info", destination: logs });
  const pool = createPool({ connectionString: config.databaseUrl, max: 5, applicationName: "twinflow-test", log });
  const redis = createRedis({ url: config.redisUrl, log, keyPrefix: `test:${randomBytes(6).toString("hex")}:` });
  const metrics = createMetricsRegistry();
  const deps = assembleWebDeps({ config, log, pool, redis, metrics });
  const app = createWebApp(deps);
  const queues = deps.queues;
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queues,
    config,
    pool,
    redis,
    logs,
    metrics,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queues.close();
      await pool.end();
      await redis.quit();
    },
  };
}

export interface Page {
  status: number;
  headers: Headers;
  body: string;
  location: string | null;
}

/** A cookie-keeping client that fills in the CSRF token of the last form it saw. */
let nextClient = 0;

export class Browser {
  readonly cookies = new Map<string, string>();
  csrfToken = "";
  /**
   * Each browser appears to come from its own client address (the test apps trust
   * X-Forwarded-For), unique across runs so per-address throttles never carry over.
   */
  readonly clientIp = `2001:db8:${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}::${(nextClient++).toString(16)}`;

  /** `fetchImpl` lets a test reach the app through TLS with its own trust store (nginx in front). */
  constructor(
    private readonly base: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.request("GET", path, undefined, headers);
  }

  /** Posts a form; `_csrf` is the token from the last page unless the form sets one. */
  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    const body = new URLSearchParams({ _csrf: this.csrfToken, ...form }).toString();
    return this.request("POST", path, body, { "content-type": "application/x-www-form-urlencoded", ...headers });
  }

  /** Posts a multipart form with one file, as a browser's file input does; `_csrf` as for post. */
  async postFile(path: string, form: Record<string, string>, file: { field: string; name: string; content: Buffer | string }): Promise<Page> {
    const body = new FormData();
    for (const [name, value] of Object.entries({ _csrf: this.csrfToken, ...form })) body.append(name, value);
    body.append(file.field, new Blob([file.content]), file.name);
    return this.request("POST", path, body);
  }

  async request(method: string, path: string, body?: string | FormData, headers: Record<string, string> = {}): Promise<Page> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await this.fetchImpl(`${this.base}${path}`, {
      method,
      body,
      redirect: "manual",
      headers: { "x-forwarded-for": this.clientIp, ...(cookie ? { cookie } : {}), ...headers },
    });
    for (const line of response.headers.getSetCookie()) this.keepCookie(line);
    const text = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrfToken = token;
    return { status: response.status, headers: response.headers, body: text, location: response.headers.get("location") };
  }

  private keepCookie(line: string): void {
    const [pair] = line.split(";");
    const separator = pair!.indexOf("=");
    const name = pair!.slice(0, separator).trim();
    const value = pair!.slice(separator + 1).trim();
    if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

/** Signs up a new organization and returns the signed-in browser. */
export async function signUp(web: TestWeb, who: { email: string; tenantName?: string; password?: string }): Promise<Browser> {
  const browser = new Browser(web.url);
  await browser.get("/sign-up");
  const page = await browser.post("/sign-up", {
    tenantName: who.tenantName ?? "Acme",
    displayName: "Test Owner",
    email: who.email,
    password: who.password ?? "correct horse battery",
  });
  if (page.status !== 302) throw new Error(`sign-up failed with ${page.status}: ${page.body.slice(0, 500)}`);
  return browser;
}

/** The `error` object of a JSON error response. */
export async function errorOf(response: Response): Promise<{ code: string; message: string; requestId: string }> {
  return ((await response.json()) as { error: { code: string; message: string; requestId: string } }).error;
}

/** The connection page once no scan of it is queued or running. */
export async function untilScansSettle(browser: Browser, path: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await browser.get(path);
    if (!/<td>(queued|running)<\/td>/.test(page.body)) return page.body;
    if (Date.now() > deadline) throw new Error(`scans of ${path} did not settle in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The signed-in owner (or admin) invites `email`; returns the link's token. */
export async function invite(owner: Browser, email: string, role: "admin" | "member" = "member"): Promise<string> {
  await owner.get("/members");
  const invited = await owner.post("/members/invite", { email, role });
  const link = /\/invite\/([^<\s"]+)/.exec(invited.body)?.[1];
  if (!link) throw new Error(`invitation failed with ${invited.status}: ${invited.body.slice(0, 500)}`);
  return link;
}

/** A fresh browser that accepts the invitation with a new account, signed in afterwards. */
export async function joinAsNewMember(web: TestWeb, link: string, displayName = "Member"): Promise<Browser> {
  const member = new Browser(web.url);
  await member.get(`/invite/${link}`);
  const joined = await member.post(`/invite/${link}`, { displayName, password: "correct horse battery" });
  if (joined.status !== 302) throw new Error(`joining failed with ${joined.status}: ${joined.body.slice(0, 500)}`);
  return member;
}
