import type { ScanOutput } from "../analysis/scan-output.js";
import type { Pool, PoolClient } from "../platform/db/pool.js";
import { withMember } from "../platform/db/tenant.js";
import { AppError, badRequest } from "../platform/errors.js";
import { AssistantError, type ClaudeClient, type ClaudeMessage, type ClaudeRequest } from "./claude-client.js";
import { buildContext, estimateTokens } from "./context.js";
import { addMessage, messagesOf, startConversation, type ConversationScope, type StoredMessage } from "./conversations.js";
import { systemPromptWith } from "./prompt.js";
import { finishRequest, recordRequest, type RequestPurpose } from "./request-records.js";
import type { AssistantLimits } from "./usage-limits.js";

export interface AssistantDeps {
  pool: Pool;
  claude: ClaudeClient;
  limits: AssistantLimits;
  /** Most tokens of aggregates sent with a question. */
  contextTokens: number;
}

/** Who asks: one person of one organization. */
export interface Asker {
  tenantId: string;
  userId: string;
}

/** The aggregates an answer is drawn from, and how to write them. */
export interface Subject {
  output: ScanOutput;
  scopeLabel: string;
  /** A person's pseudonym, or their name where the owner turned names on. */
  personLabel: (personKey: string) => string;
  timeZone: string;
  /** A bottleneck finding's key, put first in the context. */
  focusFinding?: string;
}

export const MAX_QUESTION_LENGTH = 4000;
/** Earlier questions and answers sent along, newest kept. */
const HISTORY_TURNS = 8;

/** A question as typed, trimmed; a clear refusal when it is empty or too long. */
export function questionOf(raw: string): string {
  const question = raw.trim();
  if (question === "") throw badRequest("empty_question", "Type a question for the assistant.");
  if (question.length > MAX_QUESTION_LENGTH) {
    throw badRequest("question_too_long", `Questions can be up to ${MAX_QUESTION_LENGTH} characters; this one has ${question.length}. Shorten it and ask again.`);
  }
  return question;
}

/** An existing conversation, or the scope a new one is about (started with the question, once it is sent). */
export type ConversationRef = { id: string } | { about: ConversationScope };

export interface Answered {
  conversationId: string;
  answerId: string;
  requestId: string;
  answer: string;
}

/** Asks the question in the conversation, with its earlier turns; the question and answer are stored with the request that carried them. */
export interface AskHooks {
  onText?: (delta: string) => void;
  /** The conversation the question is stored in, once it is (before the answer). */
  onConversation?: (conversationId: string) => void;
}

export async function askAssistant(deps: AssistantDeps, asker: Asker, conversation: ConversationRef, question: string, subject: Subject, hooks: AskHooks = {}): Promise<Answered> {
  const history = "id" in conversation ? await withMember(deps.pool, asker, (client) => messagesOf(client, conversation.id)) : [];
  const request: ClaudeRequest = { system: systemPromptWith(contextOf(deps, subject)), messages: [...answeredTurns(history), { role: "user", content: question }] };
  let conversationId = "id" in conversation ? conversation.id : null;
  let answerId = "";
  const sent = await sendToClaude(deps, asker, "chat", request, {
    onRecorded: async (client, requestId) => {
      conversationId ??= (await startConversation(client, asker, (conversation as { about: ConversationScope }).about, question)).id;
      await addMessage(client, asker, { conversationId, role: "user", content: question, requestId });
      hooks.onConversation?.(conversationId);
    },
    onAnswered: async (client, requestId, answer) => {
      answerId = await addMessage(client, asker, { conversationId: conversationId!, role: "assistant", content: answer, requestId });
    },
    onText: hooks.onText,
  });
  return { conversationId: conversationId!, answerId, requestId: sent.requestId, answer: sent.text };
}

export function contextOf(deps: Pick<AssistantDeps, "contextTokens">, subject: Subject) {
  return buildContext(subject.output, {
    scopeLabel: subject.scopeLabel,
    personLabel: subject.personLabel,
    tokenBudget: deps.contextTokens,
    focusFinding: subject.focusFinding,
    timeZone: subject.timeZone,
  });
}

interface SendHooks {
  /** In the transaction that records the request, before it is sent. */
  onRecorded?: (client: PoolClient, requestId: string) => Promise<void>;
  /** In the transaction that records the answer. */
  onAnswered?: (client: PoolClient, requestId: string, answer: string) => Promise<void>;
  onText?: (delta: string) => void;
}

/**
 * One request to Claude under the organization's limits: the body is stored before it leaves,
 * the outcome and usage after. Nothing is sent without a key or past a limit.
 */
export async function sendToClaude(deps: AssistantDeps, asker: Asker, purpose: RequestPurpose, request: ClaudeRequest, hooks: SendHooks = {}): Promise<{ requestId: string; text: string }> {
  if (!deps.claude.configured) throw new AssistantError("ai_not_configured");
  await deps.limits.admit(asker.tenantId, estimateTokens(request.system + request.messages.map((message) => message.content).join("\n")));
  let requestId: string | null = null;
  try {
    const answer = await deps.claude.answer(request, {
      beforeSend: async (body) => {
        requestId = await withMember(deps.pool, asker, async (client) => {
          const id = await recordRequest(client, { ...asker, purpose, model: deps.claude.model, body });
          await hooks.onRecorded?.(client, id);
          return id;
        });
      },
      onText: hooks.onText,
    });
    const id = requestId!;
    await deps.limits.record(asker.tenantId, answer.inputTokens + answer.outputTokens);
    await withMember(deps.pool, asker, async (client) => {
      await finishRequest(client, id, { status: "succeeded", attempts: answer.attempts, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens });
      await hooks.onAnswered?.(client, id, answer.text);
    });
    return { requestId: id, text: answer.text };
  } catch (err) {
    const failed = requestId;
    if (failed !== null) {
      const outcome = err instanceof AppError ? { errorCode: err.code, errorMessage: err.message } : { errorCode: "internal", errorMessage: "Something went wrong on TwinFlow's side." };
      await withMember(deps.pool, asker, (client) => finishRequest(client, failed, { status: "failed", ...outcome }));
    }
    throw err;
  }
}

/** The conversation so far as Claude takes it: questions that got an answer, with the answer, oldest first. */
function answeredTurns(history: readonly StoredMessage[]): ClaudeMessage[] {
  const turns: ClaudeMessage[][] = [];
  for (const [index, message] of history.entries()) {
    const next = history[index + 1];
    if (message.role === "user" && next?.role === "assistant" && next.request.id === message.request.id) {
      turns.push([{ role: "user", content: message.content }, { role: "assistant", content: next.content }]);
    }
  }
  return turns.slice(-HISTORY_TURNS).flat();
}
