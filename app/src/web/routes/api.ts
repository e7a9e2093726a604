import Router from "@koa/router";
import { withTenant } from "../../platform/db/tenant.js";
import { parseScanOutputQuery } from "../scan-output-query.js";
import { loadAnalyticsView } from "../analytics-view.js";
import { notFound } from "../../platform/errors.js";
import type { WebDeps } from "../deps.js";
import { requirePrincipal, uuidParam } from "../page.js";
import type { RequestState } from "../state.js";

/** Connection fields that may leave the server; credentials never do. */
const CONNECTION_COLUMNS =
  "id, provider, label, status, scan_every_minutes AS \"scanEveryMinutes\", last_scan_at AS \"lastScanAt\", created_at AS \"createdAt\"";

export function apiRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>({ prefix: "/api/v1" });

  router.get("/connections", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const { rows } = await withTenant(deps.pool, principal.tenantId, (client) =>
      client.query(`SELECT ${CONNECTION_COLUMNS} FROM connections ORDER BY created_at`),
    );
    ctx.body = { connections: rows };
  });

  router.get("/connections/:id", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const id = uuidParam(ctx, "id", "connection");
    const { rows } = await withTenant(deps.pool, principal.tenantId, (client) =>
      client.query(`SELECT ${CONNECTION_COLUMNS} FROM connections WHERE id = $1`, [id]),
    );
    if (!rows[0]) throw notFound("There is no connection with that id.");
    ctx.body = { connection: rows[0] };
  });

  router.get("/connections/:id/scan-output", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const id = uuidParam(ctx, "id", "connection");
    // Strict here: an API caller is told about an empty or unknown parameter rather than have it ignored.
    parseScanOutputQuery(ctx.query, ctx.state.timeZone);
    const view = await loadAnalyticsView(deps, { tenantId: principal.tenantId, timeZone: ctx.state.timeZone }, id, ctx.query, []);
    ctx.body = { connectionId: id, container: view.container, filters: view.filters, scanId: view.scanId, computedAt: view.computedAt, output: view.output };
  });

  return router;
}
