import Router from "@koa/router";
import type { PoolClient } from "../../platform/db/pool.js";
import { withTenant } from "../../platform/db/tenant.js";
import { filteredScanOutput } from "../../scans/scan-output-store.js";
import { parseScanOutputQuery } from "../scan-output-query.js";
import { requireContainer, storedOutputOf } from "../stored-outputs.js";
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
    const { container, filters } = parseScanOutputQuery(ctx.query);
    const read = <T>(fn: (client: PoolClient) => Promise<T>) => withTenant(deps.pool, principal.tenantId, fn, "snapshot");
    if (filters) {
      ctx.body = await oneFilteredOutputAtATime(() =>
        read(async (client) => {
          await requireContainer(client, id, container);
          const output = await filteredScanOutput(client, id, container === null ? filters : { ...filters, containers: [container] }, new Date());
          return { connectionId: id, container, filters, scanId: null, computedAt: new Date(output.computedAt), output };
        }),
      );
      return;
    }
    ctx.body = await read(async (client) => {
      const stored = await storedOutputOf(client, id, container);
      if (!stored) throw notFound("This connection has no scan output yet: it appears once its first scan has finished.");
      return { connectionId: id, container, filters: null, ...stored };
    });
  });

  return router;
}

/**
 * A filtered output reads the connection's whole log into memory (a million events take
 * some 400 MB for a few seconds): the web process computes one at a time, and further
 * requests wait their turn rather than run it out of memory.
 */
const oneFilteredOutputAtATime = serially();

function serially(): <T>(work: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = last.then(work, work);
    last = run.catch(() => undefined);
    return run;
  };
}
