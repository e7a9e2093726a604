import Router from "@koa/router";
import { backupStatus, type BackupStatus, type RunKind } from "../../../../backup/src/runs.js";
import type { Provider } from "../../connectors/connector.js";
import { openCredentials } from "../../connectors/credentials.js";
import type { PoolClient } from "../../platform/db/pool.js";
import { withTenant } from "../../platform/db/tenant.js";
import { manifestView, type ManifestView } from "../connector-manifest.js";
import type { WebDeps } from "../deps.js";
import { renderPage, requirePrincipal } from "../page.js";
import type { RequestState } from "../state.js";

/** When each safeguard last worked: times only, nothing about sizes, files or buckets. */
interface SafeguardTimes {
  lastBackupAt: Date | null;
  lastOffsiteAt: Date | null;
  lastDrillAt: Date | null;
}

/** What a connection may reach and what it keeps, in facts that hold no secret. */
interface ConnectionAccess {
  label: string;
  provider: string;
  status: string;
  /** The kind of credential held: "OAuth sign-in", "API token", or why there is none. */
  credential: string;
  /** The account the provider said the credential acts as, and for tokens their scopes. */
  actsAs: string | null;
  /** The OAuth scopes granted, as the provider answered them. */
  scopes: string[];
  manifest: ManifestView | null;
}

/** Connections without stored credentials, by why they have none. */
const NO_CREDENTIAL: Readonly<Record<string, string>> = {
  demo: "None: sample data made on this server",
  file: "None: imported from a file",
};

export function securityRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get("/security", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const times = safeguardTimes(await backupStatus(deps.pool));
    const connections = await withTenant(deps.pool, principal.tenantId, (client) => connectionAccess(client, deps, principal.tenantId), "snapshot");
    renderPage(ctx, deps.render, "security", { title: "Security", ...times, connections });
  });
  return router;
}

function safeguardTimes(status: BackupStatus): SafeguardTimes {
  const finished = (kind: RunKind) => status.lastGood[kind]?.finishedAt ?? null;
  return { lastBackupAt: finished("backup"), lastOffsiteAt: finished("offsite"), lastDrillAt: finished("drill") };
}

async function connectionAccess(client: PoolClient, deps: WebDeps, tenantId: string): Promise<ConnectionAccess[]> {
  const { rows } = await client.query<{ id: string; label: string; provider: string; status: string; connectedAs: string | null; credentials: string | null }>(
    `SELECT id, label, provider, status, connected_as AS "connectedAs", credentials FROM connections ORDER BY created_at`,
  );
  return rows.map((row) => {
    const connector = deps.connectors.get(row.provider as Provider);
    return {
      label: row.label,
      provider: row.provider,
      status: row.status,
      ...credentialFacts(deps, { tenantId, connectionId: row.id, provider: row.provider }, row.credentials),
      actsAs: row.connectedAs,
      manifest: connector ? manifestView(connector.manifest) : null,
    };
  });
}

/**
 * The kind of credential a connection holds and the scopes it was granted. The decrypted
 * credentials go no further than this function: only the kind and the scopes leave it.
 */
function credentialFacts(
  deps: WebDeps,
  ref: { tenantId: string; connectionId: string; provider: string },
  envelope: string | null,
): Pick<ConnectionAccess, "credential" | "scopes"> {
  if (!envelope) return { credential: NO_CREDENTIAL[ref.provider] ?? "None: deleted when the connection was disconnected", scopes: [] };
  const { kind, scopes } = openCredentials(deps.vault, ref, envelope);
  if (kind === "oauth") return { credential: "OAuth sign-in", scopes: (scopes ?? "").split(" ").filter(Boolean) };
  return { credential: "API token", scopes: [] };
}
