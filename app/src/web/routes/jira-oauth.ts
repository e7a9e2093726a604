/**
 * Connecting Jira by signing in with Atlassian (OAuth 2.0 3LO, with PKCE):
 *   POST /connections/jira/authorize → Atlassian's consent screen → GET /connections/jira/callback
 *   → one Jira site: the connection is created; several: the person picks one
 *     (POST /connections/jira/site).
 * What waits between the steps sits in Redis for ten minutes and is taken once (GETDEL):
 * the flow under a hash of its state, and tokens awaiting a site pick vault-encrypted under
 * a fresh random key. Codes, states, verifiers and tokens are never logged.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import Router from "@koa/router";
import type { Principal } from "../../auth/principal.js";
import { createConnection } from "../../connectors/connections.js";
import { jiraConnector } from "../../connectors/jira/connector.js";
import {
  accessibleJiraSites,
  atlassianOAuthClient,
  authorizeUrl,
  DEFAULT_ATLASSIAN_API_URL,
  exchangeAuthorizationCode,
  oauthCredentials,
  pkceChallenge,
  READ_SCOPES,
  WRITE_SCOPE,
  type AtlassianOAuthClient,
  type AtlassianSite,
  type TokenGrant,
} from "../../connectors/jira/oauth.js";
import { describeFailure } from "../../connectors/http/retry.js";
import { withTenant } from "../../platform/db/tenant.js";
import { badRequest, notFound } from "../../platform/errors.js";
import { isUuid } from "../../platform/ids.js";
import type { Redis } from "../../platform/redis.js";
import { requestScan } from "../../scans/enqueue.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { renderPage, requireAdmin, requirePrincipal, type WebContext } from "../page.js";
import type { RequestState } from "../state.js";

const FLOW_TTL_SECONDS = 600;
/** The vault binding's field for tokens that wait for a site pick. */
const PENDING_TOKENS_FIELD = "jira_oauth_pending";

/** The flow as the authorize step leaves it for the callback. */
interface PendingAuthorization {
  tenantId: string;
  userId: string;
  verifier: string;
  label: string;
  projects: string[];
}

/** Tokens for several sites, waiting for the person to pick one. */
interface PendingPick {
  tenantId: string;
  userId: string;
  label: string;
  projects: string[];
  sites: AtlassianSite[];
  /** Vault envelope of the TokenGrant, bound to the tenant and the pick id. */
  tokens: string;
}

const stateKey = (state: string) => `jira-oauth:state:${createHash("sha256").update(state).digest("hex")}`;
const pickKey = (pickId: string) => `jira-oauth:pick:${pickId}`;

const stateRefused = () => badRequest("oauth_state_invalid", "This Atlassian sign-in has expired or was already used. Nothing was connected; start again from Connections.");

export function jiraOAuthRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const { redis, vault, render } = deps;
  const callbackUrl = `${deps.config.publicUrl}/connections/jira/callback`;

  router.post("/connections/jira/authorize", async (ctx) => {
    const principal = requireAdmin(ctx, "connect tools");
    const client = requireOAuthClient(deps);
    const projects = field(ctx, "projects").split(/[\s,]+/).filter(Boolean);
    jiraConnector.parseSettings({ projects });
    const state = randomBytes(32).toString("base64url");
    const verifier = randomBytes(32).toString("base64url");
    const pending: PendingAuthorization = { tenantId: principal.tenantId, userId: principal.userId, verifier, label: field(ctx, "label").trim() || "Jira Cloud", projects };
    await redis.set(stateKey(state), JSON.stringify(pending), "EX", FLOW_TTL_SECONDS);
    const scopes = field(ctx, "enableCreateTicket") === "yes" ? [...READ_SCOPES, WRITE_SCOPE] : READ_SCOPES;
    ctx.redirect(authorizeUrl(client, { redirectUri: callbackUrl, state, codeChallenge: pkceChallenge(verifier), scopes }));
  });

  router.get("/connections/jira/callback", async (ctx) => {
    // The address holds the code and the state: whatever this answer shows must not pass it on as a Referer.
    ctx.set("Referrer-Policy", "no-referrer");
    const principal = requirePrincipal(ctx);
    const client = requireOAuthClient(deps);
    const state = queryParam(ctx, "state");
    // Taken before anything else, so a state works once whatever the outcome.
    const pending = state ? await takeOnce<PendingAuthorization>(redis, stateKey(state)) : null;
    const error = queryParam(ctx, "error");
    if (error === "access_denied") throw badRequest("oauth_declined", "Access was declined in Atlassian, so nothing was connected. Start again from Connections to connect Jira.");
    if (error) throw badRequest("oauth_failed", "Atlassian could not complete the sign-in, so nothing was connected. Start again from Connections.");
    const code = queryParam(ctx, "code");
    if (!pending || !ownedBy(pending, principal) || !code) throw stateRefused();
    const grant = await fromAtlassian(ctx, "code exchange", () => exchangeAuthorizationCode(client, { code, verifier: pending.verifier, redirectUri: callbackUrl }, ctx.state.log));
    const sites = await fromAtlassian(ctx, "accessible resources", () => accessibleJiraSites(client, grant.accessToken, ctx.state.log));
    const [only] = sites;
    if (!only) throw badRequest("no_jira_site", "The Atlassian account granted access to no Jira site. Nothing was connected.");
    if (sites.length === 1) return connect(ctx, deps, principal, pending, grant, only);
    const pickId = randomUUID();
    const pick: PendingPick = {
      tenantId: principal.tenantId,
      userId: principal.userId,
      label: pending.label,
      projects: pending.projects,
      sites,
      tokens: vault.encrypt(JSON.stringify(grant), { tenantId: principal.tenantId, connectionId: pickId, field: PENDING_TOKENS_FIELD }),
    };
    await redis.set(pickKey(pickId), JSON.stringify(pick), "EX", FLOW_TTL_SECONDS);
    renderPage(ctx, render, "jira-sites", { title: "Choose a Jira site", pickId, sites });
  });

  router.post("/connections/jira/site", async (ctx) => {
    const principal = requireAdmin(ctx, "connect tools");
    const pickId = field(ctx, "pick");
    const pick = isUuid(pickId) ? await takeOnce<PendingPick>(redis, pickKey(pickId)) : null;
    if (!pick || !ownedBy(pick, principal)) throw badRequest("oauth_pick_invalid", "This choice has expired or was already made. Nothing was connected; start again from Connections.");
    const site = pick.sites.find((candidate) => candidate.cloudId === field(ctx, "cloudId"));
    if (!site) throw badRequest("oauth_pick_invalid", "That is not one of the Jira sites offered. Nothing was connected; start again from Connections.");
    const grant = JSON.parse(vault.decrypt(pick.tokens, { tenantId: principal.tenantId, connectionId: pickId, field: PENDING_TOKENS_FIELD })) as Omit<TokenGrant, "expiresAt"> & { expiresAt: string };
    await connect(ctx, deps, principal, pick, { ...grant, expiresAt: new Date(grant.expiresAt) }, site);
  });

  return router;
}

/** Creates the connection with its tokens encrypted, and scans it at once. */
async function connect(ctx: WebContext, deps: WebDeps, principal: Principal, flow: { label: string; projects: string[] }, grant: TokenGrant, site: AtlassianSite): Promise<void> {
  const settings = jiraConnector.parseSettings({ projects: flow.projects, siteUrl: site.url, ...gatewaySettings(deps.config.atlassian.apiUrl, site.cloudId) });
  const credentials = oauthCredentials(grant, site.cloudId);
  const connectionId = await withTenant(deps.pool, principal.tenantId, (client) =>
    createConnection(client, deps.vault, principal, { provider: "jira", label: flow.label, settings, credentials }),
  );
  await requestScan(deps.pool, deps.queues, { tenantId: principal.tenantId, connectionId }, "manual");
  ctx.redirect(`/connections/${connectionId}`);
}

/** Only a gateway other than Atlassian's (a test fake, a proxy) is written into the settings. */
function gatewaySettings(apiUrl: string, cloudId: string): { apiBaseUrl?: string } {
  return apiUrl === DEFAULT_ATLASSIAN_API_URL ? {} : { apiBaseUrl: `${apiUrl}/ex/jira/${cloudId}` };
}

/** A failed call to Atlassian during the callback: a clear page, and a log line naming the step and the failure code only. */
async function fromAtlassian<T>(ctx: WebContext, step: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const failure = describeFailure(err);
    ctx.state.log.info({ step, code: failure.code }, "atlassian sign-in failed");
    throw badRequest("oauth_exchange_failed", `Atlassian did not complete the sign-in (${failure.message}). Nothing was connected; start again from Connections.`);
  }
}

function requireOAuthClient(deps: WebDeps): AtlassianOAuthClient {
  const client = atlassianOAuthClient(deps.config.atlassian);
  if (!client) throw notFound("Atlassian sign-in is not set up on this instance; connect Jira with an API token.");
  return client;
}

const ownedBy = (flow: { tenantId: string; userId: string }, principal: Principal) => flow.tenantId === principal.tenantId && flow.userId === principal.userId;

async function takeOnce<T>(redis: Redis, key: string): Promise<T | null> {
  const value = await redis.getdel(key);
  return value === null ? null : (JSON.parse(value) as T);
}

function queryParam(ctx: WebContext, name: string): string {
  const value = ctx.query[name];
  return typeof value === "string" ? value : "";
}
