/**
 * The client's own rules, against the local Messages API: what it retries and how long it
 * waits, that a request it could not record is never sent, and one deadline for an answer.
 */
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { replySequence, startFakeAnthropic, type FakeAnthropic } from "../../../test/fakes/anthropic.js";
import { freePort } from "../../../test/support/net.js";
import type { AiConfig } from "../config.js";
import { AssistantError, ClaudeClient, MAX_ATTEMPTS } from "./claude-client.js";

const API_KEY = `sk-ant-test-${randomUUID()}`;
let anthropic: FakeAnthropic;
let waits: number[];

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ apiKey: API_KEY });
});

afterAll(async () => {
  await anthropic.close();
});

beforeEach(() => {
  anthropic.setReply(null);
  anthropic.requests.length = 0;
  waits = [];
});

function client(overrides: Partial<AiConfig> = {}): ClaudeClient {
  const config: AiConfig = {
    apiKey: API_KEY,
    baseUrl: anthropic.url,
    model: "claude-test",
    maxOutputTokens: 256,
    contextTokens: 1000,
    timeoutMs: 5_000,
    requestsPerMinute: 10,
    monthlyTokens: 100_000,
    ...overrides,
  };
  return new ClaudeClient({ config, log: pino({ level: "silent" }), sleep: async (ms) => void waits.push(ms) });
}

const request = { system: "rules", messages: [{ role: "user" as const, content: "Why?" }] };
const recorded = () => {
  const bodies: string[] = [];
  return { bodies, hooks: { beforeSend: async (body: string) => void bodies.push(body) } };
};

describe("the Claude client", () => {
  it("records the exact body once, then streams the answer with its usage", async () => {
    anthropic.setReply(() => ({ kind: "answer", text: "Because.", inputTokens: 12, outputTokens: 3 }));
    const { bodies, hooks } = recorded();
    const pieces: string[] = [];
    const answer = await client().answer(request, { ...hooks, onText: (delta) => pieces.push(delta) });
    expect(answer).toEqual({ text: "Because.", inputTokens: 12, outputTokens: 3, attempts: 1 });
    expect(pieces.join("")).toBe("Because.");
    expect(bodies).toEqual([anthropic.requests[0]!.rawBody]);
  });

  it("retries an overloaded Claude with doubling waits, then gives up with a clear error", async () => {
    anthropic.setReply(() => ({ kind: "error", status: 529 }));
    const { bodies, hooks } = recorded();
    await expect(client().answer(request, hooks)).rejects.toMatchObject({ code: "ai_overloaded", status: 503 });
    expect(anthropic.requests).toHaveLength(MAX_ATTEMPTS);
    expect(new Set(anthropic.requests.map((one) => one.rawBody)).size).toBe(1);
    expect(bodies).toHaveLength(1);
    expect(waits).toHaveLength(MAX_ATTEMPTS - 1);
    expect(waits[0]).toBeGreaterThanOrEqual(375);
    expect(waits[0]).toBeLessThanOrEqual(625);
    expect(waits[1]).toBeGreaterThanOrEqual(750);
    expect(waits[1]).toBeLessThanOrEqual(1250);
  });

  it("waits as long as Claude's retry-after says, and not at all when that is too long", async () => {
    anthropic.setReply(replySequence({ kind: "error", status: 429, retryAfterSeconds: 2 }, { kind: "answer", text: "Now." }));
    expect((await client().answer(request, recorded().hooks)).attempts).toBe(2);
    expect(waits).toEqual([2000]);

    waits = [];
    anthropic.requests.length = 0;
    anthropic.setReply(() => ({ kind: "error", status: 429, retryAfterSeconds: 60 }));
    await expect(client().answer(request, recorded().hooks)).rejects.toMatchObject({ code: "ai_rate_limited" });
    expect(anthropic.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it("does not retry what a retry cannot fix", async () => {
    for (const [status, code] of [
      [500, "ai_unavailable"],
      [400, "ai_rejected"],
    ] as const) {
      anthropic.requests.length = 0;
      anthropic.setReply(() => ({ kind: "error", status }));
      await expect(client().answer(request, recorded().hooks)).rejects.toMatchObject({ code });
      expect(anthropic.requests, String(status)).toHaveLength(1);
    }
    const wrongKey = client({ apiKey: "sk-ant-wrong" });
    await expect(wrongKey.answer(request, recorded().hooks)).rejects.toMatchObject({ code: "ai_refused_key" });
  });

  it("says Claude's API cannot be reached when nothing answers at its address", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    await expect(client({ baseUrl: closed }).answer(request, recorded().hooks)).rejects.toMatchObject({ code: "ai_unreachable", status: 502 });
  });

  it("sends nothing when the request cannot be recorded, and says what failed", async () => {
    const failure = new Error("the database is down");
    await expect(client().answer(request, { beforeSend: () => Promise.reject(failure) })).rejects.toBe(failure);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("gives one deadline to the whole answer, however slowly it streams", async () => {
    anthropic.setReply(() => ({ kind: "answer", text: "word ".repeat(40), chunkDelayMs: 100 }));
    const started = Date.now();
    const failure = await client({ timeoutMs: 1_000 }).answer(request, recorded().hooks).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AssistantError);
    expect(failure).toMatchObject({ code: "ai_timeout", status: 504 });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("is not configured without a key, and sends nothing", async () => {
    const keyless = client({ apiKey: undefined });
    expect(keyless.configured).toBe(false);
    await expect(keyless.answer(request, recorded().hooks)).rejects.toMatchObject({ code: "ai_not_configured" });
    expect(anthropic.requests).toHaveLength(0);
  });
});
