/**
 * The appliance's topology, run natively: real nginx (the shipped config, rendered by the
 * shipped scripts, with a generated certificate) in front of real `twinflow web` and
 * `twinflow worker` processes in production mode, Postgres through the runtime role, and a
 * Redis that requires a password. Everything a user does goes through nginx.
 */
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { Redis } from "ioredis";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { freePort } from "../support/net.js";
import { startNginx, type RunningNginx } from "../support/nginx.js";
import { startTwinflow, type RunningProcess } from "../support/process.js";
import { startPasswordRedis, type PasswordRedis } from "../support/redis-server.js";
import { Browser, testEnv, untilScansSettle, type Page } from "../support/web.js";

let db: TestDatabase;
let redis: PasswordRedis;
let web: RunningProcess;
let worker: RunningProcess;
let nginx: RunningNginx;
let webPort: number;
let ca: Buffer;
let dispatcher: Agent;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await startPasswordRedis();
  webPort = await freePort();
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const env = testEnv(db, {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(webPort),
    PUBLIC_URL: `https://localhost:${httpsPort}`,
    REDIS_URL: redis.url,
    TRUST_PROXY: "true",
    METRICS_PORT: "0",
  });
  web = startTwinflow(["web"], env);
  worker = startTwinflow(["worker"], env);
  await Promise.all([web.waitFor(/"msg":"web listening"/), worker.waitFor(/"msg":"worker ready"/)]);
  nginx = await startNginx({ upstream: `127.0.0.1:${webPort}`, httpPort, httpsPort, serverName: "localhost" });
  ca = readFileSync(nginx.certFile);
  dispatcher = new Agent({ connect: { ca, servername: "localhost" } });
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await Promise.all([web?.stop(), worker?.stop()]);
  await dispatcher?.close();
  await Promise.all([redis?.stop(), db?.drop()]);
});

/** fetch through nginx, trusting only the certificate nginx was given. */
const throughNginx: typeof fetch = (input, init) =>
  undiciFetch(input as string, { ...(init as object), dispatcher }) as unknown as Promise<Response>;

const httpsBase = () => `https://127.0.0.1:${nginx.httpsPort}`;
const newBrowser = () => new Browser(httpsBase(), throughNginx);

/** The security headers every response through nginx must carry, each exactly once. */
const SECURITY_HEADERS = [
  "strict-transport-security",
  "content-security-policy",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "permissions-policy",
] as const;

function securityHeadersOf(headers: Headers): Record<string, string | null> {
  return Object.fromEntries(SECURITY_HEADERS.map((name) => [name, headers.get(name)]));
}

describe("the appliance topology: nginx → web and worker → Postgres and Redis", () => {
  let reference: Record<string, string | null>;

  it("signs a person up and in, runs a demo scan and shows the overview, all through nginx", async () => {
    const owner = newBrowser();
    await owner.get("/sign-up");
    const created = await owner.post("/sign-up", { tenantName: "Appliance Co", displayName: "Ada", email: "ada@appliance.example", password: "appliance password 1" });
    expect(created.status).toBe(302);
    // Behind TLS the session cookie is Secure.
    expect(owner.cookies.size).toBeGreaterThan(0);

    await owner.get("/connections");
    const connection = await owner.post("/connections", { provider: "demo", label: "Demo board" });
    expect(connection.status).toBe(302);
    const page = await untilScansSettle(owner, connection.location!, 60_000);
    expect(page).toMatch(/<td>succeeded<\/td>/);

    const again = newBrowser();
    await again.get("/sign-in");
    expect((await again.post("/sign-in", { email: "ada@appliance.example", password: "appliance password 1" })).location).toBe("/overview");
    const overview = await again.get("/overview");
    expect(overview.status).toBe(200);
    expect(overview.body).toContain("Appliance Co");
    expect(overview.body).not.toContain("No tools connected yet");
    reference = securityHeadersOf(overview.headers);
  }, 90_000);

  it("puts every security header, once, on pages, redirects, 404s, static files and its own error pages", async () => {
    expect(reference["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
    expect(reference["x-content-type-options"]).toBe("nosniff");
    expect(reference["x-frame-options"]).toBe("DENY");
    for (const value of Object.values(reference)) expect(value).toBeTruthy();

    const browser = newBrowser();
    const responses: [string, Page][] = [
      ["sign-in page", await browser.get("/sign-in")],
      ["redirect of a signed-out page", await browser.get("/overview")],
      ["404", await browser.get("/no-such-page")],
      ["static file", await browser.get("/static/app.css")],
      ["health", await browser.get("/healthz")],
    ];
    expect(responses.map(([what, page]) => [what, page.status])).toEqual([
      ["sign-in page", 200],
      ["redirect of a signed-out page", 302],
      ["404", 404],
      ["static file", 200],
      ["health", 200],
    ]);
    for (const [what, page] of responses) {
      const headers = securityHeadersOf(page.headers);
      // A static file gets nginx's default policy when the app sends none; every other header is the same everywhere.
      expect({ what, ...headers, "content-security-policy": Boolean(headers["content-security-policy"]) }).toEqual({
        what,
        ...reference,
        "content-security-policy": true,
      });
    }
  });

  it("answers a burst of sign-in attempts with 429, still with the headers", async () => {
    const browser = newBrowser();
    await browser.get("/sign-in");
    const statuses: number[] = [];
    let limited: Page | undefined;
    for (let attempt = 0; attempt < 30 && !limited; attempt += 1) {
      const page = await browser.post("/sign-in", { email: "nobody@appliance.example", password: "wrong password here" });
      statuses.push(page.status);
      if (page.status === 429) limited = page;
    }
    expect(limited, `statuses: ${statuses.join(",")}`).toBeDefined();
    expect(securityHeadersOf(limited!.headers)).toMatchObject({ "strict-transport-security": reference["strict-transport-security"], "x-frame-options": "DENY" });
  });

  it("refuses TLS 1.1 and negotiates an ECDHE AEAD suite over TLS 1.2", async () => {
    const handshake = (version: tls.SecureVersion) =>
      new Promise<tls.CipherNameAndProtocol>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port: nginx.httpsPort, servername: "localhost", ca, minVersion: version, maxVersion: version }, () => {
          const cipher = socket.getCipher();
          socket.end();
          resolve(cipher);
        });
        socket.once("error", reject);
      });
    await expect(handshake("TLSv1.1")).rejects.toThrow();
    const cipher = await handshake("TLSv1.2");
    expect(cipher.version).toBe("TLSv1.2");
    expect(cipher.standardName).toMatch(/^TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$/);
  });

  it("redirects plain http to https", async () => {
    const response = await fetch(`http://127.0.0.1:${nginx.httpPort}/overview?x=1`, { redirect: "manual" });
    expect(response.status).toBe(308);
    expect(response.headers.get("location")).toBe(`https://127.0.0.1:${nginx.httpsPort}/overview?x=1`);
  });

  it("keeps Redis closed to clients without its password", async () => {
    const anonymous = new Redis({ host: "127.0.0.1", port: redis.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
    anonymous.on("error", () => undefined);
    try {
      await anonymous.connect();
      await expect(anonymous.get("any-key")).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
  });

  it("lets the app listen on loopback only, so nginx is the one way in from the network", () => {
    const listening = listeningAddresses(webPort);
    expect(listening).toEqual(["127.0.0.1"]);
  });

  it("answers with its own 502, headers included, when the app is down", async () => {
    expect(await web.stop()).toBe(0);
    const page = await newBrowser().get("/sign-in");
    expect(page.status).toBe(502);
    expect(securityHeadersOf(page.headers)).toMatchObject({
      "strict-transport-security": reference["strict-transport-security"],
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": reference["referrer-policy"],
      "permissions-policy": reference["permissions-policy"],
    });
    expect(page.headers.get("content-security-policy")).toBeTruthy();
  });
});

/** The local IPv4 and IPv6 addresses that listen on `port` (from /proc/net/tcp*, state 0A = LISTEN). */
function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== "0A") continue;
      const [address, hexPort] = local.split(":");
      if (Number.parseInt(hexPort!, 16) !== port) continue;
      found.push(address!.length === 8 ? ipv4FromProc(address!) : `ipv6:${address}`);
    }
  }
  return found;
}

/** /proc/net/tcp writes an IPv4 address as little-endian hex: 0100007F is 127.0.0.1. */
const ipv4FromProc = (hex: string) => [3, 2, 1, 0].map((byte) => Number.parseInt(hex.slice(byte * 2, byte * 2 + 2), 16)).join(".");
