import Router from "@koa/router";
import { normalizeEmail } from "../../auth/email.js";
import {
  acceptInvitation,
  createInvitation,
  findInvitation,
  formatInvitation,
  listOpenInvitations,
  parseInvitation,
  revokeInvitation,
} from "../../auth/invitations.js";
import { changeRole, listMembers, parseRole, removeMember } from "../../auth/members.js";
import { hasRole } from "../../auth/principal.js";
import { SIGN_IN_PER_IP } from "../../auth/throttle.js";
import { withTenant } from "../../platform/db/tenant.js";
import { badRequest, tooManyRequests, type AppError } from "../../platform/errors.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { renderPage, requirePrincipal, uuidParam, withFormErrors, type WebContext } from "../page.js";
import { beginSession } from "../session-cookie.js";
import type { RequestState } from "../state.js";

export function memberRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const { pool, render, config } = deps;

  const showMembers = async (ctx: WebContext, extra: Record<string, unknown> = {}, status = 200) => {
    const principal = requirePrincipal(ctx);
    const canManage = hasRole(principal, "admin");
    const { members, invitations } = await withTenant(pool, principal.tenantId, async (client) => ({
      members: await listMembers(client),
      invitations: canManage ? await listOpenInvitations(client) : [],
    }));
    renderPage(ctx, render, "members", { title: "Members", members, invitations, canManage, ...extra }, status);
  };

  router.get("/members", (ctx) => showMembers(ctx));

  router.post("/members/invite", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const showAgain = (refusal: AppError) => showMembers(ctx, { error: refusal.message, email: field(ctx, "email") }, refusal.status);
    await withFormErrors(async () => {
      const email = normalizeEmail(field(ctx, "email"));
      const role = field(ctx, "role");
      if (role !== "admin" && role !== "member") throw badRequest("invalid_role", "Choose a role: admin or member.");
      const link = await withTenant(pool, principal.tenantId, (client) => createInvitation(client, principal, { email, role }));
      await showMembers(ctx, { invitedEmail: email, invitationUrl: `${config.publicUrl}/invite/${formatInvitation(link)}` }, 201);
    }, showAgain);
  });

  router.post("/members/:userId/remove", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const userId = uuidParam(ctx, "userId", "member");
    await withTenant(pool, principal.tenantId, (client) => removeMember(client, principal, userId));
    ctx.redirect("/members");
  });

  router.post("/members/:userId/role", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const userId = uuidParam(ctx, "userId", "member");
    const role = parseRole(field(ctx, "role"));
    await withTenant(pool, principal.tenantId, (client) => changeRole(client, principal, userId, role));
    ctx.redirect("/members");
  });

  router.post("/members/invitations/:invitationId/revoke", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const invitationId = uuidParam(ctx, "invitationId", "invitation");
    await withTenant(pool, principal.tenantId, (client) => revokeInvitation(client, principal, invitationId));
    ctx.redirect("/members");
  });

  router.get("/invite/:token", async (ctx) => {
    const link = parseInvitation(ctx.params.token ?? "");
    const invitation = await withTenant(pool, link.tenantId, (client) => findInvitation(client, link));
    renderPage(ctx, render, "invitation", { title: "Join your team", invitation, token: ctx.params.token });
  });

  router.post("/invite/:token", async (ctx) => {
    const link = parseInvitation(ctx.params.token ?? "");
    const invitation = await withTenant(pool, link.tenantId, (client) => findInvitation(client, link));
    const values = { title: "Join your team", invitation, token: ctx.params.token, displayName: field(ctx, "displayName") };
    const showAgain = (refusal: AppError) => renderPage(ctx, render, "invitation", { ...values, error: refusal.message }, refusal.status);
    await withFormErrors(async () => {
      // Accepting with an existing account is a password check: throttle it like sign-in.
      if ((await deps.throttle.blockedFor(SIGN_IN_PER_IP, ctx.ip)) > 0) throw tooManyRequests("Too many attempts. Try again later.");
      try {
        const userId = await acceptInvitation(pool, link, { displayName: field(ctx, "displayName"), password: field(ctx, "password") });
        await beginSession(ctx, pool, config, { tenantId: link.tenantId, userId });
        ctx.redirect("/overview");
      } catch (err) {
        await deps.throttle.recordFailure(SIGN_IN_PER_IP, ctx.ip);
        throw err;
      }
    }, showAgain);
  });

  return router;
}
