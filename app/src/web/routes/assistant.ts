import Router from "@koa/router";
import { askAssistant, MAX_QUESTION_LENGTH, questionOf, type ConversationRef } from "../../ai/assistant.js";
import { conversationIn, conversationsAbout, deleteConversation, messagesOf, type ConversationScope } from "../../ai/conversations.js";
import { describableFindings } from "../../ai/context.js";
import { sentBodiesOf, sentBodyOf } from "../../ai/request-records.js";
import { suggestedQuestions } from "../../ai/suggested-questions.js";
import type { Principal } from "../../auth/principal.js";
import { withMember, withTenant } from "../../platform/db/tenant.js";
import { AppError, notFound } from "../../platform/errors.js";
import { isUuid } from "../../platform/ids.js";
import { analyticsHeader, loadAnalyticsView, type AnalyticsView } from "../analytics-view.js";
import { assistantSubject } from "../assistant-subject.js";
import type { WebDeps } from "../deps.js";
import { openEventStream, wantsEventStream } from "../event-stream.js";
import { field } from "../form.js";
import { answerHtml } from "../markdown.js";
import { renderPage, requirePrincipal, uuidParam, type WebContext } from "../page.js";
import { sentDisclosure } from "../sent-disclosure.js";
import { requireContainer } from "../stored-outputs.js";
import type { RequestState } from "../state.js";
import { findingsByKey } from "../ticket-draft.js";
import { assistantShowsNames, setAssistantShowsNames } from "../tenant-settings.js";

/** The assistant page's own parameters, kept apart from the view's scope and filters. */
const PAGE_PARAMS = ["conversation", "ask", "finding"];

interface PageInput {
  conversationId: string | null;
  /** The question box's text: a suggestion followed, a finding to explain, or a question refused. */
  question: string;
  finding: string | null;
  error?: string;
}

/** The assistant: questions about a view's aggregates, answered by Claude, each with what was sent for it. */
export function assistantRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();

  router.get("/connections/:id/assistant", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const view = await viewOf(ctx, deps, principal);
    const finding = queryValue(ctx, "finding");
    renderPage(ctx, deps.render, "assistant", await assistantPage(deps, principal, view, { conversationId: queryValue(ctx, "conversation"), question: queryValue(ctx, "ask") ?? seedQuestion(view, finding), finding }));
  });

  router.post("/connections/:id/assistant", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const view = await viewOf(ctx, deps, principal);
    const asker = { tenantId: principal.tenantId, userId: principal.userId };
    const posted = field(ctx, "conversation");
    const conversation: ConversationRef = isUuid(posted) ? { id: posted } : { about: scopeOf(view) };
    const finding = field(ctx, "finding") || null;
    const ask = async (hooks: Parameters<typeof askAssistant>[5]) => {
      if ("id" in conversation) await withMember(deps.pool, asker, (client) => conversationIn(client, scopeOf(view), conversation.id));
      const question = questionOf(field(ctx, "question"));
      const subject = await assistantSubject(deps, principal, view, finding ?? undefined);
      return askAssistant(deps.assistant, asker, conversation, question, subject, hooks);
    };
    if (wantsEventStream(ctx)) {
      const events = openEventStream(ctx);
      let conversationId = "id" in conversation ? conversation.id : null;
      void ask({ onText: (text) => events.send("text", { text }), onConversation: (id) => (conversationId = id) })
        .then((answered) => events.send("done", { url: `${conversationUrl(view, answered.conversationId)}#answer-${answered.answerId}` }))
        .catch((err: unknown) => {
          if (!(err instanceof AppError)) ctx.state.log.error({ err }, "the assistant failed");
          const message = err instanceof AppError ? err.message : "Something went wrong on TwinFlow's side. It has been logged.";
          events.send("error", { message, url: conversationId ? conversationUrl(view, conversationId) : null });
        })
        .finally(() => events.end());
      return;
    }
    // Without script the answer is waited for, then shown on the conversation's page.
    let stored: string | null = null;
    try {
      const answered = await ask({ onConversation: (id) => (stored = id) });
      ctx.status = 303;
      ctx.redirect(`${conversationUrl(view, answered.conversationId)}#answer-${answered.answerId}`);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      // A question that was sent is in the conversation, shown with why it has no answer; one refused before is kept in the box.
      const conversationId = stored ?? ("id" in conversation ? conversation.id : null);
      const page = await assistantPage(deps, principal, view, { conversationId, question: stored ? "" : field(ctx, "question"), finding, error: err.message });
      renderPage(ctx, deps.render, "assistant", page, err.status);
    }
  });

  router.post("/connections/:id/assistant/conversations/:conversationId/delete", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const view = await viewOf(ctx, deps, principal);
    const conversationId = uuidParam(ctx, "conversationId", "conversation");
    await withMember(deps.pool, { tenantId: principal.tenantId, userId: principal.userId }, (client) => deleteConversation(client, scopeOf(view), conversationId));
    ctx.status = 303;
    ctx.redirect(`/connections/${view.connectionId}/assistant${view.filterQuery}`);
  });

  router.get("/connections/:id/assistant/sent/:requestId", async (ctx) => {
    const principal = requirePrincipal(ctx);
    uuidParam(ctx, "id", "connection");
    const requestId = uuidParam(ctx, "requestId", "request");
    const body = await withTenant(deps.pool, principal.tenantId, (client) => sentBodyOf(client, requestId, principal.userId));
    if (body === null) throw notFound("There is no request of yours with that id.");
    ctx.type = "application/json; charset=utf-8";
    ctx.set("Cache-Control", "no-store");
    ctx.body = body;
  });

  router.post("/connections/:id/assistant/names", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const id = uuidParam(ctx, "id", "connection");
    await withTenant(deps.pool, principal.tenantId, async (client) => {
      await requireContainer(client, id, null);
      await setAssistantShowsNames(client, principal, field(ctx, "names") === "on");
    });
    ctx.status = 303;
    ctx.redirect(`/connections/${id}/assistant`);
  });

  return router;
}

function viewOf(ctx: WebContext, deps: WebDeps, principal: Principal): Promise<AnalyticsView> {
  return loadAnalyticsView(deps, { tenantId: principal.tenantId, timeZone: ctx.state.timeZone }, uuidParam(ctx, "id", "connection"), ctx.query, PAGE_PARAMS);
}

function scopeOf(view: AnalyticsView): ConversationScope {
  return { connectionId: view.connectionId, scope: view.container ?? "" };
}

function queryValue(ctx: WebContext, name: string): string | null {
  const value = ctx.query[name];
  return typeof value === "string" && value !== "" ? value : null;
}

function conversationUrl(view: AnalyticsView, conversationId: string): string {
  const params = new URLSearchParams(view.filterQuery);
  params.set("conversation", conversationId);
  return `/connections/${view.connectionId}/assistant?${params}`;
}

/**
 * The question "Explain this bottleneck" opens the assistant with. A finding too small to
 * describe is not named, as its figures are not sent either: the assistant says so.
 */
function seedQuestion(view: AnalyticsView, findingKey: string | null): string {
  const finding = findingKey === null ? undefined : findingsByKey(view.output.bottlenecks).get(findingKey);
  if (!finding) return "";
  if (!describableFindings(view.output)(finding)) return "Explain the bottleneck I opened this from: why do items wait there, and what should we try first?";
  const where = finding.to === null ? `in "${finding.step}"` : `between "${finding.step}" and "${finding.to}"`;
  return `Explain the bottleneck ${where}: why do items wait there, and what should we try first?`;
}

async function assistantPage(deps: WebDeps, principal: Principal, view: AnalyticsView, input: PageInput) {
  const asker = { tenantId: principal.tenantId, userId: principal.userId };
  const about = scopeOf(view);
  const { conversations, conversation, messages, bodies, showsNames } = await withMember(deps.pool, asker, async (client) => {
    const conversation = input.conversationId && isUuid(input.conversationId) ? await conversationIn(client, about, input.conversationId) : null;
    const messages = conversation ? await messagesOf(client, conversation.id) : [];
    return {
      conversations: await conversationsAbout(client, about),
      conversation,
      messages,
      bodies: await sentBodiesOf(client, messages.map((message) => message.request.id), principal.userId),
      showsNames: await assistantShowsNames(client),
    };
  });
  const month = await deps.assistant.limits.month(principal.tenantId);
  const base = `/connections/${view.connectionId}/assistant`;
  const scopeParams = new URLSearchParams(view.filterQuery);
  const withParam = (name: string, value: string) => {
    const params = new URLSearchParams(scopeParams);
    params.set(name, value);
    return `${base}?${params}`;
  };
  return {
    title: `Assistant — ${view.label}`,
    analytics: analyticsHeader(view, "assistant", Object.fromEntries(input.conversationId ? [["conversation", input.conversationId]] : [])),
    container: view.container,
    configured: deps.assistant.claude.configured,
    model: deps.assistant.claude.model,
    conversations: conversations.map((one) => ({ ...one, href: withParam("conversation", one.id), current: one.id === conversation?.id })),
    newHref: `${base}${view.filterQuery}`,
    conversation,
    messages: messages.map((message) => ({
      ...message,
      html: message.role === "assistant" ? answerHtml(message.content) : null,
      failed: message.role === "user" && message.request.status === "failed",
      pending: message.role === "user" && message.request.status === "pending",
      ...sentDisclosure(bodies.get(message.request.id) ?? "", view.connectionId, message.request.id),
    })),
    question: input.question,
    finding: input.finding,
    error: input.error,
    maxQuestionLength: MAX_QUESTION_LENGTH,
    action: `${base}${view.filterQuery}`,
    suggestions: suggestedQuestions(view.output).map((text) => ({ text, href: withParam("ask", text) })),
    usage: { used: month.used, limit: month.limit, resetsOn: month.resetsAt.toISOString().slice(0, 10) },
    showsNames,
    isOwner: principal.role === "owner",
    namesAction: `${base}/names`,
    deleteAction: conversation ? `${base}/conversations/${conversation.id}/delete${view.filterQuery}` : null,
  };
}
