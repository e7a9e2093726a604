import Router from "@koa/router";
import { deleteAllData } from "../../connectors/connections.js";
import type { PoolClient } from "../../platform/db/pool.js";
import { withTenant } from "../../platform/db/tenant.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { renderPage, requirePrincipal, withFormErrors, type WebContext } from "../page.js";
import type { RequestState } from "../state.js";
import { tenantSettings } from "../tenant-settings.js";

/** The organization's data: every connection's event log to export, and, for owners, deleting it all. */
export function dataRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const { pool, render } = deps;

  const showData = async (ctx: WebContext, extra: Record<string, unknown> = {}, status = 200) => {
    const principal = requirePrincipal(ctx);
    const { connections, organization } = await withTenant(
      pool,
      principal.tenantId,
      async (client) => ({ connections: await listConnections(client), organization: await tenantSettings(client) }),
      "snapshot",
    );
    const isOwner = principal.role === "owner";
    renderPage(ctx, render, "data", { title: "Data", connections, organizationName: organization.name, isOwner, deleted: ctx.query.deleted === "1", ...extra }, status);
  };

  router.get("/data", (ctx) => showData(ctx));

  router.post("/data/delete-all", async (ctx) => {
    const principal = requirePrincipal(ctx);
    await withFormErrors(
      async () => {
        const deleted = await withTenant(pool, principal.tenantId, (client) => deleteAllData(client, principal, field(ctx, "confirmName")));
        ctx.state.log.info({ connections: deleted }, "tenant data deleted");
        ctx.redirect("/data?deleted=1");
      },
      (refusal) => showData(ctx, { error: refusal.message }, refusal.status),
    );
  });

  return router;
}

async function listConnections(client: PoolClient) {
  const { rows } = await client.query<{ id: string; provider: string; label: string; status: string; lastScanAt: Date | null }>(
    `SELECT id, provider, label, status, last_scan_at AS "lastScanAt" FROM connections ORDER BY created_at`,
  );
  return rows;
}
