import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64url, SignJWT } from "jose";
import { startJwksServer, type JwksServer } from "../../../test/support/jwks-server.js";
import { AuthError, type AuthFailureReason } from "./auth-error.js";
import { signSessionToken, verifySessionToken, type SessionClaims } from "./session-token.js";

const ISSUER = "https://twinflow.acme.test";
const key = new Uint8Array(randomBytes(32));
const session: SessionClaims = { sessionId: randomUUID(), userId: randomUUID(), tenantId: randomUUID() };
const nowSeconds = () => Math.floor(Date.now() / 1000);

function signed(options: { maxAgeSeconds?: number; now?: Date } = {}): Promise<string> {
  return signSessionToken(session, key, { issuer: ISSUER, maxAgeSeconds: 3600, ...options });
}

async function expectRejection(promise: Promise<unknown>, reason: AuthFailureReason): Promise<void> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(AuthError);
  expect((error as AuthError).reason).toBe(reason);
}

/** Registered claims a valid session token carries, for hand-built tokens. */
function sessionPayload() {
  return { sid: session.sessionId, sub: session.userId, tid: session.tenantId, iss: ISSUER, aud: "twinflow-session" };
}

describe("session tokens", () => {
  it("round-trips the session claims", async () => {
    await expect(verifySessionToken(await signed(), key, { issuer: ISSUER })).resolves.toEqual(session);
  });

  it("rejects a token signed with another key", async () => {
    const otherKey = new Uint8Array(randomBytes(32));
    await expectRejection(verifySessionToken(await signed(), otherKey, { issuer: ISSUER }), "bad_signature");
  });

  it("rejects an expired token", async () => {
    const token = await signed({ maxAgeSeconds: 60, now: new Date(Date.now() - 3_600_000) });
    await expectRejection(verifySessionToken(token, key, { issuer: ISSUER }), "expired");
  });

  it("rejects a token from another instance's issuer", async () => {
    await expectRejection(
      verifySessionToken(await signed(), key, { issuer: "https://twinflow.other.test" }),
      "wrong_issuer",
    );
  });

  it("rejects a token for another audience signed with the same key", async () => {
    const token = await new SignJWT({ ...sessionPayload(), aud: "twinflow-invite" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(key);
    await expectRejection(verifySessionToken(token, key, { issuer: ISSUER }), "wrong_audience");
  });

  it("rejects an unsecured alg:none token", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
    const payload = base64url.encode(JSON.stringify({ ...sessionPayload(), iat: nowSeconds(), exp: nowSeconds() + 300 }));
    await expectRejection(verifySessionToken(`${header}.${payload}.`, key, { issuer: ISSUER }), "algorithm_not_allowed");
  });

  describe("with the OIDC issuer's RSA key", () => {
    let oidc: JwksServer;
    beforeAll(async () => {
      oidc = await startJwksServer();
    });
    afterAll(() => oidc.close());

    it("rejects a session-shaped token it signed", async () => {
      const token = await oidc.signer()({ ...sessionPayload() });
      await expectRejection(verifySessionToken(token, key, { issuer: ISSUER }), "algorithm_not_allowed");
    });
  });

  it.each([
    ["sid", { sid: "session-1" }],
    ["sub", { sub: "user_2abc" }],
    ["tid", { tid: 42 }],
  ])("rejects a validly signed token whose %s is not a UUID", async (_claim, override) => {
    const token = await new SignJWT({ ...sessionPayload(), ...override })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(key);
    await expectRejection(verifySessionToken(token, key, { issuer: ISSUER }), "malformed");
  });

  it("refuses to sign claims that are not UUIDs", async () => {
    await expect(
      signSessionToken({ ...session, tenantId: "acme" }, key, { issuer: ISSUER, maxAgeSeconds: 60 }),
    ).rejects.toThrow(TypeError);
  });

  it("rejects a signing key shorter than 32 bytes for signing and verifying", async () => {
    const shortKey = new Uint8Array(randomBytes(31));
    await expect(
      signSessionToken(session, shortKey, { issuer: ISSUER, maxAgeSeconds: 60 }),
    ).rejects.toThrow(RangeError);
    const tokenUnderShortKey = await new SignJWT(sessionPayload())
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(shortKey);
    await expect(verifySessionToken(tokenUnderShortKey, shortKey, { issuer: ISSUER })).rejects.toThrow(RangeError);
  });

  it("rejects an empty token as missing_token", async () => {
    await expectRejection(verifySessionToken("", key, { issuer: ISSUER }), "missing_token");
  });
});
