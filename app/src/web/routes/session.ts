import Router from "@koa/router";
import { findAccount, membershipsOf, provisionTenant } from "../../auth/accounts.js";
import { normalizeEmail } from "../../auth/email.js";
import { UNKNOWN_ACCOUNT_HASH, verifyPassword } from "../../auth/passwords.js";
import { revokeSession } from "../../auth/sessions.js";
import { SIGN_IN_PER_ACCOUNT, SIGN_IN_PER_IP, SIGN_UP_PER_IP, type Throttle, type ThrottleRule } from "../../auth/throttle.js";
import { withTenant } from "../../platform/db/tenant.js";
import { AppError, forbidden, notFound, tooManyRequests } from "../../platform/errors.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { renderPage, requirePrincipal, withFormErrors, type WebContext } from "../page.js";
import { beginSession, endSessionCookie } from "../session-cookie.js";
import type { RequestState } from "../state.js";

const WRONG_CREDENTIALS = "Email or password is incorrect.";

export function sessionRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const { pool, config, throttle, render } = deps;

  router.get("/", (ctx) => ctx.redirect(ctx.state.principal ? "/overview" : "/sign-in"));
  // With an external issuer, people sign in there; the built-in accounts do not exist.
  if (deps.authenticator.mode === "oidc") return router;

  router.get("/sign-in", (ctx) => renderPage(ctx, render, "sign-in", { title: "Sign in" }));
  router.post("/sign-in", async (ctx) => {
    const email = field(ctx, "email").trim().toLowerCase();
    const showAgain = (refusal: AppError) => renderPage(ctx, render, "sign-in", { title: "Sign in", email, error: refusal.message }, refusal.status);
    await withFormErrors(async () => {
      await refuseWhenThrottled(throttle, [
        [SIGN_IN_PER_IP, ctx.ip],
        [SIGN_IN_PER_ACCOUNT, email],
      ]);
      const account = await findAccount(pool, email);
      const passwordOk = await verifyPassword(field(ctx, "password"), account?.passwordHash ?? UNKNOWN_ACCOUNT_HASH);
      if (!account || !passwordOk) {
        await throttle.recordFailure(SIGN_IN_PER_IP, ctx.ip);
        await throttle.recordFailure(SIGN_IN_PER_ACCOUNT, email);
        throw new AppError("wrong_credentials", 401, WRONG_CREDENTIALS);
      }
      await throttle.reset(SIGN_IN_PER_ACCOUNT, email);
      const [membership] = await membershipsOf(pool, account.id);
      if (!membership) throw forbidden("Your account is not a member of any organization. Ask an owner for an invitation link.");
      await endCurrentSession(ctx, deps);
      await beginSession(ctx, pool, config, { tenantId: membership.tenantId, userId: account.id });
      ctx.redirect("/overview");
    }, showAgain);
  });

  router.get("/sign-up", (ctx) => renderPage(ctx, render, "sign-up", { title: "Create an organization" }));
  router.post("/sign-up", async (ctx) => {
    const values = { title: "Create an organization", email: field(ctx, "email"), displayName: field(ctx, "displayName"), tenantName: field(ctx, "tenantName") };
    const showAgain = (refusal: AppError) => renderPage(ctx, render, "sign-up", { ...values, error: refusal.message }, refusal.status);
    await withFormErrors(async () => {
      await refuseWhenThrottled(throttle, [[SIGN_UP_PER_IP, ctx.ip]]);
      await throttle.recordFailure(SIGN_UP_PER_IP, ctx.ip);
      const created = await provisionTenant(pool, { ...values, email: normalizeEmail(values.email), password: field(ctx, "password") });
      await endCurrentSession(ctx, deps);
      await beginSession(ctx, pool, config, created);
      ctx.redirect("/overview");
    }, showAgain);
  });

  router.post("/switch-organization", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const tenantId = field(ctx, "tenantId");
    const memberships = await membershipsOf(pool, principal.userId);
    if (!memberships.some((membership) => membership.tenantId === tenantId)) throw notFound("You are not a member of that organization.");
    await endCurrentSession(ctx, deps);
    await beginSession(ctx, pool, config, { tenantId, userId: principal.userId });
    ctx.redirect("/overview");
  });

  router.post("/sign-out", async (ctx) => {
    await endCurrentSession(ctx, deps);
    ctx.redirect("/sign-in");
  });

  return router;
}

async function refuseWhenThrottled(throttle: Throttle, checks: [ThrottleRule, string][]): Promise<void> {
  for (const [rule, subject] of checks) {
    const seconds = await throttle.blockedFor(rule, subject);
    if (seconds > 0) throw tooManyRequests(`Too many attempts. Try again in ${Math.ceil(seconds / 60)} minute(s).`);
  }
}

/** Revokes the server-side session (so a copied cookie stops working) and clears the cookie. */
async function endCurrentSession(ctx: WebContext, deps: WebDeps): Promise<void> {
  const principal = ctx.state.principal;
  if (principal?.sessionId) {
    const sessionId = principal.sessionId;
    await withTenant(deps.pool, principal.tenantId, (client) => revokeSession(client, sessionId));
  }
  endSessionCookie(ctx);
}
