import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AtlassianTokens, startFakeAtlassian, type FakeAtlassian } from "../../../test/fakes/atlassian-auth.js";
import { REDIS_URL } from "../../../test/support/services.js";
import { createRedis } from "../platform/redis.js";
import type { Credentials } from "./credentials.js";
import { describeFailure } from "./http/retry.js";
import { authorizeUrl, exchangeAuthorizationCode, jiraTokenRefresher, oauthCredentials, pkceChallenge, READ_SCOPES, type AtlassianOAuthClient } from "./jira/oauth.js";
import { renewCredentials, type CredentialRenewal } from "./token-renewal.js";

const log = pino({ level: "silent" });
const CLOUD_ID = "11111111-2222-3333-4444-555555555555";
const REDIRECT_URI = "http://127.0.0.1:3000/connections/jira/callback";
const prefix = `test:${randomBytes(6).toString("hex")}:`;
/** Two processes: each with its own Redis connection, sharing the keys. */
const redisA = createRedis({ url: REDIS_URL, log, keyPrefix: prefix });
const redisB = createRedis({ url: REDIS_URL, log, keyPrefix: prefix });

let atlassian: FakeAtlassian;
let client: AtlassianOAuthClient;

beforeAll(async () => {
  atlassian = await startFakeAtlassian({ tokens: new AtlassianTokens(), clientId: "client-1", clientSecret: "secret-1", sites: [] });
  client = { clientId: "client-1", clientSecret: "secret-1", authUrl: atlassian.url, apiUrl: atlassian.url };
});

afterAll(async () => {
  await atlassian.close();
  await Promise.all([redisA.quit(), redisB.quit()]);
});

beforeEach(() => {
  atlassian.requests.length = 0;
});

/** Credentials as a completed sign-in leaves them, through the fake's consent screen. */
async function signedIn(): Promise<Credentials> {
  const verifier = randomBytes(32).toString("base64url");
  const consent = await fetch(authorizeUrl(client, { redirectUri: REDIRECT_URI, state: "s", codeChallenge: pkceChallenge(verifier), scopes: READ_SCOPES }), { redirect: "manual" });
  const code = new URL(consent.headers.get("location")!).searchParams.get("code")!;
  const grant = await exchangeAuthorizationCode(client, { code, verifier, redirectUri: REDIRECT_URI }, log);
  atlassian.requests.length = 0;
  return oauthCredentials(grant, CLOUD_ID);
}

/** A connection's stored credentials, kept in memory; saving takes a while, as a database write does. */
function storedAs(initial: Credentials) {
  const store = { credentials: initial, saves: 0 };
  const renewal = (redis: typeof redisA, connectionId: string): CredentialRenewal => ({
    redis,
    refresher: jiraTokenRefresher(client, log),
    connectionId,
    load: async () => store.credentials,
    save: async (next) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      store.credentials = next;
      store.saves += 1;
    },
  });
  return { store, renewal };
}

const expiringSoon = (credentials: Credentials): Credentials => ({ ...credentials, expiresAt: new Date(Date.now() + 60_000).toISOString() });
const refreshCalls = () => atlassian.requests.filter((request) => request.path === "/oauth/token" && (request.body as { grant_type?: string }).grant_type === "refresh_token");

describe("credential renewal with rotating refresh tokens", () => {
  it("refreshes an expiring token once when two processes ask at the same moment, and stores the rotated refresh token", async () => {
    const stale = expiringSoon(await signedIn());
    const { store, renewal } = storedAs(stale);
    const connectionId = randomBytes(8).toString("hex");
    const [first, second] = await Promise.all([
      renewCredentials(renewal(redisA, connectionId), stale, "expiring"),
      renewCredentials(renewal(redisB, connectionId), stale, "expiring"),
    ]);
    expect(refreshCalls()).toHaveLength(1);
    expect(store.saves).toBe(1);
    expect(first).toEqual(second);
    expect(store.credentials).toEqual(first);
    expect(first.refreshToken).not.toBe(stale.refreshToken);
    expect(first.accessToken).not.toBe(stale.accessToken);
    expect(new Date(first.expiresAt!).getTime()).toBeGreaterThan(Date.now() + 3_000_000);
    expect(first).toMatchObject({ kind: "oauth", cloudId: CLOUD_ID, scopes: READ_SCOPES.join(" ") });
    // Rotation: the refresh token spent is dead.
    const reused = await renewCredentials(storedAs(stale).renewal(redisA, randomBytes(8).toString("hex")), stale, "expiring").catch((err: unknown) => err);
    expect(describeFailure(reused).code).toBe("needs_reconnect");
  });

  it("leaves a token that is not about to expire alone: no lock, no request", async () => {
    const fresh = await signedIn();
    const { store, renewal } = storedAs(fresh);
    expect(await renewCredentials(renewal(redisA, "fresh"), fresh, "expiring")).toBe(fresh);
    expect(refreshCalls()).toHaveLength(0);
    expect(store.saves).toBe(0);
  });

  it("after a 401, takes the credentials another process already renewed instead of spending the refresh token again", async () => {
    const mine = expiringSoon(await signedIn());
    const { store, renewal } = storedAs(mine);
    const renewedElsewhere = await renewCredentials(renewal(redisB, "elsewhere"), mine, "expiring");
    atlassian.requests.length = 0;
    expect(await renewCredentials(renewal(redisA, "elsewhere"), mine, "rejected")).toEqual(renewedElsewhere);
    expect(refreshCalls()).toHaveLength(0);
    // Refused again with nothing newer stored: renewed.
    const again = await renewCredentials(renewal(redisA, "elsewhere"), store.credentials, "rejected");
    expect(refreshCalls()).toHaveLength(1);
    expect(again.accessToken).not.toBe(renewedElsewhere.accessToken);
  });

  it("reports a refresh token Atlassian no longer accepts (invalid_grant) as needs_reconnect, storing nothing", async () => {
    const stale = expiringSoon(await signedIn());
    await renewCredentials(storedAs(stale).renewal(redisA, "spent"), stale, "expiring");
    const { store, renewal } = storedAs(stale);
    const failure = await renewCredentials(renewal(redisA, "spent"), stale, "expiring").catch((err: unknown) => err);
    expect(describeFailure(failure)).toMatchObject({ code: "needs_reconnect" });
    expect(store.saves).toBe(0);
  });

  it("has nothing to renew for API-token credentials", async () => {
    const apiToken = { kind: "api_token", email: "a@example.com", token: "t", site: "acme" };
    const { renewal } = storedAs(apiToken);
    expect(await renewCredentials(renewal(redisA, "api"), apiToken, "rejected")).toBe(apiToken);
    expect(refreshCalls()).toHaveLength(0);
  });
});
