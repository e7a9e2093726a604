import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from "jose";
import type { OidcConfig } from "../config.js";
import { AuthError, toAuthError } from "./auth-error.js";

/** The configured issuer (see OidcConfig), with the tunables that have defaults left optional. */
export type OidcSettings = Omit<OidcConfig, "roleClaim" | "jwksCooldownMs"> &
  Partial<Pick<OidcConfig, "roleClaim" | "jwksCooldownMs">> & {
    /** Default 5. */
    clockToleranceSeconds?: number;
  };

export interface VerifiedIdentity {
  subject: string;
  tenantKey: string;
  role: "admin" | "member";
  email: string | null;
}

export interface OidcVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
}

const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
const JWKS_FETCH_TIMEOUT_MS = 5_000;
const ADMIN_ROLES: ReadonlySet<unknown> = new Set(["org:admin", "admin"]);

export function createOidcVerifier(settings: OidcSettings): OidcVerifier {
  assertUsableSettings(settings);
  const keys = publishedKeys(settings);
  const options: JWTVerifyOptions = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: settings.algorithms,
    requiredClaims: ["exp", "sub"],
    clockTolerance: settings.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
  };

  return {
    async verify(token) {
      if (!token) throw new AuthError("missing_token", "no bearer token was presented");
      const payload = await verifiedPayload(token, keys, options);
      assertAuthorizedParty(payload, settings.authorizedParties);
      return identityFrom(payload, settings);
    },
  };
}

function assertUsableSettings(settings: OidcSettings): void {
  if (!settings.audience && !settings.authorizedParties?.length) {
    throw new Error(
      "OIDC settings need an audience or authorizedParties: without either, tokens minted for any other application of the issuer would be accepted",
    );
  }
  if (settings.algorithms.length === 0) throw new Error("OIDC settings need at least one allowed algorithm");
  const symmetric = settings.algorithms.filter((alg) => alg.toLowerCase() === "none" || /^HS/i.test(alg));
  if (symmetric.length > 0) {
    throw new Error(
      `OIDC algorithms must be asymmetric; refusing ${symmetric.join(", ")} (a public key must never verify an HMAC)`,
    );
  }
  if (!settings.tenantClaim) throw new Error("OIDC settings need a tenantClaim");
}

/**
 * The issuer's JWKS. Failures to obtain it are reported as jwks_unavailable so an outage is not
 * mistaken for a bad token; "no matching key" still flows through to be reported as unknown_key.
 */
function publishedKeys(settings: OidcSettings): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(settings.jwksUrl), {
    timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
    cooldownDuration: settings.jwksCooldownMs,
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new AuthError("jwks_unavailable", "the issuer's JWKS could not be fetched or used", { cause: error });
    }
  };
}

async function verifiedPayload(token: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keys, options);
    return payload;
  } catch (error) {
    throw toAuthError(error);
  }
}

/** Binds the token to our frontend: with authorizedParties set, a token without azp is refused too. */
function assertAuthorizedParty(payload: JWTPayload, authorizedParties: string[] | undefined): void {
  if (!authorizedParties?.length) return;
  const azp = payload["azp"];
  if (typeof azp !== "string" || !authorizedParties.includes(azp)) {
    throw new AuthError("wrong_authorized_party", "token azp is not one of the authorized parties");
  }
}

function identityFrom(payload: JWTPayload, settings: OidcSettings): VerifiedIdentity {
  if (typeof payload.sub !== "string" || !payload.sub) throw new AuthError("malformed", "token sub is not a string");
  const tenantKey = claimAt(payload, settings.tenantClaim);
  if (typeof tenantKey !== "string" || !tenantKey) {
    throw new AuthError(
      "missing_claim",
      `token has no ${settings.tenantClaim} claim: the user must pick an organization`,
    );
  }
  const role = settings.roleClaim ? claimAt(payload, settings.roleClaim) : undefined;
  const email = payload["email"];
  return {
    subject: payload.sub,
    tenantKey,
    role: ADMIN_ROLES.has(role) ? "admin" : "member",
    email: typeof email === "string" ? email : null,
  };
}

/** Reads a dotted path such as "o.id", following only the payload's own properties. */
function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
