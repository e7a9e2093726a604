/**
 * When a failed provider request is worth repeating, how long to wait first, and how a
 * failure is told to the user. The provider's own signal wins (Retry-After, rate-limit
 * reset headers); otherwise the wait is exponential backoff with full jitter and a cap.
 */
import { RequestNotAllowed } from "./allowlist.js";

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Cap on a backoff wait (not on a provider-requested one). */
  maxDelayMs: number;
  /** Longest provider-requested wait we accept before giving up. */
  maxProviderWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxProviderWaitMs: 15 * 60_000,
};

export class HttpStatusError extends Error {
  override name = "HttpStatusError";
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly headers: Headers,
    /** Parsed JSON error body when there is one; never logged whole. */
    readonly body: unknown,
  ) {
    super(`${method} ${path} answered ${status}`);
  }
}

/**
 * A successful status whose body is not valid JSON, usually a connection cut mid-body.
 * The parser's error is not kept as the cause: its message quotes the body.
 */
export class MalformedResponse extends Error {
  override name = "MalformedResponse";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
  ) {
    super(`${method} ${path} answered ${status} with a body that is not valid JSON`);
  }
}

/** The provider asked us to wait longer than we will, or kept refusing until attempts ran out. */
export class RateLimitExceeded extends Error {
  override name = "RateLimitExceeded";
  constructor(
    readonly method: string,
    readonly path: string,
    /** When the provider will accept requests again. */
    readonly retryAt: Date,
    options?: ErrorOptions,
  ) {
    super(`${method} ${path} is rate limited by the provider until ${retryAt.toISOString()}`, options);
  }
}

export type FailureKind = "retry" | "rate_limited" | "reauthorize" | "fatal";

export interface FailureSummary {
  /** Stable, for code and metrics: rate_limited, needs_reconnect, provider_unavailable, timeout, … */
  code: string;
  /** Short and user-facing: no query string, credential or response body. */
  message: string;
}

export type RetryPlan = { waitMs: number } | { giveUp: unknown };

/** A reset value at least this large (September 2001 in epoch milliseconds) is a point in time, not a wait. */
const EPOCH_THRESHOLD_MS = 1e12;
const SECOND_MS = 1000;

const DECIMAL = /^\s*-?\d+(?:\.\d+)?\s*$/;
/** ISO 8601 with a zone; Jira sends `yyyy-MM-ddTHH:mmZ`. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;
/** The HTTP-date form senders must use (RFC 9110 IMF-fixdate). */
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const RETRYABLE_STATUSES = new Set([408, 500, 502, 503, 504]);
const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
]);
/** Cause chains can be cyclic. */
const MAX_CAUSE_DEPTH = 5;

/**
 * The wait the provider asked for, in milliseconds, or null when it said nothing usable.
 * A wait already over (a reset in the past) is 0.
 */
export function providerRetryDelayMs(status: number, headers: Headers, now: Date): number | null {
  const requested = explicitWaitMs(headers, now) ?? (isQuotaRefusal(status, headers) ? quotaResetWaitMs(headers, now) : null);
  return requested === null ? null : Math.max(0, requested);
}

/** Retry-After (and its millisecond variant) means "wait this long" on any status, 503 included. */
function explicitWaitMs(headers: Headers, now: Date): number | null {
  return decimal(headers.get("retry-after-ms")) ?? retryAfterMs(headers.get("retry-after"), now);
}

/**
 * Quota headers come on every response (GitHub sends them with each 200); they describe a
 * wait only when the quota is what refused the request.
 */
function isQuotaRefusal(status: number, headers: Headers): boolean {
  return status === 429 || (status === 403 && quotaExhausted(headers));
}

function quotaExhausted(headers: Headers): boolean {
  return headers.get("x-ratelimit-remaining")?.trim() === "0" || headers.get("ratelimit-remaining")?.trim() === "0";
}

function quotaResetWaitMs(headers: Headers, now: Date): number | null {
  return (
    resetWaitMs(headers.get("x-rate-limit-reset-ms"), 1, now) ??
    // GitHub: epoch seconds. Jira: an ISO 8601 time.
    resetWaitMs(headers.get("x-ratelimit-reset"), SECOND_MS, now) ??
    dateWaitMs(headers.get("x-ratelimit-reset"), now) ??
    // IETF draft RateLimit-Reset: seconds from now.
    secondsWait(headers.get("ratelimit-reset"))
  );
}

function retryAfterMs(value: string | null, now: Date): number | null {
  return secondsWait(value) ?? dateWaitMs(value, now);
}

function secondsWait(value: string | null): number | null {
  const seconds = decimal(value);
  return seconds === null ? null : seconds * SECOND_MS;
}

/** A reset given in `unitMs` units, either as an epoch time or as a wait; providers use both. */
function resetWaitMs(value: string | null, unitMs: number, now: Date): number | null {
  const amount = decimal(value);
  if (amount === null) return null;
  const ms = amount * unitMs;
  return ms >= EPOCH_THRESHOLD_MS ? ms - now.getTime() : ms;
}

/** Only the two date forms providers send: Date.parse alone accepts nearly any text. */
function dateWaitMs(value: string | null, now: Date): number | null {
  const text = value?.trim();
  if (!text || !(ISO_TIMESTAMP.test(text) || HTTP_DATE.test(text))) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : time - now.getTime();
}

function decimal(value: string | null): number | null {
  return value !== null && DECIMAL.test(value) ? Number(value) : null;
}

/**
 * Full jitter: a random wait between 0 and min(cap, base·2^attempt). `attempt` counts
 * from 0, so the first retry waits up to `baseDelayMs`.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** What a failed attempt calls for. Credentials problems and refused requests are never retried. */
export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof HttpStatusError) return classifyStatus(error);
  if (error instanceof RateLimitExceeded) return "rate_limited";
  if (error instanceof MalformedResponse || isTimeout(error) || isTransientNetworkError(error)) return "retry";
  return "fatal";
}

function classifyStatus({ status, headers, body }: HttpStatusError): FailureKind {
  if (status === 401 || isInvalidGrant(body)) return "reauthorize";
  if (status === 429 || (status === 403 && showsRateLimit(headers, body))) return "rate_limited";
  return RETRYABLE_STATUSES.has(status) ? "retry" : "fatal";
}

/** OAuth token endpoints answer a revoked or expired refresh token with 400 `invalid_grant`. */
function isInvalidGrant(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { error?: unknown }).error === "invalid_grant";
}

/** GitHub answers both its primary and secondary rate limits with 403 rather than 429. */
function showsRateLimit(headers: Headers, body: unknown): boolean {
  return headers.has("retry-after") || quotaExhausted(headers) || /rate limit/i.test(bodyMessage(body));
}

function bodyMessage(body: unknown): string {
  const message = typeof body === "object" && body !== null ? (body as { message?: unknown }).message : undefined;
  return typeof message === "string" ? message : "";
}

/**
 * AbortSignal.timeout rejects with TimeoutError; some fetch implementations report a timed-out
 * body read as AbortError. The client checks its own cancellation signal before classifying.
 */
function isTimeout(error: unknown): boolean {
  return nameOf(error) === "TimeoutError" || nameOf(error) === "AbortError";
}

/** DOMException (timeouts, aborts) is matched by name. */
function nameOf(error: unknown): unknown {
  return (error as { name?: unknown } | null | undefined)?.name;
}

/** A dropped or refused connection somewhere in the cause chain (fetch wraps it in TypeError "fetch failed"). */
function isTransientNetworkError(error: unknown): boolean {
  return errorCodes(error).some((code) => TRANSIENT_NETWORK_CODES.has(code) || code.startsWith("UND_ERR_"));
}

/** `code` of the error, its causes and, for AggregateError (one per address tried), its members. */
function errorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== "object" || error === null || depth > MAX_CAUSE_DEPTH) return [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const members = Array.isArray(errors) ? errors : [];
  return [
    ...(typeof code === "string" ? [code] : []),
    ...errorCodes(cause, depth + 1),
    ...members.flatMap((member: unknown) => errorCodes(member, depth + 1)),
  ];
}

/** fetch reports every failure to get a response as TypeError "fetch failed" (DNS, TLS, redirect, reset). */
function isNetworkError(error: unknown): boolean {
  return (error instanceof TypeError && error.message === "fetch failed") || isTransientNetworkError(error);
}

export interface RetryContext {
  /** The attempt that failed, counting from 1. */
  attempt: number;
  policy: RetryPolicy;
  method: string;
  /** Path only: it ends up in RateLimitExceeded's message. */
  path: string;
  /**
   * A write that failed in flight (timeout, 5xx) may have been carried out, so it is not
   * repeated; a rate-limited one was refused unprocessed and is.
   */
  write?: boolean;
  now: Date;
  random?: () => number;
}

/** After a failed attempt: wait and try again, or give up with the error the caller should see. */
export function planRetry(error: unknown, context: RetryContext): RetryPlan {
  const { attempt, policy, now } = context;
  const kind = classifyFailure(error);
  if (kind === "fatal" || kind === "reauthorize" || (kind === "retry" && context.write)) return { giveUp: error };
  const providerWaitMs = error instanceof HttpStatusError ? providerRetryDelayMs(error.status, error.headers, now) : null;
  const outOfAttempts = attempt >= policy.maxAttempts;
  if (providerWaitMs !== null && (providerWaitMs > policy.maxProviderWaitMs || (outOfAttempts && kind === "rate_limited"))) {
    return { giveUp: new RateLimitExceeded(context.method, context.path, new Date(now.getTime() + providerWaitMs), { cause: error }) };
  }
  if (outOfAttempts) return { giveUp: error };
  return { waitMs: providerWaitMs ?? backoffDelayMs(attempt - 1, policy, context.random) };
}

/** A failure as a scan record shows it: a stable code and a message built only from safe parts. */
export function describeFailure(error: unknown): FailureSummary {
  if (error instanceof RateLimitExceeded) {
    return summary("rate_limited", `The provider's rate limit was reached; try again after ${error.retryAt.toISOString()}.`);
  }
  if (error instanceof RequestNotAllowed) {
    return summary("request_not_allowed", `${error.method} ${error.path} is not on this connector's allowlist, so it was not sent.`);
  }
  if (error instanceof MalformedResponse) {
    return summary("malformed_response", `The provider sent an incomplete or invalid response to ${error.method} ${error.path}.`);
  }
  if (error instanceof HttpStatusError) return describeStatus(error);
  if (nameOf(error) === "TimeoutError") return summary("timeout", "The provider did not answer in time.");
  // Node's fetch rejects with AbortError only when a caller's signal fired (its timeouts are TimeoutError).
  if (nameOf(error) === "AbortError") return summary("cancelled", "The scan was cancelled.");
  if (isNetworkError(error)) return summary("provider_unavailable", "The provider could not be reached.");
  return summary("unexpected_error", "The scan stopped on an unexpected error.");
}

function describeStatus(error: HttpStatusError): FailureSummary {
  const request = `${error.method} ${error.path}`;
  switch (classifyFailure(error)) {
    case "reauthorize":
      return summary("needs_reconnect", "The provider no longer accepts this connection's credentials; reconnect it to resume scanning.");
    case "rate_limited":
      return summary("rate_limited", "The provider's rate limit was reached; try again later.");
    case "retry":
      return error.status === 408
        ? summary("timeout", `The provider timed out answering ${request}.`)
        : summary("provider_unavailable", `The provider answered ${error.status} to ${request}; it may be temporarily unavailable.`);
    case "fatal":
      return summary(`http_${error.status}`, `The provider answered ${error.status} to ${request}.`);
  }
}

function summary(code: string, message: string): FailureSummary {
  return { code, message };
}
