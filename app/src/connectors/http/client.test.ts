import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RequestNotAllowed, type AllowedRequest } from "./allowlist.js";
import { createConnectorHttp, HttpStatusError, type ConnectorHttpOptions, type HttpCounters } from "./client.js";
import { MalformedResponse, RateLimitExceeded, classifyFailure, describeFailure, type RetryPolicy } from "./retry.js";

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const SEARCH = "/rest/api/3/search/jql";
const CREATE_ISSUE = "/rest/api/3/issue";
const ALLOWLIST: AllowedRequest[] = [
  { method: "GET", path: /^\/rest\/api\/3\/search\/jql$/, purpose: "issue metadata" },
  { method: "POST", path: /^\/rest\/api\/3\/issue$/, purpose: "the user-clicked create ticket", write: true },
];
const CREATE_TICKET = { method: "POST" as const, path: CREATE_ISSUE, body: { fields: { summary: "Flow review" } } };
const POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxProviderWaitMs: 60_000 };
const NOW = new Date("2025-03-10T12:00:00.000Z");
const TOKEN_CANARY = "TOKEN_CANARY_7f3a";
const QUERY_CANARY = "QUERY_CANARY_91bc";
const BODY_CANARY = "BODY_CANARY_c04d";

let server: Server;
let baseUrl: string;
/** Handlers for the next requests, in order; the last one answers every request after it. */
let script: Handler[];
let received: RecordedRequest[];
let connections: number;
let sleeps: number[];
let logLines: string[];

const reply =
  (status: number, body: string, headers: Record<string, string> = {}): Handler =>
  (_request, response) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(body);
  };
const json = (status: number, body: unknown, headers?: Record<string, string>): Handler => reply(status, JSON.stringify(body), headers);
const hang: Handler = () => {};

const respond = (...handlers: Handler[]) => {
  script = handlers;
};

function nextHandler(): Handler {
  const handler = script.length > 1 ? script.shift() : script[0];
  return handler ?? json(200, {});
}

beforeAll(async () => {
  server = createServer((request, response) => {
    // A fresh connection per request, so `connections` counts what the client opened.
    response.setHeader("connection", "close");
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString() });
      nextHandler()(request, response);
    });
  });
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jira`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  script = [];
  received = [];
  connections = 0;
  sleeps = [];
  logLines = [];
});

function connectorHttp(overrides: Partial<ConnectorHttpOptions> = {}) {
  return createConnectorHttp({
    baseUrl,
    allowlist: ALLOWLIST,
    authHeaders: async () => ({ authorization: `Bearer ${TOKEN_CANARY}` }),
    log: pino({ level: "debug" }, { write: (line: string) => logLines.push(line) }),
    retryPolicy: POLICY,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: () => NOW,
    ...overrides,
  });
}

const search = (http = connectorHttp()) => http.request<{ issues: unknown[] }>({ method: "GET", path: SEARCH, query: { jql: `project = ${QUERY_CANARY}` } });

/** The error a request rejected with. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("the request succeeded");
}

describe("allowlist", () => {
  it.each([
    ["a POST to a read path", { method: "POST" as const, path: SEARCH }],
    ["a PUT", { method: "PUT" as const, path: "/rest/api/3/issue/PROJ-1" }],
    ["a DELETE", { method: "DELETE" as const, path: "/rest/api/3/issue/PROJ-1" }],
    ["a GET on an unlisted path", { method: "GET" as const, path: "/rest/api/3/myself" }],
    ["a listed path smuggled into the query", { method: "GET" as const, path: `/rest/api/3/myself?next=${SEARCH}` }],
  ])("refuses %s without opening a connection", async (_name, request) => {
    const http = connectorHttp();
    await expect(http.request(request)).rejects.toBeInstanceOf(RequestNotAllowed);
    await delay(50);
    expect(connections).toBe(0);
    expect(received).toHaveLength(0);
    expect(http.counters.requests).toBe(0);
  });

  it("opens a connection for a listed request (so the count above means something)", async () => {
    respond(json(200, { issues: [] }));
    await search();
    expect(connections).toBe(1);
    expect(received[0]).toMatchObject({ method: "GET", url: expect.stringMatching(/^\/jira\/rest\/api\/3\/search\/jql\?jql=/) });
  });

  it("refuses a write entry unless writes are allowed", async () => {
    respond(json(201, { id: "10001" }));

    await expect(connectorHttp().request(CREATE_TICKET)).rejects.toBeInstanceOf(RequestNotAllowed);
    await delay(50);
    expect(connections).toBe(0);

    const created = await connectorHttp({ allowWrites: true }).request(CREATE_TICKET);
    expect(created).toMatchObject({ status: 201, body: { id: "10001" } });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: "POST", body: JSON.stringify(CREATE_TICKET.body) });
    expect(received[0]?.headers["content-type"]).toBe("application/json");
  });
});

describe("writes", () => {
  it("are not repeated after a failure that may have carried them out", async () => {
    respond(json(502, {}), json(201, { id: "10001" }));
    const error = await failureOf(connectorHttp({ allowWrites: true }).request(CREATE_TICKET));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(received).toHaveLength(1);
  });

  it("are repeated after a rate limit, which refused them unprocessed", async () => {
    respond(json(429, {}, { "retry-after": "1" }), json(201, { id: "10001" }));
    await connectorHttp({ allowWrites: true }).request(CREATE_TICKET);
    expect(sleeps).toEqual([1000]);
    expect(received.map(({ method }) => method)).toEqual(["POST", "POST"]);
  });
});

describe("provider rate limits", () => {
  it("waits as long as Retry-After says, then succeeds", async () => {
    respond(json(429, { message: "slow down" }, { "retry-after": "2" }), json(200, { issues: [1] }));
    const response = await search();
    expect(sleeps).toEqual([2000]);
    expect(response.body).toEqual({ issues: [1] });
    expect(received).toHaveLength(2);
  });

  it("waits until Jira's X-RateLimit-Reset time", async () => {
    const reset = new Date(NOW.getTime() + 45_000).toISOString();
    respond(json(429, {}, { "X-RateLimit-Reset": reset }), json(200, { issues: [] }));
    await search();
    expect(sleeps).toEqual([45_000]);
  });

  it("waits until GitHub's x-ratelimit-reset when a 403 says nothing remains", async () => {
    const resetEpochSeconds = NOW.getTime() / 1000 + 45;
    respond(
      json(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(resetEpochSeconds) }),
      json(200, { issues: [] }),
    );
    await search();
    expect(sleeps).toEqual([45_000]);
  });

  it("gives up at once, saying when to try again, if the provider asks for more than the maximum wait", async () => {
    respond(json(429, {}, { "retry-after": "3600" }));
    const error = await failureOf(search());
    expect(error).toBeInstanceOf(RateLimitExceeded);
    expect((error as RateLimitExceeded).retryAt.toISOString()).toBe("2025-03-10T13:00:00.000Z");
    expect(sleeps).toEqual([]);
    expect(received).toHaveLength(1);
    expect(describeFailure(error)).toEqual({ code: "rate_limited", message: expect.stringContaining("2025-03-10T13:00:00.000Z") });
  });
});

describe("transient failures", () => {
  it("backs off with jitter across 503s, then succeeds", async () => {
    let authCalls = 0;
    const http = connectorHttp({
      authHeaders: async () => {
        authCalls += 1;
        return { authorization: `Bearer ${TOKEN_CANARY}` };
      },
    });
    respond(json(503, {}), json(503, {}), json(200, { issues: [] }));

    await search(http);

    expect(sleeps).toHaveLength(2);
    sleeps.forEach((ms, attempt) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(Math.min(POLICY.maxDelayMs, POLICY.baseDelayMs * 2 ** attempt));
    });
    expect(received).toHaveLength(3);
    expect(authCalls).toBe(3);
  });

  it("gives up on a persistent 500 after maxAttempts", async () => {
    respond(json(500, { message: "internal" }));
    const error = await failureOf(search());
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(received).toHaveLength(POLICY.maxAttempts);
    expect(sleeps).toHaveLength(POLICY.maxAttempts - 1);
    expect(describeFailure(error).code).toBe("provider_unavailable");
  });

  it("treats a gateway's HTML error page as the status it carries", async () => {
    respond(reply(502, "<html><body>Bad Gateway</body></html>", { "content-type": "text/html" }), json(200, { issues: [] }));
    await search();
    expect(received).toHaveLength(2);
  });

  it("times out a response that hangs and retries it", async () => {
    respond(hang, json(200, { issues: [] }));
    const response = await search(connectorHttp({ timeoutMs: 100 }));
    expect(response.body).toEqual({ issues: [] });
    expect(received).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it("reports a timeout when every attempt hangs", async () => {
    respond(hang);
    const error = await failureOf(search(connectorHttp({ timeoutMs: 100 })));
    expect(received).toHaveLength(POLICY.maxAttempts);
    expect(describeFailure(error).code).toBe("timeout");
  });

  it("retries a truncated JSON body, then gives up with MalformedResponse", async () => {
    respond(reply(200, '{"issues": ['));
    const error = await failureOf(search());
    expect(error).toBeInstanceOf(MalformedResponse);
    expect(received).toHaveLength(POLICY.maxAttempts);
    expect(describeFailure(error).code).toBe("malformed_response");
  });
});

describe("credentials", () => {
  it("does not retry a 401", async () => {
    respond(json(401, { message: "token expired" }));
    const error = await failureOf(search());
    expect(classifyFailure(error)).toBe("reauthorize");
    expect(describeFailure(error).code).toBe("needs_reconnect");
    expect(received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("does not retry an OAuth invalid_grant", async () => {
    respond(json(400, { error: "invalid_grant", error_description: "Unknown or invalid refresh token." }));
    const error = await failureOf(search());
    expect(classifyFailure(error)).toBe("reauthorize");
    expect(received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe("counters", () => {
  it("count every attempt and every body byte", async () => {
    const counters: HttpCounters = { requests: 0, bytesReceived: 0 };
    const http = connectorHttp({ counters });
    const bodies = ['{"message":"unavailable"}', '{"issues":["é"]}', '{"issues":[]}'];
    respond(reply(503, bodies[0]!), reply(200, bodies[1]!), reply(200, bodies[2]!));

    await search(http);
    await search(http);

    expect(counters).toEqual({ requests: 3, bytesReceived: bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0) });
    expect(http.counters).toBe(counters);
  });
});

describe("what failures and retries reveal", () => {
  const failures: [string, Handler[], Partial<ConnectorHttpOptions>][] = [
    ["a 404", [json(404, { errorMessages: [BODY_CANARY] })], {}],
    ["a persistent 503", [json(503, { message: BODY_CANARY })], {}],
    ["a rate limit beyond the maximum wait", [json(429, { message: BODY_CANARY }, { "retry-after": "86400" })], {}],
    ["a 401", [json(401, { message: BODY_CANARY })], {}],
    ["a malformed body", [reply(200, `{"issues": ["${BODY_CANARY}"`)], {}],
    ["a timeout", [hang], { timeoutMs: 50 }],
  ];

  it.each(failures)("%s: no query string, token or body in the summary or the logs", async (_name, handlers, overrides) => {
    respond(...handlers);
    const error = await failureOf(search(connectorHttp(overrides)));

    // The canaries were really sent and received.
    expect(received[0]?.url).toContain(QUERY_CANARY);
    expect(received[0]?.headers.authorization).toBe(`Bearer ${TOKEN_CANARY}`);

    const summary = JSON.stringify(describeFailure(error));
    expect(summary).not.toMatch(/CANARY|\?|jql=/);
    expect(logLines.join("\n")).not.toMatch(/CANARY|\?|jql=/);
  });

  it("logs each retry once at warn, with the path only", async () => {
    respond(json(503, {}, { "retry-after": "1" }), json(503, {}, { "retry-after": "3" }), json(200, { issues: [] }));
    await search();
    const path = `/jira${SEARCH}`;
    const retries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(retries).toEqual([
      expect.objectContaining({ level: 40, method: "GET", path, status: 503, attempt: 1, delayMs: 1000 }),
      expect.objectContaining({ level: 40, method: "GET", path, status: 503, attempt: 2, delayMs: 3000 }),
    ]);
  });
});

describe("cancellation", () => {
  it("stops waiting when the scan's signal aborts", async () => {
    const controller = new AbortController();
    respond(json(429, {}, { "retry-after": "60" }));
    const http = connectorHttp({ signal: controller.signal, sleep: undefined });
    setTimeout(() => controller.abort(), 50);

    const started = Date.now();
    const error = await failureOf(search(http));

    expect((error as Error).name).toBe("AbortError");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(received).toHaveLength(1);
  });

  it("does not retry a request the scan's signal aborted", async () => {
    const controller = new AbortController();
    respond(hang);
    setTimeout(() => controller.abort(), 50);
    const error = await failureOf(search(connectorHttp({ signal: controller.signal })));
    expect((error as Error).name).toBe("AbortError");
    expect(received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});
