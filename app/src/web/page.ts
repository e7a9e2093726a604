import type { ParameterizedContext } from "koa";
import { hasRole, type Principal } from "../auth/principal.js";
import { AppError, badRequest, forbidden, unauthorized } from "../platform/errors.js";
import { isUuid } from "../platform/ids.js";
import type { Renderer } from "./render.js";
import type { RequestState } from "./state.js";

export type WebContext = ParameterizedContext<RequestState>;

/** Renders a page inside the layout, with what every page needs. */
export function renderPage(ctx: WebContext, render: Renderer, page: string, data: Record<string, unknown>, status = 200): void {
  ctx.status = status;
  ctx.type = "html";
  ctx.body = render(page, { ...data, principal: ctx.state.principal, csrfToken: ctx.state.csrfToken, timeZone: ctx.state.timeZone ?? "UTC" });
}

/** Owners and admins only, checked before anything else the request carries is read: `what` they may do, in words. */
export function requireAdmin(ctx: WebContext, what: string): Principal {
  const principal = requirePrincipal(ctx);
  if (!hasRole(principal, "admin")) throw forbidden(`Only owners and admins can ${what}.`);
  return principal;
}

export function requirePrincipal(ctx: WebContext): Principal {
  const principal = ctx.state.principal;
  if (!principal) throw unauthorized();
  return principal;
}

/**
 * Runs a form action; when the input is refused (a 4xx AppError) it shows the form
 * again with the message instead of an error page. Anything else propagates.
 */
export async function withFormErrors(action: () => Promise<void>, showAgain: (refusal: AppError) => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    await showAgain(err);
  }
}

/** A UUID from the path, or a 400 that names what the address should hold. */
export function uuidParam(ctx: WebContext, name: string, what: string): string {
  const value = (ctx.params as Record<string, string | undefined> | undefined)?.[name];
  if (!isUuid(value)) throw badRequest("invalid_id", `The ${what} id in the address must be a UUID.`);
  return value;
}
