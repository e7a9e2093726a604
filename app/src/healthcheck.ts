/**
 * Container health probe (the image has no curl): `node dist/app/src/healthcheck.js [url]`
 * exits 0 when the URL answers 2xx within 3 s; otherwise it prints one line and exits 1.
 * It reads no configuration, so it works for every role and even when settings are wrong.
 */
const DEFAULT_URL = "http://127.0.0.1:3000/healthz";
const TIMEOUT_MS = 3_000;

/** Why the URL is unhealthy, or undefined when it answered 2xx. */
async function problemWith(url: string): Promise<string | undefined> {
  try {
    // A redirect is an answer from the wrong place, not a healthy one.
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "manual" });
    await response.body?.cancel();
    return response.ok ? undefined : `answered ${response.status}`;
  } catch (err) {
    if (err instanceof Error && err.name === "TimeoutError") return `did not answer within ${TIMEOUT_MS / 1000} s`;
    // fetch wraps the reason (ECONNREFUSED, ENOTFOUND, bad port) in its cause.
    const reason = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const code = (reason as { code?: unknown }).code;
    return `is unreachable (${typeof code === "string" ? code : reason instanceof Error ? reason.message : String(reason)})`;
  }
}

const url = process.argv[2] ?? DEFAULT_URL;
const problem = await problemWith(url);
if (problem) process.stderr.write(`healthcheck: ${url} ${problem}\n`);
process.exit(problem ? 1 : 0);
