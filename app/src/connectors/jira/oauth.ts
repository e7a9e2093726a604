/**
 * Atlassian's OAuth 2.0 (3LO): the authorize address, the token endpoint (authorization
 * code and refresh token grants) and the list of sites a grant reaches. Refresh tokens
 * rotate: every refresh answers a new refresh token and the one sent dies, so callers
 * store the new one before using the new access token (see ../token-renewal.ts).
 *
 * Revocation: Atlassian documents no endpoint through which an app revokes a 3LO access
 * or refresh token. Disconnecting therefore erases the stored tokens at once, and the page
 * says so; the grant itself ends when the person removes TwinFlow under "Connected apps"
 * in their Atlassian account settings, or when the unused refresh token expires.
 */
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { AtlassianConfig } from "../../config.js";
import type { Credentials } from "../credentials.js";
import type { AllowedRequest } from "../http/allowlist.js";
import { createConnectorHttp } from "../http/client.js";
import { DEFAULT_RETRY_POLICY, MalformedResponse, type RetryPolicy } from "../http/retry.js";
import type { TokenRefresher } from "../token-renewal.js";

/** What scans need; `offline_access` is what yields a refresh token. */
export const READ_SCOPES = ["read:jira-work", "read:jira-user", "offline_access"] as const;
/** Asked for only when the person connecting ticks "enable create ticket". */
export const WRITE_SCOPE = "write:jira-work";

/** Atlassian's own API gateway; any other value of ATLASSIAN_API_URL is a test fake or a proxy. */
export const DEFAULT_ATLASSIAN_API_URL = "https://api.atlassian.com";

const TOKEN_PATH = "/oauth/token";
const ACCESSIBLE_RESOURCES_PATH = "/oauth/token/accessible-resources";

/**
 * The token endpoint's own allowlist. Its POST is a credential exchange (a code or a
 * refresh token for new tokens) with Atlassian's authorization server: it reads and
 * changes no Jira data, so it is not a `write` entry, and no scan's client carries it.
 */
export const TOKEN_ENDPOINT_REQUESTS: readonly AllowedRequest[] = [
  {
    method: "POST",
    path: /^\/oauth\/token$/,
    purpose: "Credential exchange, not a data write: trades an authorization code or a refresh token for new tokens; touches no Jira data.",
  },
];

export const ACCESSIBLE_RESOURCES_REQUESTS: readonly AllowedRequest[] = [
  { method: "GET", path: /^\/oauth\/token\/accessible-resources$/, purpose: "The Atlassian sites the sign-in reaches, with their cloud ids" },
];

/**
 * A refresh holds a per-connection lock, so the token endpoint gets a short leash: a few
 * attempts, and no waiting out a long rate limit.
 */
const TOKEN_RETRY_POLICY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, maxDelayMs: 2_000, maxProviderWaitMs: 10_000 };
const TOKEN_TIMEOUT_MS = 15_000;

/** TwinFlow's OAuth app and where Atlassian lives. */
export interface AtlassianOAuthClient {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  apiUrl: string;
}

export function atlassianOAuthClient(config: AtlassianConfig): AtlassianOAuthClient | undefined {
  return config.oauthClient && { ...config.oauthClient, authUrl: config.authUrl, apiUrl: config.apiUrl };
}

export interface TokenGrant {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  scopes: string[];
}

export interface AtlassianSite {
  cloudId: string;
  name: string;
  url: string;
}

/** S256: the challenge sent with the authorize request, checked against the verifier at the exchange. */
export function pkceChallenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

export function authorizeUrl(client: AtlassianOAuthClient, request: { redirectUri: string; state: string; codeChallenge: string; scopes: readonly string[] }): string {
  const url = new URL("/authorize", client.authUrl);
  url.search = new URLSearchParams({
    audience: "api.atlassian.com",
    client_id: client.clientId,
    scope: request.scopes.join(" "),
    redirect_uri: request.redirectUri,
    state: request.state,
    response_type: "code",
    prompt: "consent",
    code_challenge: request.codeChallenge,
    code_challenge_method: "S256",
  }).toString();
  return url.toString();
}

export function exchangeAuthorizationCode(
  client: AtlassianOAuthClient,
  exchange: { code: string; verifier: string; redirectUri: string },
  log: Logger,
): Promise<TokenGrant> {
  return requestTokens(client, { grant_type: "authorization_code", code: exchange.code, redirect_uri: exchange.redirectUri, code_verifier: exchange.verifier }, log);
}

/** A 4xx `invalid_grant` (refresh token used, expired or revoked) is classified `needs_reconnect`. */
export function refreshTokens(client: AtlassianOAuthClient, refreshToken: string, log: Logger, signal?: AbortSignal): Promise<TokenGrant> {
  return requestTokens(client, { grant_type: "refresh_token", refresh_token: refreshToken }, log, signal);
}

interface TokenResponse {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  scope?: unknown;
}

async function requestTokens(client: AtlassianOAuthClient, grant: Record<string, string>, log: Logger, signal?: AbortSignal): Promise<TokenGrant> {
  const http = createConnectorHttp({
    baseUrl: client.authUrl,
    allowlist: TOKEN_ENDPOINT_REQUESTS,
    authHeaders: async () => ({}),
    log,
    signal,
    retryPolicy: TOKEN_RETRY_POLICY,
    timeoutMs: TOKEN_TIMEOUT_MS,
  });
  const requestedAt = Date.now();
  const { status, body } = await http.request<TokenResponse>({
    method: "POST",
    path: TOKEN_PATH,
    body: { ...grant, client_id: client.clientId, client_secret: client.clientSecret },
  });
  const { access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn, scope } = body ?? {};
  // Without a refresh token the connection would die within the hour: refuse it now.
  if (typeof accessToken !== "string" || typeof refreshToken !== "string" || typeof expiresIn !== "number") throw new MalformedResponse("POST", TOKEN_PATH, status);
  return {
    accessToken,
    refreshToken,
    expiresAt: new Date(requestedAt + expiresIn * 1000),
    scopes: typeof scope === "string" ? scope.split(" ").filter(Boolean) : [],
  };
}

interface AccessibleResource {
  id?: unknown;
  name?: unknown;
  url?: unknown;
  scopes?: unknown;
}

/** The Jira sites the access token reaches (a grant may also list other Atlassian products). */
export async function accessibleJiraSites(client: AtlassianOAuthClient, accessToken: string, log: Logger): Promise<AtlassianSite[]> {
  const http = createConnectorHttp({
    baseUrl: client.apiUrl,
    allowlist: ACCESSIBLE_RESOURCES_REQUESTS,
    authHeaders: async () => ({ authorization: `Bearer ${accessToken}` }),
    log,
  });
  const { body } = await http.request<AccessibleResource[]>({ method: "GET", path: ACCESSIBLE_RESOURCES_PATH });
  return (Array.isArray(body) ? body : [])
    .filter((site) => Array.isArray(site.scopes) && site.scopes.some((scope) => typeof scope === "string" && scope.endsWith(":jira-work")))
    .flatMap((site) =>
      typeof site.id === "string" && /^[A-Za-z0-9-]+$/.test(site.id)
        ? [{ cloudId: site.id, name: typeof site.name === "string" ? site.name : site.id, url: typeof site.url === "string" ? site.url : "" }]
        : [],
    );
}

/** The stored shape of a Jira OAuth connection's credentials (scopes space-separated). */
export function oauthCredentials(grant: TokenGrant, cloudId: string): Credentials {
  return {
    kind: "oauth",
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken,
    expiresAt: grant.expiresAt.toISOString(),
    cloudId,
    scopes: grant.scopes.join(" "),
  };
}

/**
 * Renews Jira OAuth credentials. API-token credentials, and OAuth ones stored without a
 * refresh token, have nothing to renew.
 */
export function jiraTokenRefresher(client: AtlassianOAuthClient, log: Logger): TokenRefresher {
  return {
    expiresAt(credentials) {
      if (credentials.kind !== "oauth" || !credentials.refreshToken) return null;
      const expiresAt = new Date(credentials.expiresAt ?? 0);
      // An unreadable expiry is treated as expired: renewing costs one request.
      return Number.isNaN(expiresAt.getTime()) ? new Date(0) : expiresAt;
    },
    async refresh(credentials, signal) {
      const grant = await refreshTokens(client, credentials.refreshToken!, log, signal);
      return {
        ...credentials,
        accessToken: grant.accessToken,
        refreshToken: grant.refreshToken,
        expiresAt: grant.expiresAt.toISOString(),
        // A refresh names the scopes granted; the stored ones stand if it does not.
        ...(grant.scopes.length > 0 && { scopes: grant.scopes.join(" ") }),
      };
    },
  };
}
