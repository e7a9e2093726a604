import { base64url, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { startJwksServer, type JwksServer } from "../support/jwks-server.js";
import { errorOf, startTestWeb, type TestWeb } from "../support/web.js";

const AUDIENCE = "twinflow";
const FRONTEND = "https://app.example.test";

let db: TestDatabase;
let issuer: JwksServer;
let web: TestWeb;
let tenantQueries = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  issuer = await startJwksServer();
  web = await startTestWeb(db, {
    AUTH_MODE: "oidc",
    OIDC_ISSUER: issuer.issuer,
    OIDC_JWKS_URL: issuer.jwksUrl,
    OIDC_AUDIENCE: AUDIENCE,
    OIDC_AUTHORIZED_PARTIES: FRONTEND,
    OIDC_JWKS_COOLDOWN_SECONDS: "0",
  });
  // Every database access the app makes goes through the pool: count them.
  const query = web.pool.query.bind(web.pool);
  const connect = web.pool.connect.bind(web.pool);
  web.pool.query = ((...args: Parameters<typeof query>) => (tenantQueries++, query(...args))) as typeof web.pool.query;
  web.pool.connect = ((...args: Parameters<typeof connect>) => (tenantQueries++, connect(...args))) as typeof web.pool.connect;
});

afterAll(async () => {
  await web.close();
  await issuer.close();
  await db.drop();
});

beforeEach(() => {
  tenantQueries = 0;
});

const claims = (overrides: JWTPayload = {}): JWTPayload => ({
  sub: "user_ada",
  aud: AUDIENCE,
  azp: FRONTEND,
  org_id: "org_acme",
  org_role: "org:admin",
  ...overrides,
});

const callApi = (token: string) => fetch(`${web.url}/api/v1/connections`, { headers: { authorization: `Bearer ${token}` } });

async function expectRejectedBeforeAnyQuery(token: string): Promise<void> {
  const response = await callApi(token);
  expect(response.status).toBe(401);
  expect((await errorOf(response)).code).toBe("invalid_credentials");
  expect(tenantQueries).toBe(0);
}

describe("external OIDC tokens over HTTP", () => {
  it("accepts a valid token, maps the organization to a tenant and the person to a member", async () => {
    const response = await callApi(await issuer.signer()(claims()));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ connections: [] });
    const { rows } = await db.owner.query(
      "SELECT t.external_org_id, m.role FROM tenants t JOIN memberships m ON m.tenant_id = t.id JOIN users u ON u.id = m.user_id WHERE u.external_subject = 'user_ada'",
    );
    expect(rows).toEqual([{ external_org_id: "org_acme", role: "admin" }]);
  });

  it("keeps organizations apart: a member of one org cannot read another org's connection", async () => {
    await callApi(await issuer.signer()(claims({ org_id: "org_other", sub: "user_bob" })));
    const { rows } = await db.owner.query<{ id: string }>("SELECT id FROM tenants WHERE external_org_id = 'org_other'");
    const created = await db.owner.query<{ id: string }>("INSERT INTO connections (tenant_id, provider, label) VALUES ($1, 'demo', 'Other board') RETURNING id", [rows[0]!.id]);
    const token = await issuer.signer()(claims());
    const response = await fetch(`${web.url}/api/v1/connections/${created.rows[0]!.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(404);
  });

  it("offers no built-in sign-up or password sign-in", async () => {
    expect((await fetch(`${web.url}/sign-up`)).status).toBe(404);
    const post = await fetch(`${web.url}/sign-in`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "email=a@b.c&password=x" });
    expect([403, 404]).toContain(post.status);
  });

  it("accepts the token from Clerk's __session cookie too", async () => {
    const response = await fetch(`${web.url}/api/v1/connections`, { headers: { cookie: `__session=${await issuer.signer()(claims())}` } });
    expect(response.status).toBe(200);
  });

  it("refuses an expired token", async () => {
    const past = new Date(Date.now() - 3_600_000);
    await expectRejectedBeforeAnyQuery(await issuer.signer()(claims(), { now: past, lifetimeSeconds: 60 }));
  });

  it("refuses a token that is not valid yet", async () => {
    await expectRejectedBeforeAnyQuery(await issuer.signer()(claims({ nbf: Math.floor(Date.now() / 1000) + 600 })));
  });

  it("refuses a token from another issuer", async () => {
    await expectRejectedBeforeAnyQuery(await issuer.signer()(claims({ iss: "https://evil.example" })));
  });

  it("refuses a token for another audience", async () => {
    await expectRejectedBeforeAnyQuery(await issuer.signer()(claims({ aud: "someone-else" })));
  });

  it("refuses a token signed by a key the issuer never published", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: "never-published" }).setIssuer(issuer.issuer).setIssuedAt().setExpirationTime("5m").sign(privateKey);
    await expectRejectedBeforeAnyQuery(token);
  });

  it("refuses alg none", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
    const payload = base64url.encode(JSON.stringify({ ...claims(), iss: issuer.issuer, exp: Math.floor(Date.now() / 1000) + 300 }));
    await expectRejectedBeforeAnyQuery(`${header}.${payload}.`);
  });

  it("refuses an HS256 token whose secret is the issuer's public key", async () => {
    const jwks = (await (await fetch(issuer.jwksUrl)).json()) as { keys: { kid: string; n: string; e: string; kty: string }[] };
    const published = jwks.keys[0]!;
    const { createPublicKey } = await import("node:crypto");
    const spki = await exportSPKI(createPublicKey({ key: published, format: "jwk" }) as never);
    const token = await new SignJWT({ ...claims(), iss: issuer.issuer })
      .setProtectedHeader({ alg: "HS256", kid: published.kid })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(spki));
    await expectRejectedBeforeAnyQuery(token);
  });

  it("refuses a token whose payload was altered after signing", async () => {
    const [header, , signature] = (await issuer.signer()(claims())).split(".");
    const forged = base64url.encode(JSON.stringify({ ...claims({ org_id: "org_victim" }), iss: issuer.issuer, exp: Math.floor(Date.now() / 1000) + 300 }));
    await expectRejectedBeforeAnyQuery(`${header}.${forged}.${signature}`);
  });

  it("follows the issuer's key rotation: new keys work, retired keys stop working", async () => {
    const oldSigner = issuer.signer();
    const newKid = await issuer.rotate();
    const fresh = await callApi(await issuer.signer(newKid)(claims()));
    expect(fresh.status).toBe(200);
    expect(issuer.requests.filter((path) => path.endsWith("jwks.json")).length).toBeGreaterThanOrEqual(2);
    tenantQueries = 0;
    await expectRejectedBeforeAnyQuery(await oldSigner(claims()));
  });
});
