import { randomUUID } from "node:crypto";
import type { Config } from "../config.js";
import type { Pool, PoolClient } from "../platform/db/pool.js";
import { withTenant } from "../platform/db/tenant.js";
import { AuthError } from "./auth-error.js";
import { createOidcVerifier, type VerifiedIdentity } from "./oidc-verifier.js";
import type { Principal } from "./principal.js";
import { touchLiveSession } from "./sessions.js";
import { verifySessionToken } from "./session-token.js";

export const SESSION_COOKIE = "tf_session";
/** Clerk's cookie name for its session JWT. */
export const OIDC_SESSION_COOKIE = "__session";

export interface Credentials {
  bearer: string | null;
  cookie(name: string): string | undefined;
}

export interface Authenticator {
  readonly mode: "builtin" | "oidc";
  /**
   * The verified principal; null when the request carries no credentials or its
   * session has ended. Throws AuthError for a token that does not verify. The token
   * is always verified before any tenant query runs.
   */
  authenticate(credentials: Credentials): Promise<Principal | null>;
}

export function createAuthenticator(config: Config, pool: Pool): Authenticator {
  return config.oidc ? oidcAuthenticator(config.oidc, pool) : builtinAuthenticator(config, pool);
}

function builtinAuthenticator(config: Config, pool: Pool): Authenticator {
  return {
    mode: "builtin",
    async authenticate(credentials) {
      const token = credentials.bearer ?? credentials.cookie(SESSION_COOKIE);
      if (!token) return null;
      const claims = await verifySessionToken(token, config.sessionSecret, { issuer: config.publicUrl });
      const role = await withTenant(pool, claims.tenantId, (client) =>
        touchLiveSession(client, { id: claims.sessionId, userId: claims.userId }, config.sessionIdleSeconds),
      );
      if (!role) return null;
      return { tenantId: claims.tenantId, userId: claims.userId, role, sessionId: claims.sessionId };
    },
  };
}

function oidcAuthenticator(settings: NonNullable<Config["oidc"]>, pool: Pool): Authenticator {
  const verifier = createOidcVerifier(settings);
  return {
    mode: "oidc",
    async authenticate(credentials) {
      const token = credentials.bearer ?? credentials.cookie(OIDC_SESSION_COOKIE);
      if (!token) return null;
      const identity = await verifier.verify(token);
      const tenantId = await tenantForOrganization(pool, identity.tenantKey);
      const userId = await withTenant(pool, tenantId, (client) => syncMember(client, tenantId, identity));
      return { tenantId, userId, role: identity.role, sessionId: null };
    },
  };
}

/** The tenant of an external organization, created the first time one of its members arrives. */
async function tenantForOrganization(pool: Pool, organization: string): Promise<string> {
  const existing = await pool.query<{ id: string | null }>("SELECT tenant_id_for_external_org($1) AS id", [organization]);
  if (existing.rows[0]?.id) return existing.rows[0].id;
  const tenantId = randomUUID();
  await withTenant(pool, tenantId, (client) =>
    client.query("INSERT INTO tenants (id, name, external_org_id) VALUES ($1, $2, $2) ON CONFLICT (external_org_id) DO NOTHING", [
      tenantId,
      organization,
    ]),
  );
  const created = await pool.query<{ id: string | null }>("SELECT tenant_id_for_external_org($1) AS id", [organization]);
  const id = created.rows[0]?.id;
  if (!id) throw new AuthError("missing_claim", "organization could not be mapped to a tenant");
  return id;
}

/** Keeps the external person's account and role in step with the verified token. */
async function syncMember(client: PoolClient, tenantId: string, identity: VerifiedIdentity): Promise<string> {
  const email = (identity.email ?? `${identity.subject}@external.invalid`).toLowerCase();
  const { rows } = await client.query<{ id: string }>("SELECT upsert_external_user($1, $2) AS id", [identity.subject, email]);
  const userId = rows[0]!.id;
  await client.query(
    `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role WHERE memberships.role <> 'owner'`,
    [tenantId, userId, identity.role],
  );
  return userId;
}
