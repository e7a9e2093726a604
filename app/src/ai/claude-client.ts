import Anthropic from "@anthropic-ai/sdk";
import type { Logger } from "pino";
import type { AiConfig } from "../config.js";
import { AppError } from "../platform/errors.js";

export interface ClaudeMessage {
  role: "user" | "assistant";
  content: string;
}

/** What the assistant asks: the rules and aggregates (system) and the conversation. */
export interface ClaudeRequest {
  system: string;
  messages: ClaudeMessage[];
}

export interface ClaudeAnswer {
  text: string;
  inputTokens: number;
  outputTokens: number;
  attempts: number;
}

export interface AnswerHooks {
  /** Called with the exact request body before it first leaves the process; a throw stops the request. */
  beforeSend(body: string): Promise<void>;
  /** Each piece of the answer as it streams in. */
  onText?(delta: string): void;
}

/** Attempts in all for a request Claude turns away as too many (429) or overloaded (529). */
export const MAX_ATTEMPTS = 3;
const FIRST_BACKOFF_MS = 500;
/** A retry-after longer than this is not waited for: the user is told to come back instead. */
const LONGEST_WAIT_MS = 20_000;

export type AssistantErrorCode =
  | "ai_not_configured"
  | "ai_rate_limited"
  | "ai_overloaded"
  | "ai_timeout"
  | "ai_refused_key"
  | "ai_rejected"
  | "ai_unavailable"
  | "ai_unreachable"
  | "ai_interrupted";

const MESSAGES: Record<AssistantErrorCode, { status: number; message: string }> = {
  ai_not_configured: { status: 503, message: "The assistant is not configured on this server: an operator sets ANTHROPIC_API_KEY to turn it on. Nothing was sent." },
  ai_rate_limited: { status: 503, message: "Claude is receiving too many requests from this server right now. Try again in a minute." },
  ai_overloaded: { status: 503, message: "Claude is overloaded right now and did not answer. Try again in a few minutes." },
  ai_timeout: { status: 504, message: "Claude did not finish answering in time. Try again, or ask a narrower question." },
  ai_refused_key: { status: 502, message: "Claude's API refused this server's key. An operator should check ANTHROPIC_API_KEY." },
  ai_rejected: { status: 502, message: "Claude's API could not take this request. Start a new conversation, or ask a shorter question." },
  ai_unavailable: { status: 502, message: "Claude's API had an error and did not answer. Try again in a few minutes." },
  ai_unreachable: { status: 502, message: "TwinFlow could not reach Claude's API. Try again in a few minutes; if it persists, an operator should check the server's network." },
  ai_interrupted: { status: 502, message: "The answer was cut off before it was finished. Ask again to get a whole one." },
};

export class AssistantError extends AppError {
  constructor(code: AssistantErrorCode) {
    super(code, MESSAGES[code].status, MESSAGES[code].message);
  }
}

export interface ClaudeClientOptions {
  config: AiConfig;
  log: Logger;
  /** Tests shorten the waits between attempts. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Claude's Messages API through the official SDK, streaming. The SDK's own retries are off so
 * that exactly 429 and 529 are retried, with backoff, within one deadline for the whole answer;
 * every byte sent is handed to `beforeSend` first, so "What was sent" is what left.
 */
export class ClaudeClient {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ClaudeClientOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get configured(): boolean {
    return this.options.config.apiKey !== undefined;
  }

  get model(): string {
    return this.options.config.model;
  }

  async answer(request: ClaudeRequest, hooks: AnswerHooks): Promise<ClaudeAnswer> {
    const { config, log } = this.options;
    if (!config.apiKey) throw new AssistantError("ai_not_configured");
    const deadline = Date.now() + config.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), config.timeoutMs);
    let sentBody: string | null = null;
    // A failure to record the request is TwinFlow's own, not Claude's: it surfaces as itself.
    let ownFailure: unknown = null;
    const client = new Anthropic({
      apiKey: config.apiKey,
      baseURL: config.baseUrl,
      maxRetries: 0,
      timeout: config.timeoutMs,
      // The SDK's own lines go through the scrubbing log at warn and above; ANTHROPIC_LOG cannot turn on its debug output of requests.
      logLevel: "warn",
      logger: sdkLogger(log),
      fetch: async (url, init) => {
        const body = typeof init?.body === "string" ? init.body : "";
        try {
          if (sentBody === null) await hooks.beforeSend(body);
          else if (body !== sentBody) throw new Error("a retry would send a different body than the one recorded");
        } catch (err) {
          ownFailure = err;
          throw err;
        }
        sentBody = body;
        return fetch(url, init);
      },
    });
    try {
      for (let attempt = 1; ; attempt += 1) {
        let streamed = false;
        try {
          const result = await this.once(client, request, controller.signal, (delta) => {
            streamed = true;
            hooks.onText?.(delta);
          });
          return { ...result, attempts: attempt };
        } catch (err) {
          if (ownFailure !== null) throw ownFailure;
          const code = controller.signal.aborted ? "ai_timeout" : codeOf(err, streamed);
          const wait = waitBeforeRetry(err, attempt);
          const retry = !streamed && (code === "ai_rate_limited" || code === "ai_overloaded") && attempt < MAX_ATTEMPTS && wait !== null && Date.now() + wait < deadline;
          log.warn({ code, attempt, status: err instanceof Anthropic.APIError ? err.status : undefined, anthropicRequestId: requestIdOf(err), retry }, "Claude did not answer");
          if (!retry || wait === null) throw new AssistantError(code);
          await this.sleep(wait);
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async once(client: Anthropic, request: ClaudeRequest, signal: AbortSignal, onText: (delta: string) => void): Promise<Omit<ClaudeAnswer, "attempts">> {
    const { config } = this.options;
    const stream = await client.messages.create(
      { model: config.model, max_tokens: config.maxOutputTokens, system: request.system, messages: request.messages, stream: true },
      { signal },
    );
    let text = "";
    let inputTokens = 0;
    let outputTokens = 0;
    let stopped = false;
    for await (const event of stream) {
      if (event.type === "message_start") inputTokens = event.message.usage.input_tokens;
      else if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
        text += event.delta.text;
        onText(event.delta.text);
      } else if (event.type === "message_delta") outputTokens = event.usage.output_tokens;
      else if (event.type === "message_stop") stopped = true;
    }
    if (!stopped) throw new StreamCutOff();
    return { text, inputTokens, outputTokens };
  }
}

class StreamCutOff extends Error {}

function sdkLogger(log: Logger) {
  const line = (level: "error" | "warn" | "info" | "debug") => (message: string, ...details: unknown[]) => log[level]({ sdk: "anthropic", details }, message);
  return { error: line("error"), warn: line("warn"), info: line("info"), debug: line("debug") };
}

function codeOf(err: unknown, streamed: boolean): AssistantErrorCode {
  if (err instanceof Anthropic.APIConnectionTimeoutError) return "ai_timeout";
  if (err instanceof StreamCutOff) return "ai_interrupted";
  if (err instanceof Anthropic.APIConnectionError) return streamed ? "ai_interrupted" : "ai_unreachable";
  if (err instanceof Anthropic.APIError) {
    // An error event inside a stream has no status; its type says what happened.
    const type = err.type ?? (err.error as { error?: { type?: string } } | undefined)?.error?.type;
    if (err.status === 429 || type === "rate_limit_error") return "ai_rate_limited";
    if (err.status === 529 || type === "overloaded_error") return "ai_overloaded";
    if (err.status === 401 || err.status === 403) return "ai_refused_key";
    if (err.status === 400 || err.status === 413 || err.status === 404) return "ai_rejected";
    return streamed ? "ai_interrupted" : "ai_unavailable";
  }
  return streamed ? "ai_interrupted" : "ai_unreachable";
}

/** How long to wait before the next attempt: Claude's retry-after when it gives one, else doubling from half a second. */
function waitBeforeRetry(err: unknown, attempt: number): number | null {
  const header = err instanceof Anthropic.APIError ? err.headers?.get("retry-after") : null;
  const seconds = header ? Number(header) : Number.NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000 > LONGEST_WAIT_MS ? null : seconds * 1000;
  return FIRST_BACKOFF_MS * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
}

function requestIdOf(err: unknown): string | undefined {
  return err instanceof Anthropic.APIError ? (err.requestID ?? undefined) : undefined;
}
