import { randomUUID } from "node:crypto";
import Router from "@koa/router";
import { createConnection, disconnectConnection, reconnectConnection } from "../../connectors/connections.js";
import type { Connector } from "../../connectors/connector.js";
import type { Credentials } from "../../connectors/credentials.js";
import { createConnectorHttp } from "../../connectors/http/client.js";
import { requireAllowedHost } from "../../connectors/http/hosts.js";
import { describeFailure } from "../../connectors/http/retry.js";
import { hasRole } from "../../auth/principal.js";
import type { PoolClient } from "../../platform/db/pool.js";
import { withTenant } from "../../platform/db/tenant.js";
import { AppError, badRequest, notFound } from "../../platform/errors.js";
import { requestScan } from "../../scans/enqueue.js";
import { CONNECT_FORMS, connectFormFor } from "../connect-forms.js";
import { manifestView } from "../connector-manifest.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { renderPage, requireAdmin, requirePrincipal, uuidParam, withFormErrors, type WebContext } from "../page.js";
import type { RequestState } from "../state.js";

const SCAN_COLUMNS = `id, status, trigger, queued_at AS "queuedAt", started_at AS "startedAt", finished_at AS "finishedAt",
  pages_done AS "pagesDone", items_seen AS "itemsSeen", events_added AS "eventsAdded", requests_made AS "requestsMade",
  bytes_received AS "bytesReceived", error_code AS "errorCode", error_message AS "errorMessage"`;

export function connectionRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const { pool, render } = deps;
  const atlassianSignIn = deps.config.atlassian.oauthClient !== undefined;

  router.get("/connections", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const connections = await withTenant(pool, principal.tenantId, listConnections);
    renderPage(ctx, render, "connections", { title: "Connections", connections, forms: CONNECT_FORMS, canManage: hasRole(principal, "admin"), atlassianSignIn });
  });

  router.post("/connections", async (ctx) => {
    // Before the form is read: a member's form must not reach the tool it names.
    const principal = requireAdmin(ctx, "connect tools");
    const form = connectFormFor(field(ctx, "provider"));
    const values = { title: "Connections", forms: CONNECT_FORMS, canManage: true, atlassianSignIn, chosen: form.provider, label: field(ctx, "label") };
    const showAgain = async (refusal: AppError) => {
      const connections = await withTenant(pool, principal.tenantId, listConnections);
      renderPage(ctx, render, "connections", { ...values, connections, error: refusal.message }, refusal.status);
    };
    await withFormErrors(async () => {
      const connector = deps.connectors.get(form.provider);
      if (!connector) throw badRequest("unknown_provider", "That tool cannot be connected on this instance.");
      const { settings: raw, credentials } = form.read((name) => field(ctx, name), new Date());
      const settings = connector.parseSettings(raw);
      const label = field(ctx, "label").trim() || form.title;
      const backfillDays = backfillDaysOf(field(ctx, "backfillDays"));
      const connectedAs = await verifyCredentials(deps, connector, settings, credentials);
      const connectionId = await withTenant(pool, principal.tenantId, (client) =>
        createConnection(client, deps.vault, principal, { provider: form.provider, label, settings, credentials, backfillDays, connectedAs }),
      );
      await requestScan(pool, deps.queues, { tenantId: principal.tenantId, connectionId }, "manual");
      ctx.redirect(`/connections/${connectionId}`);
    }, showAgain);
  });

  router.get("/connections/:id", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const connectionId = connectionIdOf(ctx);
    // One snapshot: a scan that ends between two of the page's queries must not show as
    // failed while the connection still reads as active.
    const details = await withTenant(pool, principal.tenantId, (client) => loadConnection(client, connectionId), "snapshot");
    const connector = deps.connectors.get(details.connection.provider as Connector["provider"]);
    const manifest = connector ? manifestView(connector.manifest) : null;
    // A fresh idempotency key per page view: submitting this form twice creates one issue.
    const ticket = details.connection.provider === "jira" && details.active ? { idempotencyKey: randomUUID() } : null;
    // While a scan waits or runs, the page refreshes itself so its progress shows (no script needed).
    const scanning = details.scans.some((scan: { status: string }) => scan.status === "queued" || scan.status === "running");
    const refreshSeconds = scanning ? 3 : undefined;
    renderPage(ctx, render, "connection", { title: details.connection.label, ...details, manifest, ticket, canManage: hasRole(principal, "admin"), refreshSeconds });
  });

  router.post("/connections/:id/scan", async (ctx) => {
    const principal = requireAdmin(ctx, "start a scan");
    const connectionId = connectionIdOf(ctx);
    await requestScan(pool, deps.queues, { tenantId: principal.tenantId, connectionId }, "manual");
    ctx.redirect(`/connections/${connectionId}`);
  });

  router.post("/connections/:id/credentials", async (ctx) => {
    const principal = requireAdmin(ctx, "reconnect tools");
    const connectionId = connectionIdOf(ctx);
    const details = await withTenant(pool, principal.tenantId, (client) => loadConnection(client, connectionId));
    const provider = details.connection.provider as Connector["provider"];
    const showAgain = (refusal: AppError) =>
      renderPage(ctx, render, "connection", { title: details.connection.label, ...details, canManage: true, error: refusal.message }, refusal.status);
    await withFormErrors(async () => {
      const connector = deps.connectors.get(provider);
      if (!connector) throw badRequest("unknown_provider", "That tool cannot be connected on this instance.");
      const { credentials } = connectFormFor(provider).read((name) => field(ctx, name), new Date());
      const settings = connector.parseSettings(details.config);
      const connectedAs = await verifyCredentials(deps, connector, settings, credentials);
      await withTenant(pool, principal.tenantId, (client) => reconnectConnection(client, deps.vault, principal, connectionId, credentials, connectedAs));
      await requestScan(pool, deps.queues, { tenantId: principal.tenantId, connectionId }, "manual");
      ctx.redirect(`/connections/${connectionId}`);
    }, showAgain);
  });

  router.post("/connections/:id/disconnect", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const connectionId = connectionIdOf(ctx);
    const deleteData = field(ctx, "deleteData") === "yes";
    await withTenant(pool, principal.tenantId, (client) => disconnectConnection(client, principal, connectionId, deleteData));
    ctx.redirect(`/connections/${connectionId}`);
  });

  return router;
}

/** How far back the first scan reads; 180 days unless the person asks for more or less. */
function backfillDaysOf(raw: string): number {
  if (raw.trim() === "") return 180;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw badRequest("invalid_backfill", "History to read must be a whole number of days from 1 to 3650.");
  return days;
}

function connectionIdOf(ctx: WebContext): string {
  return uuidParam(ctx, "id", "connection");
}

/**
 * One read request with the new credentials, so a wrong token is reported now, not at the
 * first scan; before it, the address the settings lead to must be the tool's or one the
 * operator allows (connectors/http/hosts.ts).
 */
async function verifyCredentials(deps: WebDeps, connector: Connector, settings: ReturnType<Connector["parseSettings"]>, credentials: Credentials): Promise<string | null> {
  const baseUrl = connector.baseUrl(settings, credentials);
  requireAllowedHost(connector.manifest, baseUrl, deps.config.connectorExtraHosts);
  if (!connector.verifyCredentials) return null;
  const http = createConnectorHttp({
    baseUrl,
    allowlist: connector.manifest.requests,
    authHeaders: async () => connector.authHeaders(credentials),
    log: deps.log,
  });
  try {
    return await connector.verifyCredentials(http, settings);
  } catch (err) {
    const failure = describeFailure(err);
    deps.log.info({ code: failure.code, provider: connector.provider }, "credentials refused at connect");
    throw badRequest("credentials_refused", `The ${connector.provider} credentials did not work (${failure.message}). Check them and try again.`);
  }
}

async function listConnections(client: PoolClient) {
  const { rows } = await client.query(
    `SELECT c.id, c.provider, c.label, c.status, c.last_scan_at AS "lastScanAt",
            s.status AS "scanStatus", s.error_message AS "scanError"
       FROM connections c
       LEFT JOIN LATERAL (SELECT status, error_message FROM scans WHERE connection_id = c.id ORDER BY queued_at DESC LIMIT 1) s ON true
      ORDER BY c.created_at`,
  );
  return rows;
}

async function loadConnection(client: PoolClient, connectionId: string) {
  const { rows } = await client.query<{
    id: string;
    provider: string;
    label: string;
    status: string;
    lastScanAt: Date | null;
    scanEveryMinutes: number;
    connectedAs: string | null;
    /** Null until the connection's first analysis. */
    items: number | null;
    events: number | null;
    config: unknown;
  }>(
    `SELECT c.id, c.provider, c.label, c.status, c.last_scan_at AS "lastScanAt", c.scan_every_minutes AS "scanEveryMinutes", c.connected_as AS "connectedAs", c.config,
            s.items, s.events
       FROM connections c
       -- The latest analysis's counts: counting a large connection's rows would take most of a second.
       LEFT JOIN LATERAL (SELECT (o.output #>> '{sample,items}')::int AS items, (o.output #>> '{sample,events}')::int AS events
                            FROM scan_outputs o WHERE o.scope = 'connection:' || c.id ORDER BY o.computed_at DESC LIMIT 1) s ON true
      WHERE c.id = $1`,
    [connectionId],
  );
  if (!rows[0]) throw notFound("There is no connection with that id.");
  const { config, ...connection } = rows[0];
  const scans = await client.query(`SELECT ${SCAN_COLUMNS} FROM scans WHERE connection_id = $1 ORDER BY queued_at DESC LIMIT 20`, [connectionId]);
  return { connection, config, scans: scans.rows, active: connection.status === "active" };
}
