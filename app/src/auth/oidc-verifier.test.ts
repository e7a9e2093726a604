import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64url, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";
import { JWKS_PATH, startJwksServer, type JwksServer } from "../../../test/support/jwks-server.js";
import { AuthError, type AuthFailureReason } from "./auth-error.js";
import { createOidcVerifier, type OidcSettings } from "./oidc-verifier.js";

const AUDIENCE = "twinflow-api";
const FRONTEND = "https://app.twinflow.test";

let issuer: JwksServer;
beforeAll(async () => {
  issuer = await startJwksServer();
});
afterAll(() => issuer.close());

function settingsFor(server: JwksServer, overrides: Partial<OidcSettings> = {}): OidcSettings {
  return {
    issuer: server.issuer,
    jwksUrl: server.jwksUrl,
    audience: AUDIENCE,
    authorizedParties: [FRONTEND],
    algorithms: ["RS256"],
    tenantClaim: "org_id",
    roleClaim: "org_role",
    jwksCooldownMs: 0,
    ...overrides,
  };
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    sub: "user_2abc",
    aud: AUDIENCE,
    azp: FRONTEND,
    org_id: "org_acme",
    org_role: "org:admin",
    email: "ada@acme.test",
    ...overrides,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function expectRejection(promise: Promise<unknown>, reason: AuthFailureReason): Promise<AuthError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(AuthError);
  expect((error as AuthError).reason).toBe(reason);
  return error as AuthError;
}

async function publishedJwk(server: JwksServer): Promise<JWK> {
  const response = await fetch(server.jwksUrl);
  const { keys } = (await response.json()) as { keys: JWK[] };
  const [jwk] = keys;
  if (!jwk) throw new Error("the JWKS server published no key");
  return jwk;
}

function jwksFetches(server: JwksServer): number {
  return server.requests.filter((path) => path === JWKS_PATH).length;
}

describe("createOidcVerifier settings", () => {
  it("requires an audience or authorized parties", () => {
    expect(() => createOidcVerifier(settingsFor(issuer, { audience: undefined, authorizedParties: undefined }))).toThrow(
      /audience or authorizedParties/,
    );
    expect(() => createOidcVerifier(settingsFor(issuer, { audience: undefined, authorizedParties: [] }))).toThrow(
      /audience or authorizedParties/,
    );
  });

  it.each([["none"], ["HS256"], ["hs512"]])("refuses the %s algorithm", (alg) => {
    expect(() => createOidcVerifier(settingsFor(issuer, { algorithms: ["RS256", alg] }))).toThrow(/asymmetric/);
  });

  it("refuses an empty algorithm allowlist", () => {
    expect(() => createOidcVerifier(settingsFor(issuer, { algorithms: [] }))).toThrow(/at least one/);
  });
});

describe("OIDC verify", () => {
  it("accepts a valid token and maps subject, tenant, role and email", async () => {
    const token = await issuer.signer()(claims());
    await expect(createOidcVerifier(settingsFor(issuer)).verify(token)).resolves.toEqual({
      subject: "user_2abc",
      tenantKey: "org_acme",
      role: "admin",
      email: "ada@acme.test",
    });
  });

  it("maps any other role, or no role, to member", async () => {
    const verifier = createOidcVerifier(settingsFor(issuer));
    const basicMember = await issuer.signer()(claims({ org_role: "org:member" }));
    const noRole = await issuer.signer()(claims({ org_role: undefined, email: undefined }));
    await expect(verifier.verify(basicMember)).resolves.toMatchObject({ role: "member" });
    await expect(verifier.verify(noRole)).resolves.toMatchObject({ role: "member", email: null });
  });

  it("reads nested Clerk v2 claims such as o.id and o.rol", async () => {
    const verifier = createOidcVerifier(settingsFor(issuer, { tenantClaim: "o.id", roleClaim: "o.rol" }));
    const token = await issuer.signer()(claims({ org_id: undefined, org_role: undefined, o: { id: "org_v2", rol: "admin" } }));
    await expect(verifier.verify(token)).resolves.toMatchObject({ tenantKey: "org_v2", role: "admin" });
  });

  it("rejects an empty token as missing_token", async () => {
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(""), "missing_token");
  });

  it("rejects garbage as malformed", async () => {
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify("not.a.jwt"), "malformed");
  });

  it("rejects an expired token without putting the token in the message", async () => {
    const token = await issuer.signer()(claims(), { now: new Date(Date.now() - 3_600_000) });
    const error = await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "expired");
    expect(error.message).not.toContain(token);
  });

  it("rejects a token without exp", async () => {
    const token = await issuer.signer()(claims({ exp: undefined }));
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "missing_claim");
  });

  it("rejects a token whose nbf is beyond the clock tolerance, and accepts one within it", async () => {
    const verifier = createOidcVerifier(settingsFor(issuer, { clockToleranceSeconds: 5 }));
    const future = await issuer.signer()(claims({ nbf: nowSeconds() + 60 }));
    const withinTolerance = await issuer.signer()(claims({ nbf: nowSeconds() + 2 }));
    await expectRejection(verifier.verify(future), "not_yet_valid");
    await expect(verifier.verify(withinTolerance)).resolves.toMatchObject({ subject: "user_2abc" });
  });

  it("rejects a token from another issuer", async () => {
    const token = await issuer.signer()(claims({ iss: "https://clerk.other-app.test" }));
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "wrong_issuer");
  });

  it("rejects a token for another audience", async () => {
    const token = await issuer.signer()(claims({ aud: "another-api" }));
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "wrong_audience");
  });

  it("rejects a token whose azp is not an authorized party, or that has no azp", async () => {
    const verifier = createOidcVerifier(settingsFor(issuer, { audience: undefined }));
    const otherFrontend = await issuer.signer()(claims({ azp: "https://evil.test" }));
    const noAzp = await issuer.signer()(claims({ azp: undefined }));
    await expectRejection(verifier.verify(otherFrontend), "wrong_authorized_party");
    await expectRejection(verifier.verify(noAzp), "wrong_authorized_party");
  });

  it("rejects a token signed by a key the issuer never published", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const token = await new SignJWT(claims({ iss: issuer.issuer }))
      .setProtectedHeader({ alg: "RS256", kid: "never-published" })
      .setExpirationTime("5m")
      .sign(privateKey);
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "unknown_key");
  });

  it("rejects an unsecured alg:none token carrying a published kid", async () => {
    const { kid } = await publishedJwk(issuer);
    const header = base64url.encode(JSON.stringify({ alg: "none", kid, typ: "JWT" }));
    const payload = base64url.encode(JSON.stringify(claims({ iss: issuer.issuer, exp: nowSeconds() + 300 })));
    const token = `${header}.${payload}.`;
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "algorithm_not_allowed");
  });

  describe("rejects an HS256 token keyed with the issuer's public key", () => {
    async function hmacToken(secret: string, kid: string | undefined): Promise<string> {
      return new SignJWT(claims({ iss: issuer.issuer }))
        .setProtectedHeader({ alg: "HS256", kid })
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(secret));
    }

    it("as a PEM SPKI string", async () => {
      const jwk = await publishedJwk(issuer);
      const pem = await exportSPKI((await importJWK(jwk, "RS256")) as CryptoKey);
      const token = await hmacToken(pem, jwk.kid);
      const verifier = createOidcVerifier(settingsFor(issuer, { algorithms: ["RS256", "ES256"] }));
      await expectRejection(verifier.verify(token), "algorithm_not_allowed");
    });

    it("as a JWK JSON string", async () => {
      const jwk = await publishedJwk(issuer);
      const token = await hmacToken(JSON.stringify(jwk), jwk.kid);
      const verifier = createOidcVerifier(settingsFor(issuer, { algorithms: ["RS256", "ES256"] }));
      await expectRejection(verifier.verify(token), "algorithm_not_allowed");
    });
  });

  it("rejects a validly signed token whose payload was altered", async () => {
    const [header, payload, signature] = (await issuer.signer()(claims())).split(".");
    const altered = { ...(JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? ""))) as JWTPayload) };
    altered["org_id"] = "org_victim";
    const token = `${header}.${base64url.encode(JSON.stringify(altered))}.${signature}`;
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "bad_signature");
  });

  it.each([["RS384"], ["ES256"]])("rejects an %s token when only RS256 is allowed", async (alg) => {
    const { kid } = await publishedJwk(issuer);
    const { privateKey } = await generateKeyPair(alg);
    const token = await new SignJWT(claims({ iss: issuer.issuer }))
      .setProtectedHeader({ alg, kid })
      .setExpirationTime("5m")
      .sign(privateKey);
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "algorithm_not_allowed");
  });

  it("rejects a token without the tenant claim, telling the user to pick an organization", async () => {
    const token = await issuer.signer()(claims({ org_id: undefined }));
    const error = await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "missing_claim");
    expect(error.message).toMatch(/org_id.*pick an organization/);
  });

  it("rejects a token whose tenant claim is not a string", async () => {
    const token = await issuer.signer()(claims({ org_id: { id: "org_acme" } }));
    await expectRejection(createOidcVerifier(settingsFor(issuer)).verify(token), "missing_claim");
  });
});

describe("OIDC key rotation", () => {
  let rotating: JwksServer;
  beforeAll(async () => {
    rotating = await startJwksServer();
  });
  afterAll(() => rotating.close());

  it("refetches the JWKS on an unknown kid, accepts the new key and rejects the retired one", async () => {
    const verifier = createOidcVerifier(settingsFor(rotating));
    const retiredSigner = rotating.signer();
    await expect(verifier.verify(await retiredSigner(claims()))).resolves.toMatchObject({ tenantKey: "org_acme" });
    expect(jwksFetches(rotating)).toBe(1);

    const newKeyToken = await rotating.signer(await rotating.rotate())(claims());
    await expect(verifier.verify(newKeyToken)).resolves.toMatchObject({ tenantKey: "org_acme" });
    expect(jwksFetches(rotating)).toBe(2);

    await expectRejection(verifier.verify(await retiredSigner(claims())), "unknown_key");
  });
});

describe("OIDC JWKS outage", () => {
  it("reports jwks_unavailable when the JWKS server is down", async () => {
    const down = await startJwksServer();
    const token = await down.signer()(claims());
    await down.close();
    const error = await expectRejection(createOidcVerifier(settingsFor(down)).verify(token), "jwks_unavailable");
    expect(error.cause).toBeDefined();
  });
});
