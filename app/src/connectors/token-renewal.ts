/**
 * Keeps an OAuth connection's access token usable when refresh tokens rotate. A refresh
 * spends the refresh token it sends, so two processes refreshing one connection at once
 * would leave one holding a dead token. Hence: one refresh per connection at a time (a
 * Redis lock shared by every process), the stored credentials re-read inside the lock
 * (another process may have refreshed already), and the new credentials stored before
 * the new access token is used.
 */
import { setTimeout as delay } from "node:timers/promises";
import { LeaderLock } from "../platform/leader-lock.js";
import type { Redis } from "../platform/redis.js";
import type { Credentials } from "./credentials.js";
import type { ConnectorHttp, HttpRequest, HttpResponse } from "./http/client.js";
import { HttpStatusError } from "./http/retry.js";

/** An access token that expires within this is renewed before use. */
export const RENEW_MARGIN_MS = 5 * 60_000;
/** Longer than a refresh can take (a few attempts of at most 15 s each). */
const LOCK_TTL_MS = 60_000;
const LOCK_POLL_MS = 50;

/** How one provider renews its credentials. */
export interface TokenRefresher {
  /** When the access token expires; null when there is nothing to renew (an API token, no refresh token). */
  expiresAt(credentials: Readonly<Credentials>): Date | null;
  /** New credentials for the refresh token; rejects with the token endpoint's error (e.g. invalid_grant). */
  refresh(credentials: Readonly<Credentials>, signal?: AbortSignal): Promise<Credentials>;
}

export interface CredentialRenewal {
  redis: Redis;
  refresher: TokenRefresher;
  connectionId: string;
  /** Reads the stored credentials afresh. */
  load(): Promise<Credentials>;
  /** Stores new credentials, atomically. */
  save(credentials: Credentials): Promise<void>;
  now?: () => Date;
  signal?: AbortSignal;
}

/** Another process held the connection's renewal lock for longer than a refresh can take. */
export class RenewalTimedOut extends Error {
  override name = "RenewalTimedOut";
}

/**
 * Why credentials are being renewed: their access token is about to expire (renewed only
 * if it still is once the lock is held), or the provider just refused it with a 401
 * (renewed unless another process already replaced it).
 */
export type RenewalReason = "expiring" | "rejected";

/** Credentials fit to use: `current` when nothing needs renewing, else the renewed or newer stored ones. */
export async function renewCredentials(renewal: CredentialRenewal, current: Credentials, reason: RenewalReason): Promise<Credentials> {
  const { refresher } = renewal;
  const now = renewal.now ?? (() => new Date());
  if (refresher.expiresAt(current) === null || (reason === "expiring" && !isExpiring(refresher, current, now()))) return current;
  return withRenewalLock(renewal, async () => {
    const stored = await renewal.load();
    if (refresher.expiresAt(stored) === null) return stored;
    const replacedElsewhere = canonical(stored) !== canonical(current);
    if (!isExpiring(refresher, stored, now()) && (reason === "expiring" || replacedElsewhere)) return stored;
    const renewed = await refresher.refresh(stored, renewal.signal);
    await renewal.save(renewed);
    return renewed;
  });
}

/**
 * Repeats a request once after a 401 when `renew` replaced the credentials (the client
 * reads its auth headers per attempt, so the repeat carries the new access token). A 401
 * means the request was refused unprocessed, so repeating even a write is safe.
 */
export function renewingOnUnauthorized(http: ConnectorHttp, renew: () => Promise<boolean>): ConnectorHttp {
  return {
    counters: http.counters,
    async request<T>(request: HttpRequest): Promise<HttpResponse<T>> {
      try {
        return await http.request<T>(request);
      } catch (err) {
        if (!(err instanceof HttpStatusError && err.status === 401) || !(await renew())) throw err;
        return http.request<T>(request);
      }
    },
  };
}

function isExpiring(refresher: TokenRefresher, credentials: Readonly<Credentials>, now: Date): boolean {
  const expiresAt = refresher.expiresAt(credentials);
  return expiresAt !== null && expiresAt.getTime() - now.getTime() <= RENEW_MARGIN_MS;
}

async function withRenewalLock<T>(renewal: CredentialRenewal, fn: () => Promise<T>): Promise<T> {
  // SET NX PX: one holder at a time; a holder that dies loses the lock after the TTL.
  const lock = new LeaderLock(renewal.redis, `credential-renewal:${renewal.connectionId}`, LOCK_TTL_MS);
  const deadline = Date.now() + LOCK_TTL_MS;
  while (!(await lock.acquireOrRenew())) {
    if (Date.now() > deadline) throw new RenewalTimedOut("another process is still renewing this connection's credentials");
    await delay(LOCK_POLL_MS, undefined, { signal: renewal.signal });
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

const canonical = (credentials: Readonly<Credentials>) => JSON.stringify(Object.entries(credentials).sort(([a], [b]) => (a < b ? -1 : 1)));
