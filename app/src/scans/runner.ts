import type { Logger } from "pino";
import type { Connector, JsonValue, Provider, ScanContext } from "../connectors/connector.js";
import { loadCredentials, openCredentials, storeCredentials, type Credentials } from "../connectors/credentials.js";
import { createConnectorHttp, type HttpCounters } from "../connectors/http/client.js";
import { requireAllowedHost } from "../connectors/http/hosts.js";
import { describeFailure, type RetryPolicy } from "../connectors/http/retry.js";
import type { LiveOutputs } from "./scan-output-store.js";
import { renewCredentials, renewingOnUnauthorized, type CredentialRenewal, type RenewalReason, type TokenRefresher } from "../connectors/token-renewal.js";
import type { Pool, PoolClient } from "../platform/db/pool.js";
import { withTenant } from "../platform/db/tenant.js";
import { AppError } from "../platform/errors.js";
import type { Redis } from "../platform/redis.js";
import type { Vault } from "../platform/vault.js";
import { ingestBatch } from "./ingest.js";
import { prefetching } from "./prefetch.js";
import type { ScanJob } from "./queue.js";
import type { ConnectorRegistry } from "./registry.js";
import { finishScan, loadCursors, recordPage, saveCursor, startScan, type ScanEndStatus } from "./scan-records.js";

export interface ScanDeps {
  pool: Pool;
  vault: Vault;
  log: Logger;
  connectors: ConnectorRegistry;
  /** Hosts connections may reach besides their tools' public APIs (connectors/http/hosts.ts). */
  extraHosts: readonly string[];
  /** Renews OAuth access tokens (before a scan when about to expire, and after a 401); without it credentials are used as stored. */
  renewal?: { redis: Redis; refreshers: ReadonlyMap<Provider, TokenRefresher> };
  now?: () => Date;
  /** Defaults to the client's policy; tests shorten the waits. */
  retryPolicy?: RetryPolicy;
  /** Connections' analyses the worker keeps between scans; without it every scan reads its whole log. */
  liveOutputs?: LiveOutputs;
}

interface ConnectionRow {
  provider: Provider;
  config: JsonValue;
  credentials: string | null;
  backfill_days: number;
  status: string;
}

/** Stops a scan between pages (worker shutdown); the cursors saved so far let the next scan resume. */
class ScanStopped extends Error {
  override name = "ScanStopped";
}

/**
 * Runs one scan: every stream of the connection from its saved cursor, each page ingested
 * in one transaction together with its cursor, so a crash resumes after the last page
 * with nothing lost and nothing twice. Returns how the scan ended.
 */
export async function runScan(deps: ScanDeps, job: ScanJob, signal: AbortSignal): Promise<ScanEndStatus> {
  const ref = { tenantId: job.tenantId, connectionId: job.connectionId };
  const log = deps.log.child({ scanId: job.scanId, connectionId: job.connectionId });
  const prepared = await withTenant(deps.pool, job.tenantId, async (client) => {
    const connection = await loadConnection(client, job.connectionId);
    const cursors = await loadCursors(client, job.connectionId);
    if (connection) await startScan(client, job.scanId, Object.fromEntries(cursors));
    return { connection, cursors };
  });
  const { connection, cursors } = prepared;
  const counters: HttpCounters = { requests: 0, bytesReceived: 0 };
  const reported: HttpCounters = { requests: 0, bytesReceived: 0 };
  const unreported = () => {
    const delta = { requests: counters.requests - reported.requests, bytesReceived: counters.bytesReceived - reported.bytesReceived };
    Object.assign(reported, counters);
    return delta;
  };
  const finish = (status: ScanEndStatus, error?: { code: string; message: string }) =>
    withTenant(deps.pool, job.tenantId, async (client) => {
      const delta = unreported();
      await finishScan(client, { id: job.scanId, connectionId: job.connectionId }, {
        status,
        cursorsAfter: Object.fromEntries(cursors),
        requests: delta.requests,
        bytesReceived: delta.bytesReceived,
        errorCode: error?.code,
        errorMessage: error?.message,
      });
      if (error?.code === "needs_reconnect") await client.query("UPDATE connections SET status = 'needs_reconnect' WHERE id = $1", [job.connectionId]);
      return status;
    });

  const connector = connection && connection.status === "active" ? deps.connectors.get(connection.provider) : undefined;
  if (!connection || !connector) {
    return finish("failed", { code: "connection_unavailable", message: "The connection was removed, paused or disconnected before the scan ran." });
  }

  let pages = 0;
  try {
    const { context, renewIfExpiring } = scanContext(deps, connector, connection, ref, counters, log, signal);
    // An access token about to expire is renewed before the first request rather than refused midway.
    await renewIfExpiring();
    for (const stream of connector.streams(context.settings)) {
      for await (const page of prefetching(connector.scan(stream, cursors.get(stream) ?? null, context))) {
        await withTenant(deps.pool, job.tenantId, async (client) => {
          // A page and its cursor commit together, so a commit lost to a database crash only
          // means that page is read again: the scan need not wait for the WAL flush.
          await client.query("SET LOCAL synchronous_commit = off");
          const ingested = await ingestBatch(client, ref, page.batch);
          await saveCursor(client, ref, stream, page.cursor);
          await recordPage(client, job.scanId, { itemsSeen: page.batch.items.length, eventsAdded: ingested.eventsAdded, ...unreported() });
        });
        cursors.set(stream, page.cursor);
        pages += 1;
        if (signal.aborted) throw new ScanStopped("the worker is shutting down");
      }
    }
    await refreshStatusCategories(deps, connector, context, ref, log);
    log.info({ pages, requests: counters.requests }, "scan finished");
    return await finish("succeeded");
  } catch (err) {
    const failure = failureOf(err);
    log.warn({ err, code: failure.code, pages }, "scan ended early");
    return finish(pages > 0 ? "partial" : "failed", failure);
  }
}

/**
 * The provider's status categories, kept for the analysis. They only sharpen the
 * classification, so a failure to read them keeps the previous ones and fails no scan.
 */
async function refreshStatusCategories(deps: ScanDeps, connector: Connector, context: ScanContext, ref: { tenantId: string; connectionId: string }, log: Logger): Promise<void> {
  if (!connector.statusCategories) return;
  try {
    const categories = await connector.statusCategories(context);
    await withTenant(deps.pool, ref.tenantId, (client) =>
      client.query("UPDATE connections SET status_categories = $2 WHERE id = $1", [ref.connectionId, JSON.stringify(categories)]),
    );
  } catch (err) {
    log.warn({ err }, "the status categories could not be read; the previous ones stay");
  }
}


/** What the scan record says about an early end: user-facing, scrubbed, with a stable code. */
function failureOf(err: unknown): { code: string; message: string } {
  if (err instanceof ScanStopped) return { code: "interrupted", message: "The scan was interrupted; the next scan continues where it stopped." };
  // Errors that are values (bad settings or credentials) already carry a message written for people.
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return describeFailure(err);
}

async function loadConnection(client: PoolClient, connectionId: string): Promise<ConnectionRow | null> {
  const { rows } = await client.query<ConnectionRow>(
    "SELECT provider, config, credentials, backfill_days, status FROM connections WHERE id = $1",
    [connectionId],
  );
  return rows[0] ?? null;
}

function scanContext(
  deps: ScanDeps,
  connector: Connector,
  connection: ConnectionRow,
  ref: { tenantId: string; connectionId: string },
  counters: HttpCounters,
  log: Logger,
  signal: AbortSignal,
): { context: ScanContext; renewIfExpiring: () => Promise<boolean> } {
  const now = deps.now?.() ?? new Date();
  const settings = connector.parseSettings(connection.config);
  let credentials: Credentials = openCredentials(deps.vault, ref, connection.credentials);
  const saveCredentials = async (next: Credentials) => {
    await withTenant(deps.pool, ref.tenantId, (client) => storeCredentials(client, deps.vault, ref, next));
    credentials = next;
  };
  const renewal = credentialRenewal(deps, connector.provider, ref, saveCredentials, signal);
  /** True when the credentials were replaced. */
  const renew = async (reason: RenewalReason) => {
    if (!renewal) return false;
    const before = credentials;
    credentials = await renewCredentials(renewal, credentials, reason);
    return credentials !== before;
  };
  const baseUrl = connector.baseUrl(settings, credentials);
  // Settings stored before an operator narrowed CONNECTOR_EXTRA_HOSTS are held to it too.
  requireAllowedHost(connector.manifest, baseUrl, deps.extraHosts);
  const http = createConnectorHttp({
    baseUrl,
    allowlist: connector.manifest.requests,
    authHeaders: async () => connector.authHeaders(credentials),
    log,
    counters,
    signal,
    retryPolicy: deps.retryPolicy,
  });
  const context: ScanContext = {
    settings,
    get credentials() {
      return credentials;
    },
    saveCredentials,
    http: renewingOnUnauthorized(http, () => renew("rejected")),
    backfillFrom: new Date(now.getTime() - connection.backfill_days * 86_400_000),
    now,
    log,
    signal,
  };
  return { context, renewIfExpiring: () => renew("expiring") };
}

/** Renewal through this scan's context: the rotated credentials are stored with `saveCredentials` before use. */
function credentialRenewal(
  deps: ScanDeps,
  provider: Provider,
  ref: { tenantId: string; connectionId: string },
  saveCredentials: ScanContext["saveCredentials"],
  signal: AbortSignal,
): CredentialRenewal | undefined {
  const refresher = deps.renewal?.refreshers.get(provider);
  if (!deps.renewal || !refresher) return undefined;
  return {
    redis: deps.renewal.redis,
    refresher,
    connectionId: ref.connectionId,
    load: () => withTenant(deps.pool, ref.tenantId, (client) => loadCredentials(client, deps.vault, ref)),
    save: saveCredentials,
    now: deps.now,
    signal,
  };
}
