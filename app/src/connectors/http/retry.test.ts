import { describe, expect, it } from "vitest";
import { RequestNotAllowed } from "./allowlist.js";
import {
  DEFAULT_RETRY_POLICY,
  HttpStatusError,
  MalformedResponse,
  RateLimitExceeded,
  backoffDelayMs,
  classifyFailure,
  describeFailure,
  planRetry,
  providerRetryDelayMs,
  type RetryPolicy,
} from "./retry.js";

const NOW = new Date("2025-03-10T12:00:00.000Z");
const NOW_EPOCH_SECONDS = NOW.getTime() / 1000;

const statusError = (status: number, headers: Record<string, string> = {}, body?: unknown) =>
  new HttpStatusError(status, "GET", "/rest/api/3/search/jql", new Headers(headers), body);

/** What undici's fetch throws when a connection drops or is refused. */
const fetchFailed = (cause: Error & { code?: string }) => new TypeError("fetch failed", { cause });
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("providerRetryDelayMs", () => {
  it.each([
    ["Retry-After in seconds", 429, { "retry-after": "2" }, 2000],
    ["Retry-After as an HTTP-date", 503, { "retry-after": "Mon, 10 Mar 2025 12:00:30 GMT" }, 30_000],
    ["Retry-After on a 503", 503, { "retry-after": "7" }, 7000],
    ["retry-after-ms", 429, { "retry-after-ms": "1500" }, 1500],
    ["GitHub epoch seconds on 403 with nothing remaining", 403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW_EPOCH_SECONDS + 90) }, 90_000],
    ["GitHub epoch seconds on 429", 429, { "x-ratelimit-reset": String(NOW_EPOCH_SECONDS + 5) }, 5000],
    ["Jira ISO 8601 reset (minute precision)", 429, { "x-ratelimit-reset": "2025-03-10T12:01Z" }, 60_000],
    ["Jira ISO 8601 reset with offset", 429, { "x-ratelimit-reset": "2025-03-10T13:00:10+01:00" }, 10_000],
    ["IETF RateLimit-Reset delta seconds", 429, { "ratelimit-reset": "12" }, 12_000],
    ["millisecond reset as epoch", 429, { "x-rate-limit-reset-ms": String(NOW.getTime() + 2500) }, 2500],
    ["millisecond reset as a wait", 429, { "x-rate-limit-reset-ms": "800" }, 800],
  ])("reads %s", (_name, status, headers, expected) => {
    expect(providerRetryDelayMs(status, new Headers(headers), NOW)).toBe(expected);
  });

  it("prefers Retry-After over a reset time", () => {
    const headers = new Headers({ "retry-after": "3", "x-ratelimit-reset": String(NOW_EPOCH_SECONDS + 600) });
    expect(providerRetryDelayMs(429, headers, NOW)).toBe(3000);
  });

  it("clamps a reset in the past to 0", () => {
    expect(providerRetryDelayMs(429, new Headers({ "x-ratelimit-reset": String(NOW_EPOCH_SECONDS - 30) }), NOW)).toBe(0);
    expect(providerRetryDelayMs(503, new Headers({ "retry-after": "Mon, 10 Mar 2025 11:00:00 GMT" }), NOW)).toBe(0);
  });

  it("ignores quota headers unless the quota refused the request", () => {
    // GitHub sends these on every response; a 502 with quota left is not a reason to wait for the reset.
    const quotaLeft = { "x-ratelimit-remaining": "4000", "x-ratelimit-reset": String(NOW_EPOCH_SECONDS + 3000) };
    expect(providerRetryDelayMs(502, new Headers(quotaLeft), NOW)).toBeNull();
    expect(providerRetryDelayMs(403, new Headers(quotaLeft), NOW)).toBeNull();
  });

  it.each([
    ["no headers", {}],
    ["a word", { "retry-after": "soon" }],
    ["text Date.parse would accept", { "retry-after": "hello 1" }],
    ["an unparseable reset", { "x-ratelimit-reset": "later" }],
  ])("returns null for %s", (_name, headers) => {
    expect(providerRetryDelayMs(429, new Headers(headers), NOW)).toBeNull();
  });
});

describe("backoffDelayMs", () => {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };

  it("doubles the ceiling per attempt, from the base", () => {
    const almostOne = () => 0.999_999;
    expect([0, 1, 2, 3].map((attempt) => backoffDelayMs(attempt, policy, almostOne))).toEqual([99, 199, 399, 799]);
  });

  it("never exceeds the cap", () => {
    expect(backoffDelayMs(4, policy, () => 0.999_999)).toBe(999);
    expect(backoffDelayMs(60, policy, () => 0.999_999)).toBe(999);
  });

  it("can wait not at all (full jitter)", () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });

  it("stays within bounds with the real random source", () => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const delay = backoffDelayMs(attempt, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
    }
  });
});

describe("classifyFailure", () => {
  it.each([
    ["500", statusError(500), "retry"],
    ["502", statusError(502), "retry"],
    ["503", statusError(503), "retry"],
    ["504", statusError(504), "retry"],
    ["408", statusError(408), "retry"],
    ["a connection reset", fetchFailed(withCode("other side closed", "UND_ERR_SOCKET")), "retry"],
    ["ECONNRESET", fetchFailed(withCode("read ECONNRESET", "ECONNRESET")), "retry"],
    ["ECONNREFUSED on every address", fetchFailed(new AggregateError([withCode("connect ECONNREFUSED ::1:443", "ECONNREFUSED")])), "retry"],
    ["a timeout", new DOMException("The operation was aborted due to timeout", "TimeoutError"), "retry"],
    ["an abort", new DOMException("This operation was aborted", "AbortError"), "retry"],
    ["a malformed body", new MalformedResponse("GET", "/x", 200), "retry"],
    ["429", statusError(429), "rate_limited"],
    ["GitHub 403 with nothing remaining", statusError(403, { "x-ratelimit-remaining": "0" }), "rate_limited"],
    ["GitHub secondary limit 403 with Retry-After", statusError(403, { "retry-after": "60" }), "rate_limited"],
    ["GitHub secondary limit 403 by its message", statusError(403, {}, { message: "You have exceeded a secondary rate limit." }), "rate_limited"],
    ["401", statusError(401), "reauthorize"],
    ["invalid_grant", statusError(400, {}, { error: "invalid_grant", error_description: "refresh token revoked" }), "reauthorize"],
    ["a plain 403", statusError(403, {}, { message: "Resource not accessible by integration" }), "fatal"],
    ["404", statusError(404), "fatal"],
    ["another 400", statusError(400, {}, { error: "invalid_request" }), "fatal"],
    ["501", statusError(501), "fatal"],
    ["a refused request", new RequestNotAllowed("DELETE", "/rest/api/3/issue/1"), "fatal"],
    ["a redirect", fetchFailed(new Error("unexpected redirect")), "fatal"],
    ["a bug", new TypeError("Cannot read properties of undefined"), "fatal"],
    ["a thrown string", "boom", "fatal"],
  ])("%s → %s", (_name, error, expected) => {
    expect(classifyFailure(error)).toBe(expected);
  });
});

describe("planRetry", () => {
  const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxProviderWaitMs: 60_000 };
  const context = (attempt: number) => ({ attempt, policy, method: "GET", path: "/search", now: NOW, random: () => 0.5 });

  it("waits as long as the provider asks", () => {
    expect(planRetry(statusError(429, { "retry-after": "20" }), context(1))).toEqual({ waitMs: 20_000 });
  });

  it("backs off when the provider says nothing", () => {
    expect(planRetry(statusError(503), context(1))).toEqual({ waitMs: 50 });
    expect(planRetry(statusError(503), context(2))).toEqual({ waitMs: 100 });
  });

  it("gives up with the last error once attempts run out", () => {
    const error = statusError(503);
    expect(planRetry(error, context(3))).toEqual({ giveUp: error });
  });

  it("never retries a credentials problem or a fatal error", () => {
    for (const error of [statusError(401), statusError(400, {}, { error: "invalid_grant" }), statusError(404)]) {
      expect(planRetry(error, context(1))).toEqual({ giveUp: error });
    }
  });

  it("does not repeat a write that may have been carried out, only one refused unprocessed", () => {
    for (const error of [new DOMException("The operation was aborted due to timeout", "TimeoutError"), statusError(502)]) {
      expect(planRetry(error, { ...context(1), write: true })).toEqual({ giveUp: error });
    }
    expect(planRetry(statusError(429, { "retry-after": "4" }), { ...context(1), write: true })).toEqual({ waitMs: 4000 });
  });

  it("refuses a provider wait beyond the maximum, saying when to try again", () => {
    const plan = planRetry(statusError(429, { "retry-after": "3600" }), context(1));
    expect(plan).toEqual({ giveUp: expect.any(RateLimitExceeded) });
    const { retryAt } = (plan as { giveUp: RateLimitExceeded }).giveUp;
    expect(retryAt.toISOString()).toBe("2025-03-10T13:00:00.000Z");
  });

  it("reports when to try again if the rate limit outlasts the attempts", () => {
    const plan = planRetry(statusError(429, { "retry-after": "10" }), context(3));
    expect((plan as { giveUp: RateLimitExceeded }).giveUp.retryAt.toISOString()).toBe("2025-03-10T12:00:10.000Z");
  });
});

describe("describeFailure", () => {
  it.each([
    [new RateLimitExceeded("GET", "/search", new Date("2025-03-10T13:00:00Z")), "rate_limited", /try again after 2025-03-10T13:00:00\.000Z/],
    [statusError(429), "rate_limited", /rate limit/],
    [statusError(401), "needs_reconnect", /reconnect/],
    [statusError(400, {}, { error: "invalid_grant" }), "needs_reconnect", /reconnect/],
    [statusError(503), "provider_unavailable", /503/],
    [fetchFailed(withCode("connect ECONNREFUSED", "ECONNREFUSED")), "provider_unavailable", /could not be reached/],
    [fetchFailed(new Error("unexpected redirect")), "provider_unavailable", /could not be reached/],
    [new DOMException("The operation was aborted due to timeout", "TimeoutError"), "timeout", /in time/],
    [statusError(408), "timeout", /timed out/],
    [new MalformedResponse("GET", "/search", 200), "malformed_response", /invalid response/],
    [new RequestNotAllowed("DELETE", "/rest/api/3/issue/1"), "request_not_allowed", /DELETE \/rest\/api\/3\/issue\/1/],
    [statusError(404), "http_404", /404/],
    [new DOMException("This operation was aborted", "AbortError"), "cancelled", /cancelled/],
    [new Error("relation \"events\" does not exist: SELECT * FROM events"), "unexpected_error", /unexpected/],
  ])("%o → %s", (error, code, message) => {
    const described = describeFailure(error);
    expect(described.code).toBe(code);
    expect(described.message).toMatch(message);
  });

  it("keeps response bodies and raw error messages out", () => {
    const canaries = [
      describeFailure(statusError(404, {}, { errorMessages: ["BODY_CANARY"] })),
      describeFailure(statusError(401, {}, { message: "BODY_CANARY" })),
      describeFailure(new Error("Bearer TOKEN_CANARY SELECT secret FROM vault")),
    ];
    expect(JSON.stringify(canaries)).not.toMatch(/CANARY|SELECT/);
  });
});
