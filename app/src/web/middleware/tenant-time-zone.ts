import type { Middleware } from "koa";
import type { Pool } from "../../platform/db/pool.js";
import { withTenant } from "../../platform/db/tenant.js";
import type { RequestState } from "../state.js";
import { tenantTimeZone } from "../tenant-settings.js";

/** The signed-in organization's time zone, in which pages show dates and times; UTC for everyone else. */
export function tenantTimeZones(pool: Pool): Middleware<RequestState> {
  return async (ctx, next) => {
    const principal = ctx.state.principal;
    ctx.state.timeZone = principal ? await withTenant(pool, principal.tenantId, tenantTimeZone) : "UTC";
    await next();
  };
}
