import Router from "@koa/router";
import { membershipsOf } from "../../auth/accounts.js";
import { withTenant } from "../../platform/db/tenant.js";
import type { PoolClient } from "../../platform/db/pool.js";
import { connectionScope, storedScanOutput } from "../../scans/scan-output-store.js";
import type { WebDeps } from "../deps.js";
import { headlineFigures, type HeadlineFigures } from "../overview-figures.js";
import { renderPage, requirePrincipal } from "../page.js";
import type { RequestState } from "../state.js";

interface TenantOverview {
  tenantName: string;
  connections: { id: string; provider: string; label: string; status: string; lastScanAt: Date | null; items: number; figures: HeadlineFigures | null }[];
  items: number;
  openItems: number;
  events: number;
  firstEventAt: Date | null;
  lastEventAt: Date | null;
}

export function overviewRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get("/overview", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const overview = await withTenant(deps.pool, principal.tenantId, loadOverview);
    // Built-in accounts switch organization here; external issuers switch in their own UI.
    const otherOrganizations = principal.sessionId
      ? (await membershipsOf(deps.pool, principal.userId)).filter((membership) => membership.tenantId !== principal.tenantId)
      : [];
    renderPage(ctx, deps.render, "overview", { title: overview.tenantName, ...overview, otherOrganizations, empty: overview.connections.length === 0 });
  });
  return router;
}

async function loadOverview(client: PoolClient): Promise<TenantOverview> {
  const tenant = await client.query<{ name: string }>("SELECT name FROM tenants");
  const connections = await client.query<{ id: string; provider: string; label: string; status: string; last_scan_at: Date | null; items: number }>(
    `SELECT c.id, c.provider, c.label, c.status, c.last_scan_at,
            (SELECT count(*)::int FROM work_items w WHERE w.connection_id = c.id) AS items
       FROM connections c ORDER BY c.created_at`,
  );
  const totals = await client.query<{ items: number; open_items: number }>(
    "SELECT count(*)::int AS items, count(*) FILTER (WHERE closed_at IS NULL)::int AS open_items FROM work_items",
  );
  const events = await client.query<{ events: number; first_at: Date | null; last_at: Date | null }>(
    "SELECT count(*)::int AS events, min(occurred_at) AS first_at, max(occurred_at) AS last_at FROM events",
  );
  const figures: (HeadlineFigures | null)[] = [];
  // Read from each connection's stored scan output: the figures are never recomputed for a page.
  for (const row of connections.rows) {
    const stored = await storedScanOutput(client, connectionScope(row.id));
    figures.push(stored ? headlineFigures(stored.output) : null);
  }
  return {
    tenantName: tenant.rows[0]?.name ?? "",
    connections: connections.rows.map((row, index) => ({
      id: row.id,
      provider: row.provider,
      label: row.label,
      status: row.status,
      lastScanAt: row.last_scan_at,
      items: row.items,
      figures: figures[index]!,
    })),
    items: totals.rows[0]?.items ?? 0,
    openItems: totals.rows[0]?.open_items ?? 0,
    events: events.rows[0]?.events ?? 0,
    firstEventAt: events.rows[0]?.first_at ?? null,
    lastEventAt: events.rows[0]?.last_at ?? null,
  };
}
