import { randomUUID } from "node:crypto";
import Router from "@koa/router";
import { findingKey, type BottleneckFinding } from "../../analysis/bottlenecks.js";
import type { PoolClient } from "../../platform/db/pool.js";
import { withTenant } from "../../platform/db/tenant.js";
import { describableFindings } from "../../ai/context.js";
import { sentBodyOf } from "../../ai/request-records.js";
import { draftTicket } from "../../ai/ticket-drafter.js";
import { AppError, badRequest, notFound } from "../../platform/errors.js";
import { isUuid } from "../../platform/ids.js";
import { analyticsHeader, loadAnalyticsView, scopeQueryOf, type AnalyticsView } from "../analytics-view.js";
import { assistantSubject } from "../assistant-subject.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { findingFigures } from "../overview-figures.js";
import { sentDisclosure } from "../sent-disclosure.js";
import { renderPage, requirePrincipal, uuidParam, withFormErrors, type WebContext } from "../page.js";
import type { RequestState } from "../state.js";
import { createTicket, type FindingRef } from "../ticket-creation.js";
import { findingsByKey, ticketDraft } from "../ticket-draft.js";
import { idempotencyKeyOf, newIssueOf } from "./tickets.js";

/** A Jira connection a ticket can go to, with the projects it reads. */
interface JiraTarget {
  id: string;
  label: string;
  projects: string[];
}

type Tickets = Map<string, { issueKey: string; issueUrl: string | null }>;

const SECTIONS = [
  { list: "headline", title: "Where the team's work waits", about: "Steps the team can act on — its own queues and active work — by the item-days spent in them." },
  { list: "transitions", title: "Hand-overs that wait", about: "The same time, split by the step items went to next." },
  { list: "external", title: "Waiting on customers or vendors", about: "Time the team does not control, shown apart so it does not hide the team's own queues." },
  { list: "automation", title: "Waiting on automation", about: "Builds, deployments and other machine steps." },
  { list: "unclassified", title: "Not classified yet", about: "Steps TwinFlow could not place; classify them in the connection's settings to rank them." },
] as const;

export function bottleneckRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();

  router.get("/connections/:id/bottlenecks", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const analytics = await loadAnalyticsView(deps, { tenantId: principal.tenantId, timeZone: ctx.state.timeZone }, uuidParam(ctx, "id", "connection"), ctx.query, []);
    const { targets, tickets } = await withTenant(deps.pool, principal.tenantId, async (client) => ({
      targets: await jiraTargets(client),
      tickets: await findingTickets(client, findingOf(analytics, "")),
    }));
    const { bottlenecks } = analytics.output;
    const describable = describableFindings(analytics.output);
    const findingHref = (page: string, key: string, query: string) => {
      const params = new URLSearchParams(query);
      params.set("finding", key);
      return `/connections/${analytics.connectionId}/${page}?${params}`;
    };
    renderPage(ctx, deps.render, "bottlenecks", {
      title: `Bottlenecks — ${analytics.label}`,
      analytics: analyticsHeader(analytics, "bottlenecks"),
      totalItemDays: bottlenecks.totalItemDays.toFixed(1),
      shares: Object.entries(bottlenecks.shareByClass)
        .filter(([, share]) => share > 0)
        .map(([waitClass, share]) => ({ waitClass: waitClass.replace("_", " "), share: `${Math.round(share * 100)} %` })),
      sections: SECTIONS.map((section) => ({
        ...section,
        findings: bottlenecks[section.list].map((finding) => ({
          ...findingFigures(finding),
          ticket: tickets.get(findingKey(finding)) ?? null,
          ticketHref: findingHref("bottlenecks/ticket", findingKey(finding), scopeQueryOf(analytics.container)),
          // The assistant is sent nothing of a finding with fewer than 5 items, so it cannot explain one.
          explainHref: describable(finding) ? findingHref("assistant", findingKey(finding), analytics.filterQuery) : null,
        })),
      })).filter((section) => section.findings.length > 0),
      canTicket: targets.length > 0,
    });
  });

  router.get("/connections/:id/bottlenecks/ticket", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const form = await ticketForm(deps, principal.tenantId, await findingInView(ctx, deps, principal.tenantId));
    renderPage(ctx, deps.render, "finding-ticket", form);
  });

  // Claude drafts the summary and description into the same form; only the user's submit creates the ticket.
  router.post("/connections/:id/bottlenecks/ticket/draft", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const found = await findingInView(ctx, deps, principal.tenantId, field(ctx, "finding"));
    const form = await ticketForm(deps, principal.tenantId, found);
    try {
      const subject = await assistantSubject(deps, principal, found.analytics, found.key);
      const drafted = await draftTicket(deps.assistant, { tenantId: principal.tenantId, userId: principal.userId }, { ...subject, focusFinding: found.key });
      const sent = (await withTenant(deps.pool, principal.tenantId, (client) => sentBodyOf(client, drafted.requestId, principal.userId))) ?? "";
      const aiDraft = sentDisclosure(sent, form.connectionId, drafted.requestId);
      renderPage(ctx, deps.render, "finding-ticket", { ...form, draft: { summary: drafted.summary, description: drafted.description }, aiDraft });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      renderPage(ctx, deps.render, "finding-ticket", { ...form, error: err.message }, err.status);
    }
  });

  router.post("/connections/:id/bottlenecks/ticket", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const form = await ticketForm(deps, principal.tenantId, await findingInView(ctx, deps, principal.tenantId, field(ctx, "finding")));
    const back = { href: `/connections/${form.connectionId}/bottlenecks${scopeQueryOf(form.container)}`, title: "Back to the bottlenecks" };
    await withFormErrors(
      async () => {
        const [jiraConnectionId, projectKey] = field(ctx, "target").split(":");
        if (!isUuid(jiraConnectionId) || !form.targets.some((target) => target.id === jiraConnectionId && target.projects.includes(projectKey ?? ""))) {
          throw badRequest("invalid_ticket", "Choose the Jira project to create the ticket in.");
        }
        const created = await createTicket(ctx, deps, principal, jiraConnectionId, { idempotencyKey: idempotencyKeyOf(ctx), issue: newIssueOf(ctx, projectKey), finding: form.finding });
        renderPage(ctx, deps.render, "ticket-created", { title: `Created ${created.issueKey}`, ...created, back });
      },
      (refusal) =>
        renderPage(
          ctx,
          deps.render,
          "finding-ticket",
          { ...form, draft: { summary: field(ctx, "summary"), description: field(ctx, "description") }, idempotencyKey: field(ctx, "idempotencyKey"), error: refusal.message },
          refusal.status,
        ),
    );
  });

  return router;
}

/** The finding a ticket form is about, in the latest output of its scope. */
interface FindingInView {
  analytics: AnalyticsView;
  key: string;
  finding: BottleneckFinding;
}

async function findingInView(ctx: WebContext, deps: WebDeps, tenantId: string, postedKey?: string): Promise<FindingInView> {
  const key = postedKey ?? (typeof ctx.query.finding === "string" ? ctx.query.finding : "");
  const container = typeof ctx.query.container === "string" && ctx.query.container !== "" ? ctx.query.container : null;
  const analytics = await loadAnalyticsView(deps, { tenantId, timeZone: ctx.state.timeZone }, uuidParam(ctx, "id", "connection"), container === null ? {} : { container }, []);
  const finding = findingsByKey(analytics.output.bottlenecks).get(key);
  if (!finding) throw notFound("That finding is not in the latest scan output any more. Open the bottlenecks page again to see the current ones.");
  return { analytics, key, finding };
}

/** The create-ticket form of one finding: its draft, where it can go, or the ticket it already has. */
async function ticketForm(deps: WebDeps, tenantId: string, { analytics, key, finding }: FindingInView) {
  const { container } = analytics;
  const ref = findingOf(analytics, key);
  const { targets, issueTypes, ticket } = await withTenant(deps.pool, tenantId, async (client) => {
    const targets = await jiraTargets(client);
    return { targets, issueTypes: await issueTypesOf(client, targets), ticket: (await findingTickets(client, ref)).get(key) ?? null };
  });
  const pageUrl = `${deps.config.publicUrl}/connections/${analytics.connectionId}/bottlenecks${scopeQueryOf(container)}`;
  return {
    title: `Create a Jira ticket — ${finding.step}`,
    connectionId: analytics.connectionId,
    container,
    label: analytics.label,
    finding: ref,
    figures: findingFigures(finding),
    ticket,
    targets,
    choices: targets.flatMap((target) => target.projects.map((project) => ({ value: `${target.id}:${project}`, title: targets.length > 1 ? `${project} (${target.label})` : project }))),
    issueTypes,
    draft: ticketDraft(finding, { label: analytics.label, container, pageUrl, computedAt: analytics.computedAt }),
    // A fresh key per form: submitting it twice creates one issue.
    idempotencyKey: randomUUID(),
    action: `/connections/${analytics.connectionId}/bottlenecks/ticket${scopeQueryOf(container)}`,
    draftAction: `/connections/${analytics.connectionId}/bottlenecks/ticket/draft${scopeQueryOf(container)}`,
    canDraft: deps.assistant.claude.configured,
  };
}

function findingOf(analytics: AnalyticsView, key: string): FindingRef {
  return { connectionId: analytics.connectionId, scope: analytics.container ?? "", key };
}

async function jiraTargets(client: PoolClient): Promise<JiraTarget[]> {
  const { rows } = await client.query<{ id: string; label: string; config: { projects?: unknown } }>(
    "SELECT id, label, config FROM connections WHERE provider = 'jira' AND status = 'active' ORDER BY created_at",
  );
  return rows.map((row) => ({ id: row.id, label: row.label, projects: Array.isArray(row.config.projects) ? row.config.projects.filter((p): p is string => typeof p === "string") : [] }));
}

/** The issue types the connected Jira projects use, as their items show; Task first when it is one. */
async function issueTypesOf(client: PoolClient, targets: JiraTarget[]): Promise<string[]> {
  if (targets.length === 0) return [];
  const { rows } = await client.query<{ item_type: string }>("SELECT DISTINCT item_type FROM work_items WHERE connection_id = ANY($1) ORDER BY item_type LIMIT 50", [
    targets.map((target) => target.id),
  ]);
  const types = rows.map((row) => row.item_type);
  return ["Task", ...types.filter((type) => type !== "Task")];
}

/** Tickets already created from this scope's findings, by finding key. */
async function findingTickets(client: PoolClient, scope: FindingRef): Promise<Tickets> {
  const { rows } = await client.query<{ finding_key: string; issue_key: string; issue_url: string | null }>(
    "SELECT finding_key, issue_key, issue_url FROM created_tickets WHERE finding_connection_id = $1 AND finding_scope = $2 AND issue_key IS NOT NULL",
    [scope.connectionId, scope.scope],
  );
  return new Map(rows.map((row) => [row.finding_key, { issueKey: row.issue_key, issueUrl: row.issue_url }]));
}
