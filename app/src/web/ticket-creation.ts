/**
 * "Create ticket": the one write TwinFlow makes. The form's random idempotency key is
 * inserted before the issue is created, in the transaction that records its key: a double
 * submit waits for the first and gets the same issue back instead of a second issue. A
 * ticket made from a bottleneck finding claims that finding the same way, so a finding gets
 * one ticket however many forms were opened for it.
 */
import type { Principal } from "../auth/principal.js";
import type { JsonValue } from "../connectors/connector.js";
import { loadCredentials, openCredentials, storeCredentials, type Credentials } from "../connectors/credentials.js";
import { describeFailure } from "../connectors/http/retry.js";
import { issueBrowseUrl } from "../connectors/jira/connector.js";
import { atlassianOAuthClient, jiraTokenRefresher } from "../connectors/jira/oauth.js";
import { canCreateIssues, createIssue, createIssueHttp, type NewIssue } from "../connectors/jira/tickets.js";
import { renewCredentials, renewingOnUnauthorized, type CredentialRenewal, type RenewalReason } from "../connectors/token-renewal.js";
import { recordAudit } from "../platform/audit.js";
import type { PoolClient } from "../platform/db/pool.js";
import { withTenant } from "../platform/db/tenant.js";
import { AppError, badRequest, conflict, notFound } from "../platform/errors.js";
import type { WebDeps } from "./deps.js";
import type { WebContext } from "./page.js";

/** A bottleneck finding: the connection and scope ('' for the whole connection) it was found in, and its key. */
export interface FindingRef {
  connectionId: string;
  scope: string;
  key: string;
}

export interface TicketRequest {
  idempotencyKey: string;
  issue: NewIssue;
  finding: FindingRef | null;
}

export interface CreatedTicket {
  issueKey: string;
  /** Null when the Jira site's address is not known. */
  issueUrl: string | null;
}

interface TicketTarget {
  provider: string;
  status: string;
  settings: JsonValue;
  credentials: Credentials;
}

type JiraRef = { tenantId: string; connectionId: string };

/** Creates the issue in the Jira connection `jiraConnectionId`, or answers the one this form (or this finding) already created. */
export async function createTicket(ctx: WebContext, deps: WebDeps, principal: Principal, jiraConnectionId: string, request: TicketRequest): Promise<CreatedTicket> {
  const ref = { tenantId: principal.tenantId, connectionId: jiraConnectionId };
  const { target, existing } = await withTenant(deps.pool, ref.tenantId, async (client) => ({
    target: await loadTarget(client, deps, ref),
    existing: await storedTicket(client, request),
  }));
  if (existing?.issueKey) return { issueKey: existing.issueKey, issueUrl: existing.issueUrl };
  return sendTicket(ctx, deps, principal, ref, target, request);
}

async function loadTarget(client: PoolClient, deps: WebDeps, ref: JiraRef): Promise<TicketTarget> {
  const { rows } = await client.query<{ provider: string; status: string; config: JsonValue; credentials: string | null }>(
    "SELECT provider, status, config, credentials FROM connections WHERE id = $1",
    [ref.connectionId],
  );
  const row = rows[0];
  if (!row) throw notFound("There is no connection with that id.");
  return { provider: row.provider, status: row.status, settings: row.config, credentials: openCredentials(deps.vault, ref, row.credentials) };
}

async function sendTicket(ctx: WebContext, deps: WebDeps, principal: Principal, ref: JiraRef, target: TicketTarget, request: TicketRequest): Promise<CreatedTicket> {
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
  const { finding } = request;
  try {
    await renew("expiring");
    const http = renewingOnUnauthorized(createIssueHttp(target.settings, () => credentials, ctx.state.log), () => renew("rejected"));
    return await withTenant(deps.pool, ref.tenantId, async (client) => {
      // Either claim conflicts: this form was submitted already, or this finding has its ticket.
      const claimed = await client.query(
        `INSERT INTO created_tickets (tenant_id, connection_id, idempotency_key, created_by, finding_connection_id, finding_scope, finding_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [ref.tenantId, ref.connectionId, request.idempotencyKey, principal.userId, finding?.connectionId ?? null, finding?.scope ?? null, finding?.key ?? null],
      );
      // A concurrent submit got there first; it has committed by now.
      if (claimed.rowCount === 0) return finishedTicket(await storedTicket(client, request));
      const issueKey = await createIssue(http, request.issue);
      const issueUrl = issueBrowseUrl(target.settings, credentials, issueKey);
      await client.query("UPDATE created_tickets SET issue_key = $1, issue_url = $2 WHERE tenant_id = $3 AND idempotency_key = $4", [
        issueKey,
        issueUrl,
        ref.tenantId,
        request.idempotencyKey,
      ]);
      await recordAudit(client, {
        tenantId: ref.tenantId,
        actorUserId: principal.userId,
        action: "ticket.created",
        targetType: "jira_issue",
        targetId: issueKey,
        details: { connectionId: ref.connectionId, ...(finding && { findingConnectionId: finding.connectionId }) },
      });
      return { issueKey, issueUrl };
    });
  } catch (err) {
    throw await ticketRefusal(ctx, deps, ref, err);
  }
}

/** Renewal of Jira OAuth tokens, when Atlassian sign-in is set up on this instance. */
function credentialRenewal(deps: WebDeps, ref: JiraRef): CredentialRenewal | undefined {
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

/** The ticket this form, or this finding, already claimed; its key is null while it is being created. */
async function storedTicket(client: PoolClient, { idempotencyKey, finding }: TicketRequest): Promise<{ issueKey: string | null; issueUrl: string | null } | null> {
  const { rows } = await client.query<{ issue_key: string | null; issue_url: string | null }>(
    `SELECT issue_key, issue_url FROM created_tickets
      WHERE idempotency_key = $1 OR (finding_connection_id = $2 AND finding_scope = $3 AND finding_key = $4)
      ORDER BY idempotency_key = $1 DESC LIMIT 1`,
    [idempotencyKey, finding?.connectionId ?? null, finding?.scope ?? null, finding?.key ?? null],
  );
  return rows[0] ? { issueKey: rows[0].issue_key, issueUrl: rows[0].issue_url } : null;
}

function finishedTicket(stored: { issueKey: string | null; issueUrl: string | null } | null): CreatedTicket {
  if (!stored?.issueKey) throw conflict("ticket_pending", "This ticket is still being created. Reload the page in a moment.");
  return { issueKey: stored.issueKey, issueUrl: stored.issueUrl };
}

/** What the person sees when Jira did not create the ticket; credentials Jira no longer accepts mark the connection for reconnect. */
async function ticketRefusal(ctx: WebContext, deps: WebDeps, ref: JiraRef, err: unknown): Promise<unknown> {
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
