import type { Middleware } from "koa";
import type { Authenticator } from "../../auth/authenticator.js";
import { SESSION_COOKIE } from "../../auth/authenticator.js";
import { AuthError } from "../../auth/auth-error.js";
import type { RequestState } from "../state.js";

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/**
 * Establishes ctx.state.principal from a verified token. A bad bearer token is a 401;
 * a bad or ended browser session is dropped (cookie cleared) so the person can sign in again.
 */
export function authenticate(authenticator: Authenticator): Middleware<RequestState> {
  return async (ctx, next) => {
    const header = ctx.get("authorization");
    const bearer = header ? (BEARER.exec(header)?.[1] ?? null) : null;
    if (header && !bearer) throw new AuthError("malformed", "Authorization header is not a Bearer token");
    ctx.state.bearerAuthenticated = bearer !== null;
    try {
      const principal = await authenticator.authenticate({ bearer, cookie: (name) => ctx.cookies.get(name) });
      if (principal) ctx.state.principal = principal;
      else if (!bearer) clearSessionCookie(ctx);
    } catch (err) {
      if (bearer || !(err instanceof AuthError)) throw err;
      ctx.state.log.info({ reason: err.reason }, "session cookie rejected");
      clearSessionCookie(ctx);
    }
    await next();
  };
}

function clearSessionCookie(ctx: Parameters<Middleware>[0]): void {
  if (ctx.cookies.get(SESSION_COOKIE)) ctx.cookies.set(SESSION_COOKIE, null, { path: "/", secure: true, httpOnly: true, sameSite: "lax" });
}
