/**
 * The assistant against a local Anthropic Messages API: streamed and waited-for answers, the
 * exact request shown as "What was sent", Claude's failures and the organization's limits
 * each with a clear message, no key in any log, and one tenant never reaching another's.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { replySequence, startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import { connectAnalysedDemo, scanOutputOf, startDemoApp, type DemoApp } from "../support/demo.js";
import { Browser, invite, joinAsNewMember, signUp, startTestWeb, type TestWeb } from "../support/web.js";

const API_KEY = `sk-ant-test-${randomUUID()}`;
let anthropic: FakeAnthropic;
let app: DemoApp;
let tenantId: string;
let output: ScanOutput;

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ apiKey: API_KEY });
  app = await startDemoApp("Assistant", { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: anthropic.url, AI_TIMEOUT_SECONDS: "2" });
  const { rows } = await app.db.owner.query<{ id: string }>("SELECT id FROM tenants WHERE name = 'Assistant Co'");
  tenantId = rows[0]!.id;
  output = await scanOutputOf(app.owner, app.connectionId);
}, 60_000);

afterAll(async () => {
  await app.close();
  await anthropic.close();
});

beforeEach(async () => {
  anthropic.setReply(null);
  anthropic.requests.length = 0;
  await app.web.redis.del(`ai:tokens:${tenantId}:${new Date().toISOString().slice(0, 7)}`);
  const minute = Math.floor(Date.now() / 60_000);
  await app.web.redis.del(`ai:rate:${tenantId}:${minute}`, `ai:rate:${tenantId}:${minute + 1}`);
});

const assistantPath = () => `/connections/${app.connectionId}/assistant`;

const decode = (html: string) =>
  html.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x60;/g, "`").replace(/&#x3D;/g, "=").replace(/&amp;/g, "&");

/** Every "What was sent" on a page, decoded from its HTML. */
const sentBlocks = (html: string) => [...html.matchAll(/<pre data-sent>([^<]*)<\/pre>/g)].map((match) => decode(match[1]!));

/** Posts a question as the page's script does and reads the server-sent events until the stream ends. */
async function askStreaming(browser: Browser, question: string, extra: Record<string, string> = {}): Promise<{ event: string; data: Record<string, string> }[]> {
  await browser.get(assistantPath());
  const page = await browser.post(assistantPath(), { question, ...extra }, { accept: "text/event-stream" });
  expect(page.headers.get("content-type")).toMatch(/^text\/event-stream/);
  return page.body
    .split("\n\n")
    .filter(Boolean)
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)![1]!, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, string> }));
}

describe("asking the assistant", () => {
  it("streams the answer as it is written, then shows it rendered, with what was sent byte for byte", async () => {
    const answer = "**Code review** is where items wait longest.\n\n- median 3.1 days\n- <script>alert(1)</script>";
    anthropic.setReply(() => ({ kind: "answer", text: answer, chunkDelayMs: 5 }));
    const events = await askStreaming(app.owner, "Where do items wait longest?");
    const texts = events.filter((event) => event.event === "text");
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.map((event) => event.data.text).join("")).toBe(answer);
    const done = events.at(-1)!;
    expect(done.event).toBe("done");

    expect(anthropic.requests).toHaveLength(1);
    const sent = anthropic.requests[0]!;
    expect([sent.headers["x-api-key"], sent.headers.authorization]).toContainEqual(expect.stringContaining(API_KEY));
    const body = sent.body as { model: string; stream: boolean; system: string; messages: { role: string; content: string }[] };
    expect(body.stream).toBe(true);
    expect(body.messages).toEqual([{ role: "user", content: "Where do items wait longest?" }]);
    expect(body.system).toContain("<aggregates>");

    const page = await app.owner.get(done.data.url!);
    expect(page.status).toBe(200);
    expect(page.body).toContain("<strong>Code review</strong> is where items wait longest.");
    expect(page.body).not.toContain("<script>alert(1)");
    expect(sentBlocks(page.body)).toEqual([sent.rawBody]);
    // The same, read as text: the system prompt with its line breaks, then the messages.
    expect(decode(/<div class="sent-body" tabindex="0"><pre>([^<]*)<\/pre>/.exec(page.body)![1]!)).toBe(body.system);
    expect(decode(/<ol class="sent-messages">([\s\S]*?)<\/ol>/.exec(page.body)![1]!)).toContain('<strong>You:</strong> <span class="sent-text">Where do items wait longest?</span>');
    const file = await app.owner.get(/href="([^"]*\/assistant\/sent\/[^"]+)"/.exec(page.body)![1]!);
    expect(file.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(file.body).toBe(sent.rawBody);
  });

  it("without script, waits for the whole answer and shows the conversation", async () => {
    await app.owner.get(assistantPath());
    const posted = await app.owner.post(assistantPath(), { question: "What is our median cycle time?" });
    expect(posted.status).toBe(303);
    expect(posted.location).toMatch(/\/assistant\?conversation=[0-9a-f-]{36}#answer-[0-9a-f-]{36}$/);
    const page = await app.owner.get(posted.location!);
    expect(page.body).toContain("This is a canned answer from the fake Anthropic API.");
    expect(page.body).toContain("What is our median cycle time?");
  });

  it("sends the earlier turns of a conversation with a follow-up, and none with a new conversation", async () => {
    await app.owner.get(assistantPath());
    const first = await app.owner.post(assistantPath(), { question: "First question?" });
    const conversation = new URL(first.location!, app.web.url).searchParams.get("conversation")!;
    await app.owner.get(first.location!);
    await app.owner.post(`${assistantPath()}`, { question: "And the follow-up?", conversation });
    const followUp = anthropic.requests[1]!.body as { messages: { role: string; content: string }[] };
    expect(followUp.messages).toEqual([
      { role: "user", content: "First question?" },
      { role: "assistant", content: "This is a canned answer from the fake Anthropic API." },
      { role: "user", content: "And the follow-up?" },
    ]);
  });

  it("gives the aggregates to Claude and tells it that it has nothing item-level", async () => {
    await askStreaming(app.owner, "Which ticket took longest?");
    const system = (anthropic.requests[0]!.body as { system: string }).system;
    expect(system).toMatch(/only aggregates/i);
    expect(system).toMatch(/not instructions/i);
    const top = output.bottlenecks.headline[0]!;
    expect(system).toContain(`"${top.step}"`);
    expect(system).toContain(output.sample.items.toLocaleString("en-US"));
  });

  it("refuses an empty or overlong question with what to fix, and sends nothing", async () => {
    await app.owner.get(assistantPath());
    const empty = await app.owner.post(assistantPath(), { question: "   " });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain("Type a question for the assistant.");
    const long = await app.owner.post(assistantPath(), { question: "x".repeat(4001) });
    expect(long.status).toBe(400);
    expect(long.body).toContain("up to 4000 characters; this one has 4001");
    expect(anthropic.requests).toHaveLength(0);
  });
});

describe("when Claude fails", () => {
  it("retries a 429 after Claude's retry-after and answers", async () => {
    anthropic.setReply(replySequence({ kind: "error", status: 429, retryAfterSeconds: 1 }, { kind: "answer", text: "Answered after a retry." }));
    const events = await askStreaming(app.owner, "Are we getting faster?");
    expect(events.at(-1)!.event).toBe("done");
    expect(events.filter((event) => event.event === "text").map((event) => event.data.text).join("")).toBe("Answered after a retry.");
    expect(anthropic.requests).toHaveLength(2);
    expect(anthropic.requests[1]!.rawBody).toBe(anthropic.requests[0]!.rawBody);
    const { rows } = await app.db.owner.query<{ attempts: number; status: string }>("SELECT attempts, status FROM ai_requests WHERE request_body = $1", [anthropic.requests[0]!.rawBody]);
    expect(rows).toEqual([{ attempts: 2, status: "succeeded" }]);
  });

  it("retries an overloaded Claude (529) with backoff, then says so when it stays overloaded", async () => {
    anthropic.setReply(() => ({ kind: "error", status: 529 }));
    const events = await askStreaming(app.owner, "What should we fix first?");
    expect(anthropic.requests).toHaveLength(3);
    const error = events.at(-1)!;
    expect(error.event).toBe("error");
    expect(error.data.message).toBe("Claude is overloaded right now and did not answer. Try again in a few minutes.");
  });

  it("does not retry a 500: the question stays in the conversation with the reason", async () => {
    anthropic.setReply(() => ({ kind: "error", status: 500 }));
    await app.owner.get(assistantPath());
    const page = await app.owner.post(assistantPath(), { question: "Why is review slow?" });
    expect(page.status).toBe(502);
    expect(page.body).toContain("Claude&#x27;s API had an error and did not answer. Try again in a few minutes.");
    expect(anthropic.requests).toHaveLength(1);
    expect(page.body).toContain("Why is review slow?");
    expect(page.body).toContain("No answer:");
    expect(sentBlocks(page.body)).toContain(anthropic.requests[0]!.rawBody);
  });

  it("gives up when Claude does not answer in time", async () => {
    anthropic.setReply(() => ({ kind: "hang" }));
    const started = Date.now();
    const events = await askStreaming(app.owner, "Will we finish by Friday?");
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(events.at(-1)).toMatchObject({ event: "error", data: { message: "Claude did not finish answering in time. Try again, or ask a narrower question." } });
    expect(events.at(-1)!.data.url).toMatch(/\/assistant\?conversation=/);
  });

  it("says the answer was cut off when the stream breaks, and keeps no half answer", async () => {
    anthropic.setReply(() => ({ kind: "break-stream", textBeforeBreak: "The first half of" }));
    const events = await askStreaming(app.owner, "Tell me about rework.");
    expect(events.at(-1)).toMatchObject({ event: "error", data: { message: "The answer was cut off before it was finished. Ask again to get a whole one." } });
    expect(anthropic.requests).toHaveLength(1);
    const { rows } = await app.db.owner.query("SELECT 1 FROM ai_messages WHERE content LIKE 'The first half of%'");
    expect(rows).toHaveLength(0);
  });

  it("shows a question whose answer was never finished, its process stopped, as unanswered", async () => {
    await app.owner.get(assistantPath());
    const asked = await app.owner.post(assistantPath(), { question: "Will this answer survive a restart?" });
    const conversationUrl = asked.location!.split("#")[0]!;
    const requestId = /\/assistant\/sent\/([0-9a-f-]{36})/.exec((await app.owner.get(conversationUrl)).body)![1]!;
    // As a web process that stopped mid-answer leaves it: the request pending, no answer stored.
    await app.db.owner.query("DELETE FROM ai_messages WHERE request_id = $1 AND role = 'assistant'", [requestId]);
    await app.db.owner.query("UPDATE ai_requests SET status = 'pending', started_at = now() - interval '2 minutes' WHERE id = $1", [requestId]);
    expect((await app.owner.get(conversationUrl)).body).toContain("The answer is still being written.");
    await app.db.owner.query("UPDATE ai_requests SET started_at = now() - interval '16 minutes' WHERE id = $1", [requestId]);
    const page = await app.owner.get(conversationUrl);
    expect(page.body).toContain("No answer: The server stopped before the answer was finished. Ask again.");
    expect(page.body).not.toContain("The answer is still being written.");
  });
});

describe("the organization's limits", () => {
  it("refuses a question once the month's tokens are used, says when they come back, and sends nothing", async () => {
    await app.web.redis.set(`ai:tokens:${tenantId}:${new Date().toISOString().slice(0, 7)}`, String(app.web.config.ai.monthlyTokens));
    await app.owner.get(assistantPath());
    const page = await app.owner.post(assistantPath(), { question: "Is the month's budget gone?" });
    expect(page.status).toBe(429);
    const next = new Date();
    const resets = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
    expect(decode(page.body)).toContain(`The count starts again on ${resets}`);
    // What was typed is kept in the box.
    expect(page.body).toContain(">Is the month&#x27;s budget gone?</textarea>");
    expect(anthropic.requests).toHaveLength(0);
  });

  it("counts the tokens an answer used against the month", async () => {
    anthropic.setReply(() => ({ kind: "answer", text: "Counted.", inputTokens: 1234, outputTokens: 56 }));
    await askStreaming(app.owner, "How many tokens?");
    expect(await app.web.redis.get(`ai:tokens:${tenantId}:${new Date().toISOString().slice(0, 7)}`)).toBe("1290");
    const { rows } = await app.db.owner.query("SELECT purpose, status, input_tokens, output_tokens FROM ai_requests WHERE request_body = $1", [anthropic.requests[0]!.rawBody]);
    expect(rows).toEqual([{ purpose: "chat", status: "succeeded", input_tokens: 1234, output_tokens: 56 }]);
    const page = await app.owner.get(assistantPath());
    expect(page.body).toContain("has used 1,290 of its 2,000,000 tokens this month");
  });

  it("refuses more requests a minute than the organization may send", async () => {
    const minute = Math.floor(Date.now() / 60_000);
    for (const key of [`ai:rate:${tenantId}:${minute}`, `ai:rate:${tenantId}:${minute + 1}`]) await app.web.redis.set(key, String(app.web.config.ai.requestsPerMinute));
    const events = await askStreaming(app.owner, "One more?");
    expect(events.at(-1)).toMatchObject({ event: "error", data: { message: expect.stringContaining("times in the last minute, its limit, so nothing was sent") } });
    expect(anthropic.requests).toHaveLength(0);
  });
});

describe("without an API key", () => {
  let keyless: TestWeb;
  let owner: Browser;

  beforeAll(async () => {
    // The same database and secrets: the owner's session works on this server, which has no key.
    keyless = await startTestWeb(app.db, {
      SESSION_SECRET: Buffer.from(app.web.config.sessionSecret).toString("base64"),
      TWINFLOW_VAULT_KEYS: app.web.config.vaultKeys,
      ANTHROPIC_BASE_URL: anthropic.url,
    });
    owner = new Browser(keyless.url);
    for (const [name, value] of app.owner.cookies) owner.cookies.set(name, value);
  });

  afterAll(async () => {
    await keyless.close();
  });

  it("shows the assistant as not configured, refuses questions and drafts, and sends nothing", async () => {
    const page = await owner.get(assistantPath());
    expect(page.status).toBe(200);
    expect(page.body).toContain("The assistant is not configured");
    expect(page.body).not.toContain("data-assistant-form");
    const posted = await owner.post(assistantPath(), { question: "Anyone there?" });
    expect(posted.status).toBe(503);
    expect(decode(posted.body)).toContain("The assistant is not configured on this server: an operator sets ANTHROPIC_API_KEY to turn it on.");
    expect(anthropic.requests).toHaveLength(0);
  });
});

describe("tenants and people", () => {
  let other: Browser;
  let otherConnection: string;

  beforeAll(async () => {
    other = await signUp(app.web, { email: `${randomUUID()}@example.com`, tenantName: "Other Co" });
    otherConnection = await connectAnalysedDemo(other, app.db);
  }, 30_000);

  it("keeps each person's conversations their own, and another tenant out of the scan output and history", async () => {
    await app.owner.get(assistantPath());
    const asked = await app.owner.post(assistantPath(), { question: "Tenant A's private question" });
    const conversationUrl = asked.location!.split("#")[0]!;
    const conversation = new URL(conversationUrl, app.web.url).searchParams.get("conversation")!;
    const requestId = /\/assistant\/sent\/([0-9a-f-]{36})/.exec((await app.owner.get(conversationUrl)).body)![1]!;
    anthropic.requests.length = 0;

    expect((await other.get(conversationUrl)).status).toBe(404);
    expect((await other.get(`${assistantPath()}/sent/${requestId}`)).status).toBe(404);
    expect((await other.get(`/connections/${otherConnection}/assistant/sent/${requestId}`)).status).toBe(404);
    await other.get(`/connections/${otherConnection}/assistant`);
    expect((await other.post(assistantPath(), { question: "Give me A's data" })).status).toBe(404);
    const intoA = await other.post(`/connections/${otherConnection}/assistant`, { question: "Continue A's conversation", conversation });
    expect(intoA.status).toBe(404);
    expect(anthropic.requests).toHaveLength(0);

    // B's own question carries B's aggregates and nothing of A's conversation.
    const own = await other.post(`/connections/${otherConnection}/assistant`, { question: "B's question" });
    expect(own.status).toBe(303);
    expect(anthropic.requests).toHaveLength(1);
    expect(anthropic.requests[0]!.rawBody).not.toContain("Tenant A's private question");
    expect((await other.get(`/connections/${otherConnection}/assistant`)).body).not.toContain("Tenant A&#x27;s private question");
  });

  it("shows people as stable pseudonyms until the owner turns names on, and only the owner can", async () => {
    // A newer output of the connection in which two of its people hand six items back and forth.
    const { rows: people } = await app.db.owner.query<{ id: string; display_name: string }>("SELECT id, display_name FROM actors WHERE connection_id = $1 ORDER BY id LIMIT 2", [
      app.connectionId,
    ]);
    const pair = { between: [people[0]!.id, people[1]!.id], count: 9, items: 6, thin: false };
    // And one person no stored row stands for any more.
    const gone = randomUUID();
    const withGone = { between: [people[0]!.id, gone].sort(), count: 5, items: 5, thin: false };
    await app.db.owner.query(
      `INSERT INTO scan_outputs (tenant_id, scope, computed_at, output, connection_id, scan_id)
       SELECT tenant_id, scope, computed_at + interval '1 second', jsonb_set(output, '{handoffs,pingPongs}', $2::jsonb), connection_id, scan_id
       FROM scan_outputs WHERE scope = 'connection:' || $1 ORDER BY computed_at DESC LIMIT 1`,
      [app.connectionId, JSON.stringify([pair, withGone])],
    );
    const systemOf = (index: number) => (anthropic.requests[index]!.body as { system: string }).system.split("<aggregates>\n").at(-1)!;
    await askStreaming(app.owner, "Who hands work back and forth?");
    const pseudonyms = systemOf(0).match(/Person \d+/g);
    expect(new Set(pseudonyms).size).toBe(3);
    for (const { id, display_name } of people) {
      expect(systemOf(0)).not.toContain(display_name);
      expect(systemOf(0)).not.toContain(id);
    }
    expect(systemOf(0)).not.toContain(gone);
    await askStreaming(app.owner, "Again?");
    expect(systemOf(1).match(/Person \d+/g)).toEqual(pseudonyms);

    const member = await joinAsNewMember(app.web, await invite(app.owner, `${randomUUID()}@example.com`, "admin"));
    await member.get(assistantPath());
    expect((await member.post(`${assistantPath()}/names`, { names: "on" })).status).toBe(403);
    await askStreaming(app.owner, "Still pseudonyms?");
    expect(systemOf(2).match(/Person \d+/g)).toEqual(pseudonyms);

    await app.owner.get(assistantPath());
    expect((await app.owner.post(`${assistantPath()}/names`, { names: "on" })).status).toBe(303);
    await askStreaming(app.owner, "And with names?");
    for (const { display_name } of people) expect(systemOf(3)).toContain(display_name);
    // Only the person without a stored name keeps a pseudonym, the same one; no key is shown.
    const goneLabel = new Set(systemOf(3).match(/Person \d+/g));
    expect(goneLabel.size).toBe(1);
    expect(pseudonyms).toContain([...goneLabel][0]);
    expect(systemOf(3)).not.toContain(gone);
    await app.owner.post(`${assistantPath()}/names`, { names: "off" });
  });
});

describe("deleting a conversation", () => {
  it("deletes it with what was sent for it, for its owner only; the month's token count stays", async () => {
    anthropic.setReply(() => ({ kind: "answer", text: "To be deleted.", inputTokens: 100, outputTokens: 10 }));
    await app.owner.get(assistantPath());
    const asked = await app.owner.post(assistantPath(), { question: "Something to forget" });
    const conversationUrl = asked.location!.split("#")[0]!;
    const page = await app.owner.get(conversationUrl);
    const deletePath = decode(/<form method="post" action="([^"]+\/delete)"/.exec(page.body)![1]!);
    const requestId = /\/assistant\/sent\/([0-9a-f-]{36})/.exec(page.body)![1]!;
    const month = `ai:tokens:${tenantId}:${new Date().toISOString().slice(0, 7)}`;
    const used = await app.web.redis.get(month);

    // A teammate of the same organization cannot delete it, nor see it.
    const teammate = await joinAsNewMember(app.web, await invite(app.owner, `${randomUUID()}@example.com`));
    await teammate.get(assistantPath());
    expect((await teammate.post(deletePath, {})).status).toBe(404);
    expect((await teammate.get(conversationUrl)).status).toBe(404);

    const deleted = await app.owner.post(deletePath, {});
    expect(deleted.status).toBe(303);
    expect(deleted.location).toBe(assistantPath());
    expect((await app.owner.get(conversationUrl)).status).toBe(404);
    expect((await app.owner.get(`${assistantPath()}/sent/${requestId}`)).status).toBe(404);
    expect((await app.db.owner.query("SELECT 1 FROM ai_requests WHERE id = $1", [requestId])).rowCount).toBe(0);
    expect((await app.db.owner.query("SELECT 1 FROM ai_messages WHERE content = 'Something to forget'")).rowCount).toBe(0);
    expect(await app.web.redis.get(month)).toBe(used);
    expect((await app.owner.get(assistantPath())).body).not.toContain("Something to forget");
  });
});

describe("secrets", () => {
  it("never writes the API key to the log", () => {
    expect(app.web.logs.text.length).toBeGreaterThan(0);
    expect(app.web.logs.text).not.toContain(API_KEY);
    expect(app.web.logs.text).toContain("Claude did not answer");
  });
});
