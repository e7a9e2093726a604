import Router from "@koa/router";
import { backupStatus, type BackupStatus, type RunKind } from "../../../../backup/src/runs.js";
import type { WebDeps } from "../deps.js";
import { renderPage, requirePrincipal } from "../page.js";
import type { RequestState } from "../state.js";

/** When each safeguard last worked: times only, nothing about sizes, files or buckets. */
interface SafeguardTimes {
  lastBackupAt: Date | null;
  lastOffsiteAt: Date | null;
  lastDrillAt: Date | null;
}

export function securityRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get("/security", async (ctx) => {
    requirePrincipal(ctx);
    const times = safeguardTimes(await backupStatus(deps.pool));
    renderPage(ctx, deps.render, "security", { title: "Security", ...times });
  });
  return router;
}

function safeguardTimes(status: BackupStatus): SafeguardTimes {
  const finished = (kind: RunKind) => status.lastGood[kind]?.finishedAt ?? null;
  return { lastBackupAt: finished("backup"), lastOffsiteAt: finished("offsite"), lastDrillAt: finished("drill") };
}
