import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import { checkAllowed, type AllowedRequest, type HttpMethod } from "./allowlist.js";
import { DEFAULT_RETRY_POLICY, HttpStatusError, MalformedResponse, describeFailure, planRetry, type RetryPolicy } from "./retry.js";

export { HttpStatusError } from "./retry.js";

export interface HttpRequest {
  method: HttpMethod;
  /** Path below the base URL, e.g. /rest/api/3/search/jql. */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** What a scan counts; the scan record shows them. */
export interface HttpCounters {
  /** Every attempt, retries included. */
  requests: number;
  bytesReceived: number;
}

export interface ConnectorHttpOptions {
  baseUrl: string;
  allowlist: readonly AllowedRequest[];
  /** Headers that authenticate a request (e.g. Authorization), fetched per attempt so a refresh takes effect. */
  authHeaders: () => Promise<Record<string, string>>;
  log: Logger;
  counters?: HttpCounters;
  /** Only the user-triggered create-ticket path sets this. */
  allowWrites?: boolean;
  /** Per attempt, response body included. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  retryPolicy?: RetryPolicy;
  /** The scan's signal: aborting it ends a wait or a request in flight, without retrying. */
  signal?: AbortSignal;
  /** Waits between attempts; must reject when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
}

export interface ConnectorHttp {
  readonly counters: HttpCounters;
  request<T>(request: HttpRequest): Promise<HttpResponse<T>>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

const sleepFor = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await delay(ms, undefined, { signal });
};

/**
 * A connector's only way out to its provider. The allowlist is checked before anything
 * else, so a refused request never opens a connection. Failed attempts are retried as
 * `planRetry` decides; the error a request finally throws is for `describeFailure`.
 */
export function createConnectorHttp(options: ConnectorHttpOptions): ConnectorHttp {
  const counters = options.counters ?? { requests: 0, bytesReceived: 0 };
  const base = new URL(options.baseUrl);
  const doFetch = options.fetch ?? fetch;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? sleepFor;
  const now = options.now ?? (() => new Date());

  const attemptSignal = (): AbortSignal => {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  };

  const urlOf = (request: HttpRequest): URL => {
    const url = new URL(base.pathname.replace(/\/$/, "") + request.path, base);
    for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    return url;
  };

  const send = async <T>(request: HttpRequest, url: URL): Promise<HttpResponse<T>> => {
    const headers: Record<string, string> = { accept: "application/json", ...(await options.authHeaders()), ...request.headers };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    counters.requests += 1;
    const response = await doFetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: attemptSignal(),
      redirect: "error",
    });
    const text = await response.text();
    counters.bytesReceived += Buffer.byteLength(text);
    if (!response.ok) throw new HttpStatusError(response.status, request.method, url.pathname, response.headers, errorBody(text));
    const body = successBody(text, request.method, url.pathname, response.status);
    return { status: response.status, headers: response.headers, body: body as T };
  };

  return {
    counters,
    async request<T>(request: HttpRequest) {
      const { write } = checkAllowed(options.allowlist, request.method, request.path.split("?")[0]!, options.allowWrites);
      const url = urlOf(request);
      // Logs and errors name the path only: query strings can carry secrets.
      const path = url.pathname;
      for (let attempt = 1; ; attempt += 1) {
        options.signal?.throwIfAborted();
        try {
          return await send<T>(request, url);
        } catch (error) {
          if (options.signal?.aborted) throw error;
          const plan = planRetry(error, { attempt, policy, method: request.method, path, write, now: now() });
          if ("giveUp" in plan) throw plan.giveUp;
          logRetry(options.log, { method: request.method, path, attempt, delayMs: plan.waitMs }, error);
          await sleep(plan.waitMs, options.signal);
        }
      }
    },
  };
}

/** One warning per retry. */
function logRetry(log: Logger, retry: { method: string; path: string; attempt: number; delayMs: number }, error: unknown): void {
  const status = error instanceof HttpStatusError ? error.status : undefined;
  log.warn({ ...retry, status, reason: describeFailure(error).code }, "provider request failed; retrying");
}

/** Proxies and gateways answer errors with HTML; the status is what matters then. */
function errorBody(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

function successBody(text: string, method: string, path: string, status: number): unknown {
  try {
    return parseJson(text);
  } catch {
    throw new MalformedResponse(method, path, status);
  }
}

function parseJson(text: string): unknown {
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}
