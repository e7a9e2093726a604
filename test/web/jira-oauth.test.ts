import { createHash, randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openCredentials } from "../../app/src/connectors/credentials.js";
import { Vault } from "../../app/src/platform/vault.js";
import type { ScanWorkers } from "../../app/src/scans/queue.js";
import { AtlassianTokens, startFakeAtlassian, type FakeAtlassian, type FakeSite } from "../fakes/atlassian-auth.js";
import { startFakeJira, type FakeJira } from "../fakes/jira.js";
import { atlassianEnv, consentWithAtlassian, OAUTH_CLIENT, startRenewingWorkers, untilScansSettle } from "../support/atlassian.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import type { LogCapture } from "../support/web.js";
import { Browser, invite, joinAsNewMember, signUp, startTestWeb, type TestWeb } from "../support/web.js";

const ACME: FakeSite = { cloudId: "11111111-2222-3333-4444-555555555555", name: "Acme", url: "https://acme.atlassian.net" };
const GLOBEX: FakeSite = { cloudId: "99999999-8888-7777-6666-555555555555", name: "Globex", url: "https://globex.atlassian.net" };

let db: TestDatabase;
let web: TestWeb;
let tokens: AtlassianTokens;
let jira: FakeJira;
let atlassian: FakeAtlassian;
let sites: FakeSite[];
let workers: ScanWorkers;
let workerLogs: LogCapture;
let vault: Vault;

beforeAll(async () => {
  db = await createTestDatabase();
  tokens = new AtlassianTokens();
  jira = await startFakeJira({ auth: { tokens } });
  sites = [{ ...ACME, jiraUrl: jira.url }];
  atlassian = await startFakeAtlassian({ tokens, ...OAUTH_CLIENT, sites });
  web = await startTestWeb(db, atlassianEnv(atlassian));
  vault = Vault.fromSpec(web.config.vaultKeys);
  ({ workers, logs: workerLogs } = startRenewingWorkers(web, db));
});

afterAll(async () => {
  await workers.close();
  await web.close();
  await Promise.all([jira.close(), atlassian.close()]);
  await db.drop();
});

afterEach(() => {
  sites.splice(1);
  atlassian.setConsent("approve");
  atlassian.setAccessTokenSeconds(3600);
  atlassian.setFault(null);
});

const tokenCalls = (grantType: string) =>
  atlassian.requests.filter((request) => request.path === "/oauth/token" && (request.body as { grant_type?: string }).grant_type === grantType);

async function connectionsOf(tenantName: string) {
  const { rows } = await db.owner.query<{ id: string; status: string; config: Record<string, unknown>; credentials: string | null; tenant_id: string }>(
    "SELECT c.id, c.status, c.config, c.credentials, c.tenant_id FROM connections c JOIN tenants t ON t.id = c.tenant_id WHERE t.name = $1 ORDER BY c.created_at",
    [tenantName],
  );
  return rows;
}

const storedCredentials = (row: { id: string; tenant_id: string; credentials: string | null }) =>
  openCredentials(vault, { tenantId: row.tenant_id, connectionId: row.id }, row.credentials);

async function ownerOf(tenantName: string): Promise<Browser> {
  return signUp(web, { email: `${randomUUID()}@example.com`, tenantName });
}

describe("connecting Jira with Atlassian sign-in", () => {
  it("asks for read scopes with PKCE, stores the tokens encrypted, scans with them, and logs no code, state or token", async () => {
    const owner = await ownerOf("OAuth One");
    const consent = await consentWithAtlassian(owner);
    const query = consent.authorize.searchParams;
    expect(Object.fromEntries(query)).toMatchObject({
      audience: "api.atlassian.com",
      client_id: OAUTH_CLIENT.clientId,
      scope: "read:jira-work read:jira-user offline_access",
      redirect_uri: `${web.config.publicUrl}/connections/jira/callback`,
      response_type: "code",
      prompt: "consent",
      code_challenge_method: "S256",
    });
    const state = query.get("state")!;
    const code = new URLSearchParams(consent.callback.split("?")[1]).get("code")!;
    const ttl = await web.redis.ttl(`jira-oauth:state:${createHash("sha256").update(state).digest("hex")}`);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);

    const back = await owner.get(consent.callback);
    expect(back.status).toBe(302);
    expect(back.location).toMatch(/^\/connections\/[0-9a-f-]{36}$/);
    expect(back.headers.get("referrer-policy")).toBe("no-referrer");
    // Browsers hold a form's redirects to form-action: the sign-in form may lead to Atlassian, and only there.
    expect(back.headers.get("content-security-policy")).toContain(`form-action 'self' ${atlassian.url};`);

    // The fake checked the verifier against the challenge; it is the one TwinFlow kept.
    const [exchange] = tokenCalls("authorization_code");
    const verifier = (exchange!.body as { code_verifier: string }).code_verifier;
    expect(createHash("sha256").update(verifier).digest("base64url")).toBe(query.get("code_challenge"));

    const [row] = await connectionsOf("OAuth One");
    expect(row!.config).toEqual({ projects: ["EE", "K5"], timeZone: "UTC", apiBaseUrl: `${atlassian.url}/ex/jira/${ACME.cloudId}`, siteUrl: ACME.url });
    const secrets = [...tokens.issued, ...atlassian.refreshTokensIssued];
    for (const secret of secrets) expect(row!.credentials).not.toContain(secret);
    const credentials = storedCredentials(row!);
    expect(credentials).toEqual({
      kind: "oauth",
      accessToken: expect.stringMatching(/^fake-access-/),
      refreshToken: expect.stringMatching(/^fake-refresh-/),
      expiresAt: expect.any(String),
      cloudId: ACME.cloudId,
      scopes: "read:jira-work read:jira-user offline_access",
    });

    const page = await untilScansSettle(owner, back.location!);
    expect(page).toMatch(/<td>succeeded<\/td>/);
    const scanned = jira.requests.filter((request) => request.path === "/rest/api/3/search/jql");
    expect(scanned.length).toBeGreaterThan(0);
    expect(scanned.every((request) => request.headers.authorization === `Bearer ${credentials.accessToken}`)).toBe(true);
    // An hour-long token is not renewed.
    expect(tokenCalls("refresh_token")).toHaveLength(0);

    const logged = web.logs.text + workerLogs.text;
    for (const secret of [code, state, verifier, ...secrets, OAUTH_CLIENT.clientSecret]) expect(logged).not.toContain(secret);
  });

  it("asks for write:jira-work only when create ticket is enabled", async () => {
    const owner = await ownerOf("OAuth Write");
    const consent = await consentWithAtlassian(owner, { enableCreateTicket: "yes" });
    expect(consent.authorize.searchParams.get("scope")).toBe("read:jira-work read:jira-user offline_access write:jira-work");
    expect((await owner.get(consent.callback)).status).toBe(302);
    const [row] = await connectionsOf("OAuth Write");
    expect(storedCredentials(row!).scopes).toContain("write:jira-work");
  });

  it("takes a state once, and only from the person of the tenant who started it", async () => {
    const owner = await ownerOf("OAuth State");
    const stranger = await ownerOf("OAuth Stranger");
    const first = await consentWithAtlassian(owner);
    expect((await owner.get(first.callback)).status).toBe(302);
    const reused = await owner.get(first.callback);
    expect(reused.status).toBe(400);
    expect(reused.body).toContain("expired or was already used");

    const second = await consentWithAtlassian(owner);
    const exchangesBefore = tokenCalls("authorization_code").length;
    const hijacked = await stranger.get(second.callback);
    expect(hijacked.status).toBe(400);
    expect(hijacked.body).toContain("expired or was already used");
    expect((await owner.get(second.callback)).status).toBe(400);
    expect(tokenCalls("authorization_code")).toHaveLength(exchangesBefore);

    const unknown = await owner.get(`/connections/jira/callback?code=c&state=${"x".repeat(43)}`);
    expect(unknown.status).toBe(400);
    expect(await connectionsOf("OAuth State")).toHaveLength(1);
    expect(await connectionsOf("OAuth Stranger")).toHaveLength(0);
  });

  it("shows a clear page and stores nothing when access is declined or the code exchange fails", async () => {
    const owner = await ownerOf("OAuth Refused");
    atlassian.setConsent("decline");
    const declined = await owner.get((await consentWithAtlassian(owner)).callback);
    expect(declined.status).toBe(400);
    expect(declined.body).toContain("Access was declined in Atlassian");

    atlassian.setConsent("approve");
    atlassian.setFault((request) =>
      request.path === "/oauth/token" ? { status: 403, body: { error: "invalid_grant", error_description: "Invalid authorization code" } } : undefined,
    );
    const consent = await consentWithAtlassian(owner);
    const failed = await owner.get(consent.callback);
    expect(failed.status).toBe(400);
    expect(failed.body).toContain("Atlassian did not complete the sign-in");
    expect(await connectionsOf("OAuth Refused")).toHaveLength(0);
    const code = new URLSearchParams(consent.callback.split("?")[1]).get("code")!;
    expect(web.logs.text).not.toContain(code);
  });

  it("offers a choice when the sign-in reaches several sites; the tokens wait encrypted in Redis, never in the page", async () => {
    sites.push({ ...GLOBEX, jiraUrl: jira.url });
    const owner = await ownerOf("OAuth Sites");
    const picker = await owner.get((await consentWithAtlassian(owner)).callback);
    expect(picker.status).toBe(200);
    expect(picker.body).toContain("Choose a Jira site");
    expect(picker.body).toContain(`value="${ACME.cloudId}"`);
    expect(picker.body).toContain(`value="${GLOBEX.cloudId}"`);
    const pickId = /name="pick" value="([^"]+)"/.exec(picker.body)![1]!;
    const waiting = (await web.redis.get(`jira-oauth:pick:${pickId}`))!;
    const secrets = [...tokens.issued, ...atlassian.refreshTokensIssued];
    for (const secret of secrets) {
      expect(picker.body).not.toContain(secret);
      expect(waiting).not.toContain(secret);
    }
    expect(await connectionsOf("OAuth Sites")).toHaveLength(0);

    const picked = await owner.post("/connections/jira/site", { pick: pickId, cloudId: GLOBEX.cloudId });
    expect(picked.status).toBe(302);
    const [row] = await connectionsOf("OAuth Sites");
    expect(storedCredentials(row!).cloudId).toBe(GLOBEX.cloudId);
    expect(row!.config.apiBaseUrl).toBe(`${atlassian.url}/ex/jira/${GLOBEX.cloudId}`);
    expect((await owner.post("/connections/jira/site", { pick: pickId, cloudId: ACME.cloudId })).status).toBe(400);
    expect(await connectionsOf("OAuth Sites")).toHaveLength(1);
  });

  it("refuses forged forms and members: only owners and admins connect tools", async () => {
    const owner = await ownerOf("OAuth Admins");
    await owner.get("/connections");
    const forged = await owner.post("/connections/jira/authorize", { projects: "EE", _csrf: "forged" });
    expect(forged.status).toBe(403);
    expect(forged.location).toBeNull();

    const member = await joinAsNewMember(web, await invite(owner, `${randomUUID()}@example.com`), "Plain");
    const page = await member.get("/connections");
    expect(page.body).not.toContain("Sign in with Atlassian");
    const refused = await member.post("/connections/jira/authorize", { projects: "EE" });
    expect(refused.status).toBe(403);
    expect(refused.location).toBeNull();
    expect(await connectionsOf("OAuth Admins")).toHaveLength(0);
  });
});

describe("renewing Jira OAuth tokens", () => {
  it("renews an access token about to expire once before the scan, stores the rotated refresh token, and the scan succeeds", async () => {
    atlassian.setAccessTokenSeconds(60);
    const owner = await ownerOf("Renew Soon");
    const refreshesBefore = tokenCalls("refresh_token").length;
    const [accessBefore, refreshBefore] = [tokens.issued.length, atlassian.refreshTokensIssued.length];
    const path = (await owner.get((await consentWithAtlassian(owner)).callback)).location!;
    // What the sign-in issued (the scan may already have replaced it in the database).
    const issued = { accessToken: tokens.issued[accessBefore], refreshToken: atlassian.refreshTokensIssued[refreshBefore] };
    const page = await untilScansSettle(owner, path);
    expect(page).toMatch(/<td>succeeded<\/td>/);

    const refreshes = tokenCalls("refresh_token").slice(refreshesBefore);
    expect(refreshes).toHaveLength(1);
    expect((refreshes[0]!.body as { refresh_token: string }).refresh_token).toBe(issued.refreshToken);
    const [row] = await connectionsOf("Renew Soon");
    const renewed = storedCredentials(row!);
    expect(renewed.refreshToken).toBe(atlassian.refreshTokensIssued.at(-1));
    expect(renewed.refreshToken).not.toBe(issued.refreshToken);
    const searches = jira.requests.filter((request) => request.path === "/rest/api/3/search/jql" && request.headers.authorization === `Bearer ${renewed.accessToken}`);
    expect(searches.length).toBeGreaterThan(0);
    expect(jira.requests.some((request) => request.headers.authorization === `Bearer ${issued.accessToken}`)).toBe(false);
  });

  it("renews after a 401 and repeats the request once", async () => {
    const owner = await ownerOf("Renew Refused");
    const path = (await owner.get((await consentWithAtlassian(owner)).callback)).location!;
    await untilScansSettle(owner, path);
    const refreshesBefore = tokenCalls("refresh_token").length;
    tokens.revokeAll();
    await owner.get(path);
    expect((await owner.post(`${path}/scan`, {})).status).toBe(302);
    const page = await untilScansSettle(owner, path);
    expect(page.match(/<td>succeeded<\/td>/g)).toHaveLength(2);
    expect(tokenCalls("refresh_token").slice(refreshesBefore)).toHaveLength(1);
  });

  it("fails the scan and asks for reconnect when Atlassian refuses the refresh token (invalid_grant)", async () => {
    atlassian.setAccessTokenSeconds(60);
    const owner = await ownerOf("Renew Dead");
    const path = (await owner.get((await consentWithAtlassian(owner)).callback)).location!;
    await untilScansSettle(owner, path);
    const [row] = await connectionsOf("Renew Dead");
    // The stored refresh token is spent elsewhere (say, by a copy of this database), so it is dead here.
    const spent = await fetch(`${atlassian.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "refresh_token", refresh_token: storedCredentials(row!).refreshToken, client_id: OAUTH_CLIENT.clientId, client_secret: OAUTH_CLIENT.clientSecret }),
    });
    expect(spent.status).toBe(200);
    const jiraRequestsBefore = jira.requests.length;
    await owner.get(path);
    await owner.post(`${path}/scan`, {});
    await untilScansSettle(owner, path);
    expect(jira.requests).toHaveLength(jiraRequestsBefore);
    const { rows } = await db.owner.query<{ status: string; error_code: string }>(
      "SELECT status, error_code FROM scans WHERE connection_id = $1 ORDER BY queued_at DESC LIMIT 1",
      [row!.id],
    );
    expect(rows[0]).toEqual({ status: "failed", error_code: "needs_reconnect" });
    const [after] = await connectionsOf("Renew Dead");
    expect(after!.status).toBe("needs_reconnect");
  });
});
