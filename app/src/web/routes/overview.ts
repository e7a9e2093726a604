import Router from "@koa/router";
import { membershipsOf } from "../../auth/accounts.js";
import { withTenant } from "../../platform/db/tenant.js";
import type { PoolClient } from "../../platform/db/pool.js";
import { connectionScope, storedScanOutput } from "../../scans/scan-output-store.js";
import type { WebDeps } from "../deps.js";
import { headlineFigures, type HeadlineFigures } from "../overview-figures.js";
import type { ScanOutput } from "../../analysis/scan-output.js";
import { renderPage, requirePrincipal } from "../page.js";
import type { RequestState } from "../state.js";

interface TenantOverview {
  tenantName: string;
  /** Items as of the connection's latest scan output; null before its first. */
  connections: {
    id: string;
    provider: string;
    label: string;
    status: string;
    lastScanAt: Date | null;
    /** The latest scan's status and, when it failed, why; null before the first. */
    lastScan: { status: string; error: string | null } | null;
    items: number | null;
    figures: HeadlineFigures | null;
  }[];
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

/**
 * Everything on the overview comes from the tenant's connections and their latest stored
 * scan outputs: no page view counts a connection's items or events again.
 */
async function loadOverview(client: PoolClient): Promise<TenantOverview> {
  const tenant = await client.query<{ name: string }>("SELECT name FROM tenants");
  const connections = await client.query<{ id: string; provider: string; label: string; status: string; last_scan_at: Date | null; scan_status: string | null; scan_error: string | null }>(
    `SELECT c.id, c.provider, c.label, c.status, c.last_scan_at, s.status AS scan_status, s.error_message AS scan_error
       FROM connections c
       LEFT JOIN LATERAL (SELECT status, error_message FROM scans WHERE connection_id = c.id ORDER BY queued_at DESC LIMIT 1) s ON true
      ORDER BY c.created_at`,
  );
  const outputs: (ScanOutput | null)[] = [];
  for (const row of connections.rows) outputs.push((await storedScanOutput(client, connectionScope(row.id)))?.output ?? null);
  const analysed = outputs.filter((output): output is ScanOutput => output !== null);
  const total = (of: (output: ScanOutput) => number) => analysed.reduce((sum, output) => sum + of(output), 0);
  return {
    tenantName: tenant.rows[0]?.name ?? "",
    connections: connections.rows.map((row, index) => ({
      id: row.id,
      provider: row.provider,
      label: row.label,
      status: row.status,
      lastScanAt: row.last_scan_at,
      lastScan: row.scan_status === null ? null : { status: row.scan_status, error: row.scan_error },
      items: outputs[index]?.sample.items ?? null,
      figures: outputs[index] ? headlineFigures(outputs[index]) : null,
    })),
    items: total((output) => output.sample.items),
    openItems: total((output) => output.sample.open),
    events: total((output) => output.sample.events),
    firstEventAt: analysed.length > 0 ? new Date(Math.min(...analysed.map((output) => output.window.from))) : null,
    lastEventAt: analysed.length > 0 ? new Date(Math.max(...analysed.map((output) => output.asOf))) : null,
  };
}
