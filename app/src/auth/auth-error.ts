import { errors } from "jose";

export type AuthFailureReason =
  | "missing_token"
  | "malformed"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "wrong_authorized_party"
  | "unknown_key"
  | "algorithm_not_allowed"
  | "missing_claim"
  | "jwks_unavailable";

/**
 * A rejected credential. The message is safe to log: it never contains the token or its claims.
 * Callers answer 401 with a generic text and log `reason` and `message`.
 */
export class AuthError extends Error {
  override readonly name = "AuthError";

  constructor(
    readonly reason: AuthFailureReason,
    message: string = `authentication failed: ${reason}`,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Translates a jose verification error into an AuthError. Anything jose did not raise is rethrown
 * unchanged: it is a bug or a misconfiguration, and must not be reported as a bad token.
 * jose errors are not kept as `cause` because claim errors carry the token's payload.
 */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) return new AuthError("expired", "token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) return claimFailure(error);
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthError("algorithm_not_allowed", "token algorithm is not allowed");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError("bad_signature", "token signature does not verify");
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError("unknown_key", "no single published key matches the token's kid and alg");
  }
  if (error instanceof errors.JWKSTimeout) {
    return new AuthError("jwks_unavailable", "fetching the issuer's JWKS timed out");
  }
  if (error instanceof errors.JOSEError) return new AuthError("malformed", `token is malformed (${error.code})`);
  throw error;
}

function claimFailure(error: errors.JWTClaimValidationFailed): AuthError {
  switch (error.claim) {
    case "iss":
      return new AuthError("wrong_issuer", "token issuer is not the configured issuer");
    case "aud":
      return new AuthError("wrong_audience", "token audience does not include the configured audience");
    case "nbf":
      return new AuthError("not_yet_valid", "token is not valid yet");
  }
  if (error.reason === "missing") return new AuthError("missing_claim", `token has no ${error.claim} claim`);
  return new AuthError("malformed", `token has an invalid ${error.claim} claim`);
}
