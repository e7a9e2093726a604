/**
 * A local Anthropic Messages API: `POST /v1/messages`, answered as JSON or as a server-sent
 * event stream, with Anthropic's error format and statuses. Every request is recorded with its
 * body exactly as received, and each reply can be scripted: an answer, an error, a request that
 * never gets an answer, or a stream cut off half way.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedAnthropicRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The request body exactly as received, byte for byte (utf8 string). */
  rawBody: string;
  /** rawBody parsed as JSON (undefined when it is not JSON). */
  body: unknown;
}

export type AnthropicReply =
  | { kind: "answer"; text: string; inputTokens?: number; outputTokens?: number; chunkDelayMs?: number }
  | { kind: "error"; status: 400 | 401 | 429 | 500 | 529; retryAfterSeconds?: number; message?: string }
  | { kind: "hang" } // accepts the request and never answers (until close)
  | { kind: "break-stream"; textBeforeBreak: string }; // streams some deltas then destroys the socket mid-stream

export type AnthropicReplyFunction = (request: RecordedAnthropicRequest, index: number) => AnthropicReply;

export interface FakeAnthropicOptions {
  apiKey: string;
  /**
   * Decides each reply; called with the recorded request and its 0-based index. Default: answer with a short text that echoes nothing from the request.
   * Only requests that pass the key check and validation get this far; the others are answered 401, 400 or 404 without it.
   */
  reply?: AnthropicReplyFunction;
}

export interface FakeAnthropic {
  url: string; // e.g. http://127.0.0.1:PORT  (the SDK's baseURL)
  requests: RecordedAnthropicRequest[];
  setReply(reply: AnthropicReplyFunction | null): void;
  close(): Promise<void>;
}

/** What the default reply says: fixed, so a test can tell that nothing of the request came back. */
export const DEFAULT_ANSWER_TEXT = "This is a canned answer from the fake Anthropic API.";

const defaultReply: AnthropicReplyFunction = () => ({ kind: "answer", text: DEFAULT_ANSWER_TEXT });

type ErrorStatus = Extract<AnthropicReply, { kind: "error" }>["status"] | 404;

const ERROR_TYPES: Readonly<Record<ErrorStatus, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  404: "not_found_error",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

const DEFAULT_ERROR_MESSAGES: Readonly<Record<ErrorStatus, string>> = {
  400: "Invalid request.",
  401: "invalid x-api-key",
  404: "Not found.",
  429: "This request would exceed the rate limit for your organization. Please try again later.",
  500: "Internal server error",
  529: "Overloaded",
};

/** The API always names a wait on a 429; this is the fake's when the reply names none. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

export async function startFakeAnthropic(options: FakeAnthropicOptions): Promise<FakeAnthropic> {
  const requests: RecordedAnthropicRequest[] = [];
  let reply: AnthropicReplyFunction = options.reply ?? defaultReply;
  const sockets = new Set<Socket>();
  const pauses = new Set<() => void>();
  let closing: Promise<void> | null = null;

  /** A pause between stream events that close() cuts short, so no timer outlives the fake. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pauses.add(done);
    });

  // noDelay: each stream event must leave as its own packet rather than wait for the next.
  const server = createServer({ noDelay: true }, (incoming, response) => {
    void (async () => {
      const request = await record(incoming);
      const index = requests.length;
      requests.push(request);
      const requestId = newId("req_");
      response.setHeader("request-id", requestId);
      const refusal = refuse(request, options.apiKey);
      if (refusal) return sendError(response, requestId, refusal.status, refusal.message);
      let chosen: AnthropicReply;
      try {
        chosen = reply(request, index);
      } catch (err) {
        return sendError(response, requestId, 500, `The fake's reply function threw: ${String(err)}`);
      }
      const body = request.body as MessagesBody;
      await answer(response, requestId, chosen, { model: body.model, stream: body.stream === true, rawBody: request.rawBody }, pause);
    })().catch(() => {
      // The client went away while the request was read or answered; nothing is left to tell it.
      response.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setReply(next) {
      reply = next ?? defaultReply;
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Hung requests and open streams would keep server.close() waiting for ever.
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
        for (const done of [...pauses]) done();
      });
      return closing;
    },
  };
}

/** A reply function giving these replies in order, one per call, then the last one forever. */
export function replySequence(...replies: AnthropicReply[]): AnthropicReplyFunction {
  if (replies.length === 0) throw new Error("replySequence needs at least one reply");
  // Counts its own calls rather than using the request index, so that it starts from the first
  // reply when installed by setReply() after requests were made, and 401s or 400s skip no reply.
  let calls = 0;
  return () => replies[Math.min(calls++, replies.length - 1)]!;
}

async function record(incoming: IncomingMessage): Promise<RecordedAnthropicRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString("utf8");
  let body: unknown;
  try {
    body = rawBody === "" ? undefined : (JSON.parse(rawBody) as unknown);
  } catch {
    body = undefined;
  }
  return { method: incoming.method ?? "GET", path: new URL(incoming.url ?? "/", "http://fake.invalid").pathname, headers: incoming.headers, rawBody, body };
}

interface MessagesBody {
  model?: unknown;
  max_tokens?: unknown;
  system?: unknown;
  messages?: unknown;
  stream?: unknown;
}

/** The 404, 401 or 400 the API gives before any model runs, or null for a request it would serve. */
function refuse(request: RecordedAnthropicRequest, apiKey: string): { status: ErrorStatus; message: string } | null {
  if (request.method !== "POST" || request.path !== "/v1/messages") return { status: 404, message: `Not found: ${request.method} ${request.path}` };
  const authFailure = authenticate(request.headers, apiKey);
  if (authFailure) return { status: 401, message: authFailure };
  if (!request.headers["anthropic-version"]) return { status: 400, message: "anthropic-version: header is required" };
  const invalid = validate(request);
  return invalid ? { status: 400, message: invalid } : null;
}

/**
 * The key may come as `x-api-key` (the documented header) or as `Authorization: Bearer`, which
 * is how @anthropic-ai/sdk 1.x sends an `apiKey`. Returns why it is refused, or null.
 */
function authenticate(headers: IncomingHttpHeaders, apiKey: string): string | null {
  const header = headers["x-api-key"];
  if (header !== undefined) return header === apiKey ? null : "invalid x-api-key";
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
  if (bearer !== undefined) return bearer === apiKey ? null : "invalid x-api-key";
  return "x-api-key header is required";
}

/** The checks the API makes on every Messages request, with messages in its `field: problem` style. */
function validate(request: RecordedAnthropicRequest): string | null {
  if (request.body === undefined) return request.rawBody === "" ? "request body: Field required" : "There was an issue with the request body: it is not valid JSON";
  const body = request.body as MessagesBody;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "request body: Input should be an object";
  if (body.model === undefined) return "model: Field required";
  if (typeof body.model !== "string" || body.model === "") return "model: Input should be a non-empty string";
  if (body.max_tokens === undefined) return "max_tokens: Field required";
  if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens)) return "max_tokens: Input should be a valid integer";
  if (body.max_tokens < 1) return "max_tokens: Input should be greater than or equal to 1";
  if (body.stream !== undefined && typeof body.stream !== "boolean") return "stream: Input should be a valid boolean";
  if (body.system !== undefined && typeof body.system !== "string" && !isBlockList(body.system)) return "system: Input should be a valid string or a list of text blocks";
  if (body.messages === undefined) return "messages: Field required";
  if (!Array.isArray(body.messages)) return "messages: Input should be a valid list";
  if (body.messages.length === 0) return "messages: at least one message is required";
  let previousRole: unknown;
  for (const [i, message] of (body.messages as unknown[]).entries()) {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    if (role !== "user" && role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (typeof content !== "string" && !isBlockList(content)) return `messages.${i}.content: Input should be a valid string or a list of content blocks`;
    if (i === 0 && role !== "user") return `messages: first message must use the "user" role`;
    if (role === previousRole) return `messages: roles must alternate between "user" and "assistant", but found multiple "${role}" roles in a row`;
    previousRole = role;
  }
  return null;
}

const isBlockList = (value: unknown) =>
  Array.isArray(value) && value.every((block) => typeof block === "object" && block !== null && typeof (block as { type?: unknown }).type === "string");

interface AnswerContext {
  model: unknown;
  stream: boolean;
  rawBody: string;
}

async function answer(response: ServerResponse, requestId: string, reply: AnthropicReply, context: AnswerContext, pause: (ms: number) => Promise<void>): Promise<void> {
  switch (reply.kind) {
    case "error":
      return sendError(response, requestId, reply.status, reply.message, reply.retryAfterSeconds ?? (reply.status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined));
    case "hang":
      // Left unanswered: the client's timeout, or close(), ends it.
      return;
    case "answer": {
      const usage = {
        input_tokens: reply.inputTokens ?? Math.ceil(context.rawBody.length / 4),
        output_tokens: reply.outputTokens ?? Math.ceil(reply.text.length / 4),
      };
      if (!context.stream) return sendJson(response, 200, message(context.model, [{ type: "text", text: reply.text }], "end_turn", usage));
      return stream(response, context, reply.text, usage, reply.chunkDelayMs ?? 0, pause);
    }
    case "break-stream": {
      const usage = { input_tokens: Math.ceil(context.rawBody.length / 4), output_tokens: 0 };
      if (context.stream) return stream(response, context, reply.textBeforeBreak, usage, 0, pause, { breakAfterDeltas: true });
      // A plain answer cut off part way through its JSON.
      const json = JSON.stringify(message(context.model, [{ type: "text", text: reply.textBeforeBreak }], "end_turn", usage));
      response.writeHead(200, { "content-type": "application/json" });
      await write(response, json.slice(0, json.indexOf('"stop_reason"')));
      response.destroy();
      return;
    }
  }
}

function message(model: unknown, content: unknown[], stopReason: string | null, usage: { input_tokens: number; output_tokens: number }) {
  return { id: newId("msg_01"), type: "message", role: "assistant", model, content, stop_reason: stopReason, stop_sequence: null, usage };
}

/** The event sequence of a streamed text answer, each event written (and flushed) on its own. */
async function stream(
  response: ServerResponse,
  context: AnswerContext,
  text: string,
  usage: { input_tokens: number; output_tokens: number },
  delayMs: number,
  pause: (ms: number) => Promise<void>,
  { breakAfterDeltas = false } = {},
): Promise<void> {
  response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  response.flushHeaders();
  // message_start carries a provisional output count, as the API's does; message_delta has the final one.
  const events: [string, unknown][] = [
    ["message_start", { type: "message_start", message: message(context.model, [], null, { input_tokens: usage.input_tokens, output_tokens: 1 }) }],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
    ["ping", { type: "ping" }],
    ...textChunks(text).map((chunk): [string, unknown] => ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: chunk } }]),
  ];
  if (!breakAfterDeltas) {
    events.push(
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }],
      ["message_stop", { type: "message_stop" }],
    );
  }
  for (const [i, [event, data]] of events.entries()) {
    if (i > 0 && delayMs > 0) await pause(delayMs);
    if (!(await write(response, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`))) return;
  }
  // Destroyed without the closing chunk, the client sees the body end early, as when a connection drops.
  if (breakAfterDeltas) response.destroy();
  else response.end();
}

/** Word-sized pieces (each with the whitespace before it) that join back to exactly `text`. */
function textChunks(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** Resolves once the chunk is handed to the socket; false if the client is gone. */
function write(response: ServerResponse, chunk: string): Promise<boolean> {
  if (response.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    // A write pending when the socket closes may never call back; the close settles it instead.
    const onClose = () => resolve(false);
    response.once("close", onClose);
    response.write(chunk, (err) => {
      response.off("close", onClose);
      resolve(!err);
    });
  });
}

function sendError(response: ServerResponse, requestId: string, status: ErrorStatus, message?: string, retryAfterSeconds?: number): void {
  if (retryAfterSeconds !== undefined) response.setHeader("retry-after", String(retryAfterSeconds));
  sendJson(response, status, { type: "error", error: { type: ERROR_TYPES[status], message: message ?? DEFAULT_ERROR_MESSAGES[status] }, request_id: requestId });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

/** An id shaped like the API's: a prefix and 24 base62 characters. */
function newId(prefix: string): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return prefix + [...randomBytes(24)].map((byte) => alphabet[byte % alphabet.length]).join("");
}
