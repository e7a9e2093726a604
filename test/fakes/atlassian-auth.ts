import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeReply, FaultInjector, RecordedRequest } from "./jira.js";

/**
 * Access tokens issued by the fake Atlassian, shared with the fake Jira so Jira accepts
 * exactly the tokens issued here that have not expired or been revoked, for the scopes granted.
 */
export class AtlassianTokens {
  private readonly grants = new Map<string, { scopes: readonly string[]; expiresAt: number; revoked: boolean }>();

  issue(scopes: readonly string[], ttlSeconds: number): string {
    const token = `fake-access-${randomBytes(24).toString("base64url")}`;
    this.grants.set(token, { scopes, expiresAt: Date.now() + ttlSeconds * 1000, revoked: false });
    return token;
  }

  /** The scopes of a live Bearer token, or null. */
  scopesOf(authorization: string | undefined): readonly string[] | null {
    const token = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
    const grant = token ? this.grants.get(token) : undefined;
    return grant && !grant.revoked && grant.expiresAt > Date.now() ? grant.scopes : null;
  }

  /** Jira stops accepting every token issued so far (e.g. the person changed their password). */
  revokeAll(): void {
    for (const grant of this.grants.values()) grant.revoked = true;
  }

  get issued(): string[] {
    return [...this.grants.keys()];
  }
}

export interface FakeSite {
  cloudId: string;
  name: string;
  url: string;
  /** Where the gateway (`/ex/jira/<cloudId>/…`) forwards this site's Jira requests. */
  jiraUrl?: string;
}

export interface FakeAtlassianOptions {
  tokens: AtlassianTokens;
  clientId: string;
  clientSecret: string;
  sites: FakeSite[];
  /** `expires_in` of issued access tokens; 3600 as Atlassian's. */
  accessTokenSeconds?: number;
}

export interface FakeAtlassian {
  url: string;
  requests: RecordedRequest[];
  /** Every refresh token issued, spent or not. */
  refreshTokensIssued: string[];
  /** The consent screen's answer: approve (a code) or decline (error=access_denied). */
  setConsent(answer: "approve" | "decline"): void;
  setAccessTokenSeconds(seconds: number): void;
  setFault(fault: FaultInjector | null): void;
  close(): Promise<void>;
}

interface IssuedCode {
  redirectUri: string;
  scopes: string[];
  codeChallenge: string;
  used: boolean;
}

const invalidGrant = (description: string): FakeReply => ({ status: 403, body: { error: "invalid_grant", error_description: description } });

/**
 * Atlassian's identity platform as TwinFlow meets it, in one local server: auth.atlassian.com's
 * `/authorize` (answers at once as the consent screen would) and `/oauth/token` (authorization
 * code with PKCE, refresh token with rotation), and api.atlassian.com's accessible resources and
 * `/ex/jira/<cloudId>` gateway. Every request is recorded.
 */
export async function startFakeAtlassian(options: FakeAtlassianOptions): Promise<FakeAtlassian> {
  const requests: RecordedRequest[] = [];
  const codes = new Map<string, IssuedCode>();
  /** Refresh token → its grant's scopes, while it may still be spent. */
  const liveRefreshTokens = new Map<string, string[]>();
  const refreshTokensIssued: string[] = [];
  let consent: "approve" | "decline" = "approve";
  let accessTokenSeconds = options.accessTokenSeconds ?? 3600;
  let fault: FaultInjector | null = null;

  const issueTokens = (scopes: string[]): FakeReply => {
    const refreshToken = scopes.includes("offline_access") ? `fake-refresh-${randomBytes(24).toString("base64url")}` : undefined;
    if (refreshToken) {
      liveRefreshTokens.set(refreshToken, scopes);
      refreshTokensIssued.push(refreshToken);
    }
    const body = { access_token: options.tokens.issue(scopes, accessTokenSeconds), expires_in: accessTokenSeconds, token_type: "Bearer", scope: scopes.join(" "), refresh_token: refreshToken };
    return { status: 200, body };
  };

  const authorize = (query: Record<string, string>): FakeReply => {
    const { client_id, redirect_uri, state, response_type, audience, scope, code_challenge, code_challenge_method } = query;
    if (client_id !== options.clientId || !redirect_uri || response_type !== "code" || audience !== "api.atlassian.com" || !scope || !state) {
      return { status: 400, body: { error: "invalid_request" } };
    }
    if (!code_challenge || code_challenge_method !== "S256") return { status: 400, body: { error: "invalid_request", error_description: "PKCE S256 expected" } };
    const back = new URL(redirect_uri);
    if (consent === "decline") {
      back.search = new URLSearchParams({ error: "access_denied", error_description: "The user declined", state }).toString();
    } else {
      const code = `fake-code-${randomBytes(16).toString("base64url")}`;
      codes.set(code, { redirectUri: redirect_uri, scopes: scope.split(" "), codeChallenge: code_challenge, used: false });
      back.search = new URLSearchParams({ code, state }).toString();
    }
    return { status: 302, headers: { location: back.toString() } };
  };

  const token = (body: Record<string, unknown>): FakeReply => {
    if (body.client_id !== options.clientId || body.client_secret !== options.clientSecret) return { status: 401, body: { error: "access_denied", error_description: "Unauthorized" } };
    if (body.grant_type === "authorization_code") {
      const issued = codes.get(String(body.code));
      if (!issued || issued.used) return invalidGrant("Invalid authorization code");
      issued.used = true;
      if (body.redirect_uri !== issued.redirectUri) return invalidGrant("redirect_uri does not match");
      const verifier = typeof body.code_verifier === "string" ? body.code_verifier : "";
      if (createHash("sha256").update(verifier).digest("base64url") !== issued.codeChallenge) return invalidGrant("PKCE verification failed");
      return issueTokens(issued.scopes);
    }
    if (body.grant_type === "refresh_token") {
      const refreshToken = String(body.refresh_token);
      const scopes = liveRefreshTokens.get(refreshToken);
      if (!scopes) return invalidGrant("Unknown or invalid refresh token.");
      // Rotation: the token just spent is dead from now on.
      liveRefreshTokens.delete(refreshToken);
      return issueTokens(scopes);
    }
    return { status: 400, body: { error: "unsupported_grant_type" } };
  };

  const accessibleResources = (request: RecordedRequest): FakeReply => {
    const scopes = options.tokens.scopesOf(request.headers.authorization);
    if (!scopes) return { status: 401, body: { code: 401, message: "Unauthorized" } };
    const siteScopes = scopes.filter((scope) => scope !== "offline_access");
    return { status: 200, body: options.sites.map((site) => ({ id: site.cloudId, name: site.name, url: site.url, scopes: siteScopes, avatarUrl: `${site.url}/avatar.png` })) };
  };

  const server = createServer((incoming, response) => {
    void (async () => {
      const { request, raw } = await readRequest(incoming);
      requests.push(request);
      const injected = fault?.(request);
      if (injected) return send(response, injected);
      const gateway = /^\/ex\/jira\/([^/]+)(\/.*)$/.exec(request.path);
      if (gateway) return forward(response, incoming, raw, options.sites.find((site) => site.cloudId === gateway[1])?.jiraUrl, gateway[2]!);
      const route = `${request.method} ${request.path}`;
      if (route === "GET /authorize") return send(response, authorize(request.query));
      if (route === "POST /oauth/token") return send(response, token((request.body ?? {}) as Record<string, unknown>));
      if (route === "GET /oauth/token/accessible-resources") return send(response, accessibleResources(request));
      send(response, { status: 404, body: { error: `No ${route} here` } });
    })().catch((err: unknown) => send(response, { status: 500, body: { error: String(err) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refreshTokensIssued,
    setConsent(answer) {
      consent = answer;
    },
    setAccessTokenSeconds(seconds) {
      accessTokenSeconds = seconds;
    },
    setFault(next) {
      fault = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function readRequest(incoming: IncomingMessage): Promise<{ request: RecordedRequest; raw: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  const url = new URL(incoming.url ?? "/", "http://fake.invalid");
  const form = (incoming.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
  const body = raw === "" ? undefined : form ? Object.fromEntries(new URLSearchParams(raw)) : (JSON.parse(raw) as unknown);
  return { request: { method: incoming.method ?? "GET", path: url.pathname, query: Object.fromEntries(url.searchParams), body, headers: incoming.headers }, raw };
}

/** The gateway: the request as it came, to the site's Jira, and Jira's answer back. */
async function forward(response: ServerResponse, incoming: IncomingMessage, raw: string, jiraUrl: string | undefined, path: string): Promise<void> {
  if (!jiraUrl) return send(response, { status: 404, body: { message: "No such site" } });
  const target = new URL(path, jiraUrl);
  target.search = new URL(incoming.url ?? "/", "http://fake.invalid").search;
  const headers = Object.fromEntries(["authorization", "content-type", "accept"].flatMap((name) => (incoming.headers[name] ? [[name, String(incoming.headers[name])]] : [])));
  const answer = await fetch(target, { method: incoming.method, headers, body: raw === "" ? undefined : raw });
  response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
  response.end(await answer.text());
}

function send(response: ServerResponse, reply: FakeReply): void {
  response.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
  response.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
}
