import Anthropic, { APIError } from "@anthropic-ai/sdk";
import type { MessageCreateParamsNonStreaming, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_ANSWER_TEXT, replySequence, startFakeAnthropic, type FakeAnthropic } from "./anthropic.js";

const API_KEY = "sk-ant-fake-0000000000000000";
const MODEL = "claude-test-1";
const TEXT = "The flow of work moves from review to done in four days.";

const params: MessageCreateParamsNonStreaming = {
  model: MODEL,
  max_tokens: 256,
  system: "You summarise workflow metrics.",
  messages: [{ role: "user", content: "Summarise: héllo 🌊 wörld" }],
};

let fake: FakeAnthropic;

beforeEach(async () => {
  fake = await startFakeAnthropic({ apiKey: API_KEY });
});

afterEach(async () => {
  await fake.close();
});

const clientFor = (options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}) =>
  new Anthropic({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0, ...options });

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (err: unknown) => err,
  );
}

/** A request sent without the SDK, to check what it would not send. */
async function post(body: string, headers: Record<string, string> = { "x-api-key": API_KEY, "anthropic-version": "2023-06-01" }, path = "/v1/messages") {
  const response = await fetch(`${fake.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { type: string; error: { type: string; message: string }; request_id: string } };
}

describe("fake Anthropic Messages API", () => {
  it("answers a create call with the text and token usage", async () => {
    fake.setReply(() => ({ kind: "answer", text: TEXT }));
    const message = await clientFor().messages.create(params);

    expect(message.content).toEqual([{ type: "text", text: TEXT }]);
    expect(message).toMatchObject({ type: "message", role: "assistant", model: MODEL, stop_reason: "end_turn", stop_sequence: null });
    expect(message.id).toMatch(/^msg_/);
    const [request] = fake.requests;
    expect(message.usage).toEqual({ input_tokens: Math.ceil(request!.rawBody.length / 4), output_tokens: Math.ceil(TEXT.length / 4) });
    expect(message._request_id).toMatch(/^req_/);
    expect(request).toMatchObject({ method: "POST", path: "/v1/messages", body: params });
  });

  it("uses the token counts a reply names", async () => {
    fake.setReply(() => ({ kind: "answer", text: TEXT, inputTokens: 1234, outputTokens: 56 }));
    const message = await clientFor().messages.create(params);
    expect(message.usage).toEqual({ input_tokens: 1234, output_tokens: 56 });
  });

  it("by default answers with a fixed text that echoes nothing of the request", async () => {
    const message = await clientFor().messages.create(params);
    expect(message.content).toEqual([{ type: "text", text: DEFAULT_ANSWER_TEXT }]);
  });

  it("records the body byte for byte as the SDK sent it, and the SDK's headers", async () => {
    const sent: unknown[] = [];
    const recordingFetch = (input: string | URL | Request, init?: RequestInit) => {
      sent.push(init?.body);
      return globalThis.fetch(input, init);
    };
    const client = clientFor({ fetch: recordingFetch });
    await client.messages.create(params);
    await client.messages.stream(params).finalMessage();

    expect(sent).toHaveLength(2);
    expect(fake.requests.map((request) => request.rawBody)).toEqual(sent);
    // create() sends the params as they are; the stream helper adds `stream: true`.
    expect(fake.requests[0]!.rawBody).toBe(JSON.stringify(params));
    expect(fake.requests[1]!.rawBody).toBe(JSON.stringify({ ...params, stream: true }));
    // SDK 1.x sends the key as a bearer token, not in x-api-key.
    expect(fake.requests[0]!.headers).toMatchObject({ authorization: `Bearer ${API_KEY}`, "content-type": "application/json" });
    expect(fake.requests[0]!.headers["x-api-key"]).toBeUndefined();
    expect(fake.requests[0]!.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(fake.requests[1]!.headers["x-stainless-helper-method"]).toBe("stream");
  });

  it("streams text deltas in the protocol's event order, over time", async () => {
    fake.setReply(() => ({ kind: "answer", text: TEXT, chunkDelayMs: 20 }));
    const stream = await clientFor().messages.create({ ...params, stream: true });
    const events: RawMessageStreamEvent[] = [];
    const arrivals: number[] = [];
    for await (const event of stream) {
      events.push(event);
      arrivals.push(Date.now());
    }

    const deltas = events.flatMap((event) => (event.type === "content_block_delta" && event.delta.type === "text_delta" ? [event.delta.text] : []));
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe(TEXT);
    expect(events.map((event) => event.type)).toEqual([
      "message_start",
      "content_block_start",
      ...deltas.map(() => "content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[0]).toMatchObject({ message: { model: MODEL, content: [], usage: { input_tokens: Math.ceil(fake.requests[0]!.rawBody.length / 4) } } });
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: Math.ceil(TEXT.length / 4) } });
    // A delay between every event (ping included): they cannot all have come in one read.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(15 * events.length);
  });

  it("frames each event as server-sent events, a ping among them, each flushed on its own", async () => {
    fake.setReply(() => ({ kind: "answer", text: "one two three", chunkDelayMs: 30 }));
    const response = await fetch(`${fake.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": API_KEY, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ ...params, stream: true }),
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("request-id")).toMatch(/^req_/);
    const reads: string[] = [];
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) reads.push(decoder.decode(chunk as Uint8Array, { stream: true }));

    const text = reads.join("");
    const names = [...text.matchAll(/^event: (\w+)\ndata: (.*)\n\n/gm)].map(([, name, data]) => {
      expect((JSON.parse(data!) as { type: string }).type).toBe(name);
      return name;
    });
    expect(names).toEqual(["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    expect(reads.length).toBeGreaterThan(names.length / 2);
  });

  it("serves the SDK's stream helper and its final message", async () => {
    fake.setReply(() => ({ kind: "answer", text: TEXT }));
    const stream = clientFor().messages.stream(params);
    const texts: string[] = [];
    stream.on("text", (delta) => texts.push(delta));
    const message = await stream.finalMessage();

    expect(texts.join("")).toBe(TEXT);
    expect(message.content).toEqual([{ type: "text", text: TEXT }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBe(Math.ceil(TEXT.length / 4));
  });

  it("refuses a wrong key with 401 and still records the request", async () => {
    const error = await rejection(new Anthropic({ apiKey: "sk-ant-wrong", baseURL: fake.url, maxRetries: 0 }).messages.create(params));
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error).toMatchObject({ status: 401, type: "authentication_error" });
    expect((error as APIError).requestID).toMatch(/^req_/);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.headers.authorization).toBe("Bearer sk-ant-wrong");
  });

  it("takes the key from x-api-key too, and refuses a request without one", async () => {
    const accepted = await fetch(`${fake.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": API_KEY, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    expect(accepted.status).toBe(200);
    const missing = await post(JSON.stringify(params), { "anthropic-version": "2023-06-01" });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ type: "error", error: { type: "authentication_error", message: "x-api-key header is required" }, request_id: missing.headers.get("request-id") });
    const wrong = await post(JSON.stringify(params), { "x-api-key": "nope", "anthropic-version": "2023-06-01" });
    expect(wrong.body.error).toEqual({ type: "authentication_error", message: "invalid x-api-key" });
  });

  it("answers 429 with retry-after, and the SDK with maxRetries 0 does not retry", async () => {
    fake.setReply(() => ({ kind: "error", status: 429, retryAfterSeconds: 7 }));
    const error = await rejection(clientFor().messages.create(params));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as APIError).headers?.get("retry-after")).toBe("7");
    expect((error as APIError).type).toBe("rate_limit_error");
    expect(fake.requests).toHaveLength(1);
  });

  it("answers 529 overloaded and 500 api_error", async () => {
    fake.setReply(replySequence({ kind: "error", status: 529 }, { kind: "error", status: 500, message: "boom" }));
    const overloaded = await rejection(clientFor().messages.create(params));
    expect(overloaded).toBeInstanceOf(APIError);
    expect(overloaded).toMatchObject({ status: 529, type: "overloaded_error" });
    const internal = await rejection(clientFor().messages.create(params));
    expect(internal).toBeInstanceOf(Anthropic.InternalServerError);
    expect(internal).toMatchObject({ status: 500, type: "api_error", apiMessage: "boom" });
  });

  it("hangs until the SDK's timeout gives up", async () => {
    fake.setReply(() => ({ kind: "hang" }));
    const started = Date.now();
    const error = await rejection(clientFor({ timeout: 300 }).messages.create(params));
    expect(error).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.requests).toHaveLength(1);
  });

  it("shows that the SDK's timeout only covers the wait for headers, not a slow stream", async () => {
    fake.setReply(() => ({ kind: "answer", text: "one two three four five", chunkDelayMs: 60 }));
    const stream = await clientFor({ timeout: 150 }).messages.create({ ...params, stream: true });
    const started = Date.now();
    let count = 0;
    for await (const event of stream) count += event.type === "content_block_delta" ? 1 : 0;
    expect(count).toBe(5);
    expect(Date.now() - started).toBeGreaterThan(300);
  });

  it("ends hung requests and open streams promptly on close", async () => {
    fake.setReply(replySequence({ kind: "hang" }, { kind: "answer", text: "slow ".repeat(100), chunkDelayMs: 1_000 }));
    const hung = post(JSON.stringify(params)).catch((err: unknown) => err);
    const stream = await clientFor().messages.create({ ...params, stream: true });
    const reading = (async () => {
      for await (const event of stream) void event;
    })().catch((err: unknown) => err);
    await expect.poll(() => fake.requests.length).toBe(2);

    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await hung).toBeInstanceOf(Error);
    expect(await reading).toBeInstanceOf(Error);
  });

  it("breaks a stream part way, and the SDK's iteration throws after the deltas sent", async () => {
    fake.setReply(() => ({ kind: "break-stream", textBeforeBreak: "half of the" }));
    const stream = await clientFor().messages.create({ ...params, stream: true });
    const texts: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of stream) if (event.type === "content_block_delta" && event.delta.type === "text_delta") texts.push(event.delta.text);
      })(),
    );
    expect(error).toBeInstanceOf(Error);
    expect(texts.join("")).toBe("half of the");
  });

  it("breaks a plain answer part way through its JSON", async () => {
    fake.setReply(() => ({ kind: "break-stream", textBeforeBreak: "half" }));
    await expect(clientFor().messages.create(params)).rejects.toThrow();
  });

  it("gives replySequence's replies in order, then the last one for ever", async () => {
    fake.setReply(
      replySequence({ kind: "answer", text: "first" }, { kind: "error", status: 500 }, { kind: "answer", text: "last" }),
    );
    const client = clientFor();
    const outcome = () =>
      client.messages.create(params).then(
        (message) => (message.content[0]?.type === "text" ? message.content[0].text : "?"),
        (err: unknown) => (err instanceof APIError ? err.status : "?"),
      );
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await outcome());
    expect(outcomes).toEqual(["first", 500, "last", "last", "last"]);

    fake.setReply(null);
    expect(await outcome()).toBe(DEFAULT_ANSWER_TEXT);
  });

  it("passes the reply function each request and its index", async () => {
    const seen: [string, number][] = [];
    fake.setReply((request, index) => {
      seen.push([request.rawBody, index]);
      return { kind: "answer", text: `answer ${index}` };
    });
    const client = clientFor();
    await client.messages.create(params);
    const second = await client.messages.create({ ...params, max_tokens: 9 });
    expect(seen).toEqual([
      [fake.requests[0]!.rawBody, 0],
      [fake.requests[1]!.rawBody, 1],
    ]);
    expect(second.content).toEqual([{ type: "text", text: "answer 1" }]);
  });

  it.each([
    ["no model", { ...params, model: undefined }, "model: Field required"],
    ["zero max_tokens", { ...params, max_tokens: 0 }, "max_tokens: Input should be greater than or equal to 1"],
    ["fractional max_tokens", { ...params, max_tokens: 1.5 }, "max_tokens: Input should be a valid integer"],
    ["no messages", { ...params, messages: [] }, "messages: at least one message is required"],
    ["an assistant first", { ...params, messages: [{ role: "assistant", content: "hi" }] }, 'messages: first message must use the "user" role'],
    [
      "two user turns in a row",
      { ...params, messages: [{ role: "user", content: "a" }, { role: "user", content: "b" }] },
      'messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row',
    ],
    ["an unknown role", { ...params, messages: [{ role: "system", content: "a" }] }, "messages.0.role: Input should be 'user' or 'assistant'"],
  ])("answers 400 invalid_request_error for %s", async (_name, body, message) => {
    const reply = await post(JSON.stringify(body));
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ type: "error", error: { type: "invalid_request_error", message }, request_id: reply.headers.get("request-id") });
  });

  it("surfaces a 400 through the SDK as BadRequestError", async () => {
    const error = await rejection(clientFor().messages.create({ ...params, messages: [{ role: "assistant", content: "hi" }] }));
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({ status: 400, type: "invalid_request_error" });
  });

  it("records a body that is not JSON and refuses it", async () => {
    const reply = await post("{not json");
    expect(reply.status).toBe(400);
    expect(fake.requests[0]).toMatchObject({ rawBody: "{not json", body: undefined });
  });

  it("answers 404 in Anthropic's error format anywhere else, and records it", async () => {
    const response = await fetch(`${fake.url}/v1/models`, { headers: { "x-api-key": API_KEY } });
    expect(response.status).toBe(404);
    expect(response.headers.get("request-id")).toMatch(/^req_/);
    expect(await response.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect(fake.requests).toMatchObject([{ method: "GET", path: "/v1/models" }]);
  });
});
