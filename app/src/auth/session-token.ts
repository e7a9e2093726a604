import { jwtVerify, SignJWT, type JWTPayload } from "jose";
import { AuthError, toAuthError } from "./auth-error.js";

/** Session JWT of the built-in issuer, signed with the instance's own session signing key. */
export interface SessionClaims {
  sessionId: string;
  userId: string;
  tenantId: string;
}

export interface SignSessionOptions {
  issuer: string;
  maxAgeSeconds: number;
  now?: Date;
}

export interface VerifySessionOptions {
  issuer: string;
}

const ALGORITHM = "HS256";
/** Keeps session tokens from being accepted anywhere another token of the same issuer is. */
const SESSION_AUDIENCE = "twinflow-session";
/** HS256 keys shorter than the hash output weaken the MAC (RFC 7518 §3.2). */
const MIN_KEY_BYTES = 32;
/** Instances of one deployment sign and verify each other's tokens; allow for small clock skew. */
const CLOCK_TOLERANCE_SECONDS = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function signSessionToken(
  claims: SessionClaims,
  key: Uint8Array,
  options: SignSessionOptions,
): Promise<string> {
  assertSigningKey(key);
  if (!isSessionClaims(claims)) throw new TypeError("session claims must be UUID strings");
  if (!Number.isInteger(options.maxAgeSeconds) || options.maxAgeSeconds <= 0) {
    throw new RangeError("maxAgeSeconds must be a positive integer");
  }
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ sid: claims.sessionId, tid: claims.tenantId })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(claims.userId)
    .setIssuer(options.issuer)
    .setAudience(SESSION_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + options.maxAgeSeconds)
    .sign(key);
}

export async function verifySessionToken(
  token: string,
  key: Uint8Array,
  options: VerifySessionOptions,
): Promise<SessionClaims> {
  assertSigningKey(key);
  if (!token) throw new AuthError("missing_token", "no session token was presented");
  const payload = await verifiedPayload(token, key, options.issuer);
  const claims = { sessionId: payload["sid"], userId: payload.sub, tenantId: payload["tid"] };
  if (!isSessionClaims(claims)) throw new AuthError("malformed", "session token sid, sub and tid must be UUIDs");
  return claims;
}

async function verifiedPayload(token: string, key: Uint8Array, issuer: string): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer,
      audience: SESSION_AUDIENCE,
      requiredClaims: ["sid", "sub", "tid", "iat", "exp"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    return payload;
  } catch (error) {
    throw toAuthError(error);
  }
}

/** A short key is a configuration error, not a bad token, so it is not reported as an AuthError. */
function assertSigningKey(key: Uint8Array): void {
  if (key.byteLength < MIN_KEY_BYTES) {
    throw new RangeError(`session signing key must be at least ${MIN_KEY_BYTES} bytes, got ${key.byteLength}`);
  }
}

function isSessionClaims(claims: Record<keyof SessionClaims, unknown>): claims is SessionClaims {
  return isUuid(claims.sessionId) && isUuid(claims.userId) && isUuid(claims.tenantId);
}

function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}
