/** POST /connections/:id/tickets — "create ticket" in a Jira connection, by any member, from the connection page's form. */
import Router from "@koa/router";
import { parseNewIssue } from "../../connectors/jira/tickets.js";
import { badRequest } from "../../platform/errors.js";
import { isUuid } from "../../platform/ids.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { renderPage, requirePrincipal, uuidParam, type WebContext } from "../page.js";
import type { RequestState } from "../state.js";
import { createTicket } from "../ticket-creation.js";

export function ticketRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();

  router.post("/connections/:id/tickets", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const connectionId = uuidParam(ctx, "id", "connection");
    const created = await createTicket(ctx, deps, principal, connectionId, { idempotencyKey: idempotencyKeyOf(ctx), issue: newIssueOf(ctx), finding: null });
    renderPage(ctx, deps.render, "ticket-created", { title: `Created ${created.issueKey}`, ...created, back: { href: `/connections/${connectionId}`, title: "Back to the connection" } });
  });

  return router;
}

/** The random key the form was rendered with: a second submit of the same form answers the first's issue. */
export function idempotencyKeyOf(ctx: WebContext): string {
  const idempotencyKey = field(ctx, "idempotencyKey");
  if (!isUuid(idempotencyKey)) throw badRequest("invalid_ticket", "This form has expired. Reload the page and try again.");
  return idempotencyKey;
}

/** The issue the form describes; `projectKey` when the form names the project another way. */
export function newIssueOf(ctx: WebContext, projectKey = field(ctx, "projectKey")) {
  return parseNewIssue({ projectKey, issueType: field(ctx, "issueType"), summary: field(ctx, "summary"), description: field(ctx, "description") });
}
