/**
 * POST /connections/:id/tickets — "create ticket" in a Jira connection, by any member.
 * The form's random idempotency key is inserted before the issue is created, in the
 * transaction that records its key: a double submit waits for the first and gets the
 * same issue key back instead of a second issue.
 */
import Router from "@koa/router";
import type { Principal } from "../../auth/principal.js";
import type { JsonValue } from "../../connectors/connector.js";
import { loadCredentials, openCredentials, storeCredentials, type Credentials } from "../../connectors/credentials.js";
import { describeFailure } from "../../connectors/http/retry.js";
import { atlassianOAuthClient, jiraTokenRefresher } from "../../connectors/jira/oauth.js";
import { canCreateIssues, createIssue, createIssueHttp, parseNewIssue, type NewIssue } from "../../connectors/jira/tickets.js";
import { renewCredentials, renewingOnUnauthorized, type CredentialRenewal, type RenewalReason } from "../../connectors/token-renewal.js";
import { recordAudit } from "../../platform/audit.js";
import type { PoolClient } from "../../platform/db/pool.js";
import { withTenant } from "../../platform/db/tenant.js";
import { AppError, badRequest, conflict, notFound } from "../../platform/errors.js";
import { isUuid } from "../../platform/ids.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { renderPage, requirePrincipal, uuidParam, type WebContext } from "../page.js";
import type { RequestState } from "../state.js";

interface TicketTarget {
  provider: string;
  status: string;
  settings: JsonValue;
  credentials: Credentials;
  /** Set when this idempotency key already created an issue. */
  issueKey: string | null;
}

export function ticketRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();

  router.post("/connections/:id/tickets", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const connectionId = uuidParam(ctx, "id", "connection");
    const idempotencyKey = field(ctx, "idempotencyKey");
    if (!isUuid(idempotencyKey)) throw badRequest("invalid_ticket", "This form has expired. Reload the page and try again.");
    const issue = parseNewIssue({ projectKey: field(ctx, "projectKey"), issueType: field(ctx, "issueType"), summary: field(ctx, "summary"), description: field(ctx, "description") });
    const ref = { tenantId: principal.tenantId, connectionId };
    const target = await withTenant(deps.pool, ref.tenantId, (client) => loadTarget(client, deps, ref, idempotencyKey));
    const issueKey = target.issueKey ?? (await createTicket(ctx, deps, principal, ref, target, { idempotencyKey, issue }));
    renderPage(ctx, deps.render, "ticket-created", { title: `Created ${issueKey}`, issueKey, connectionId });
  });

  return router;
}

async function loadTarget(client: PoolClient, deps: WebDeps, ref: { tenantId: string; connectionId: string }, idempotencyKey: string): Promise<TicketTarget> {
  const { rows } = await client.query<{ provider: string; status: string; config: JsonValue; credentials: string | null; issue_key: string | null }>(
    `SELECT c.provider, c.status, c.config, c.credentials,
            (SELECT t.issue_key FROM created_tickets t WHERE t.idempotency_key = $2) AS issue_key
       FROM connections c WHERE c.id = $1`,
    [ref.connectionId, idempotencyKey],
  );
  const row = rows[0];
  if (!row) throw notFound("There is no connection with that id.");
  return { provider: row.provider, status: row.status, settings: row.config, credentials: openCredentials(deps.vault, ref, row.credentials), issueKey: row.issue_key };
}

async function createTicket(
  ctx: WebContext,
  deps: WebDeps,
  principal: Principal,
  ref: { tenantId: string; connectionId: string },
  target: TicketTarget,
  ticket: { idempotencyKey: string; issue: NewIssue },
): Promise<string> {
  if (target.provider !== "jira") throw badRequest("tickets_unsupported", "Tickets can be created only in Jira connections.");
  if (target.status !== "active") throw badRequest("connection_not_active", `This connection is ${target.status.replace("_", " ")}; reconnect it first.`);
  if (!canCreateIssues(target.credentials)) {
    throw badRequest("write_not_granted", "This connection may only read Jira. Connect Jira again with “enable create ticket” ticked to create tickets from TwinFlow.");
  }
  const renewal = credentialRenewal(deps, ref);
  let credentials = target.credentials;
  /** True when the credentials were replaced. */
  const renew = async (reason: RenewalReason) => {
    if (!renewal) return false;
    const before = credentials;
    credentials = await renewCredentials(renewal, credentials, reason);
    return credentials !== before;
  };
  try {
    await renew("expiring");
    const http = renewingOnUnauthorized(createIssueHttp(target.settings, () => credentials, ctx.state.log), () => renew("rejected"));
    return await withTenant(deps.pool, ref.tenantId, async (client) => {
      const claimed = await client.query(
        `INSERT INTO created_tickets (tenant_id, connection_id, idempotency_key, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`,
        [ref.tenantId, ref.connectionId, ticket.idempotencyKey, principal.userId],
      );
      // A concurrent submit of the same form got there first; it has committed by now.
      if (claimed.rowCount === 0) return storedIssueKey(client, ticket.idempotencyKey);
      const issueKey = await createIssue(http, ticket.issue);
      await client.query("UPDATE created_tickets SET issue_key = $1 WHERE tenant_id = $2 AND idempotency_key = $3", [issueKey, ref.tenantId, ticket.idempotencyKey]);
      await recordAudit(client, {
        tenantId: ref.tenantId,
        actorUserId: principal.userId,
        action: "ticket.created",
        targetType: "jira_issue",
        targetId: issueKey,
        details: { connectionId: ref.connectionId },
      });
      return issueKey;
    });
  } catch (err) {
    throw await ticketRefusal(ctx, deps, ref, err);
  }
}

/** Renewal of Jira OAuth tokens, when Atlassian sign-in is set up on this instance. */
function credentialRenewal(deps: WebDeps, ref: { tenantId: string; connectionId: string }): CredentialRenewal | undefined {
  const client = atlassianOAuthClient(deps.config.atlassian);
  if (!client) return undefined;
  return {
    redis: deps.redis,
    refresher: jiraTokenRefresher(client, deps.log),
    connectionId: ref.connectionId,
    load: () => withTenant(deps.pool, ref.tenantId, (db) => loadCredentials(db, deps.vault, ref)),
    save: (next) => withTenant(deps.pool, ref.tenantId, (db) => storeCredentials(db, deps.vault, ref, next)),
  };
}

async function storedIssueKey(client: PoolClient, idempotencyKey: string): Promise<string> {
  const { rows } = await client.query<{ issue_key: string | null }>("SELECT issue_key FROM created_tickets WHERE idempotency_key = $1", [idempotencyKey]);
  const issueKey = rows[0]?.issue_key;
  if (!issueKey) throw conflict("ticket_pending", "This ticket is still being created. Reload the connection page in a moment.");
  return issueKey;
}

/** What the person sees when Jira did not create the ticket; credentials Jira no longer accepts mark the connection for reconnect. */
async function ticketRefusal(ctx: WebContext, deps: WebDeps, ref: { tenantId: string; connectionId: string }, err: unknown): Promise<unknown> {
  if (err instanceof AppError) return err;
  const failure = describeFailure(err);
  if (failure.code === "unexpected_error") return err;
  ctx.state.log.info({ code: failure.code, connectionId: ref.connectionId }, "ticket not created");
  if (failure.code === "needs_reconnect") {
    await withTenant(deps.pool, ref.tenantId, (client) => client.query("UPDATE connections SET status = 'needs_reconnect' WHERE id = $1", [ref.connectionId]));
    return badRequest("needs_reconnect", "Jira no longer accepts this connection's credentials. Reconnect it, then create the ticket again.");
  }
  return new AppError("ticket_not_created", 502, `Jira did not create the ticket: ${failure.message}`);
}
