import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Middleware } from "koa";
import { AppError } from "../../platform/errors.js";
import { field } from "../form.js";
import type { RequestState } from "../state.js";

export const CSRF_COOKIE = "tf_csrf";
export const CSRF_FIELD = "_csrf";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Signed double-submit CSRF protection: a random per-browser cookie, and a form token
 * that is an HMAC of that cookie and the session it belongs to. A forged form lacks the
 * token; a token lifted from another browser or session does not match. Requests that
 * authenticate with an Authorization header carry no ambient credentials and are exempt.
 * Written here rather than taken from a package: it is a few lines whose every branch is tested.
 */
export function csrfProtection(secret: Uint8Array): Middleware<RequestState> {
  return async (ctx, next) => {
    let browserSecret = ctx.cookies.get(CSRF_COOKIE);
    if (!browserSecret || !/^[A-Za-z0-9_-]{43}$/.test(browserSecret)) {
      browserSecret = randomBytes(32).toString("base64url");
      ctx.cookies.set(CSRF_COOKIE, browserSecret, { httpOnly: true, secure: true, sameSite: "lax", path: "/", overwrite: true });
    }
    const principal = ctx.state.principal;
    const binding = principal ? (principal.sessionId ?? principal.userId) : "anonymous";
    const expected = sign(secret, browserSecret, binding);
    ctx.state.csrfToken = expected;
    if (!SAFE_METHODS.has(ctx.method) && !ctx.state.bearerAuthenticated) {
      const presented = ctx.get("x-csrf-token") || field(ctx, CSRF_FIELD);
      if (!matches(presented, expected)) {
        throw new AppError("csrf_failed", 403, "This form has expired or did not come from TwinFlow. Reload the page and try again.");
      }
    }
    await next();
  };
}

function sign(secret: Uint8Array, browserSecret: string, binding: string): string {
  return createHmac("sha256", secret).update(`csrf\0${browserSecret}\0${binding}`).digest("base64url");
}

function matches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
