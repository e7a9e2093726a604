import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { addDemoData, findingStep } from "./connection-steps.js";
import { startBrowserHarness, type BrowserHarness } from "./harness.js";
import { signUpWithTheForm } from "./sign-in-steps.js";

/**
 * Markdown long enough to stream for a few seconds, one word per event: the first words show
 * in the page well before the closing ones are written.
 */
const ANSWER = [
  "**Code review** is where items wait longest in this view.",
  "",
  "- Items queue there for a median of several days before anyone picks them up.",
  "- The wait grew over the last weeks while the time spent working stayed flat.",
  "",
  "Start by capping the reviews in progress and pairing reviewers this sprint.",
].join("\n");
const FIRST_WORDS = "Code review";
const LAST_WORDS = "pairing reviewers this sprint.";
/** Slow enough that a streaming page is seen part way, fast enough for a short test. */
const CHUNK_DELAY_MS = 60;
const API_ERROR = "Claude's API had an error and did not answer. Try again in a few minutes.";
/** Where a conversation is shown, and the answer the page scrolls to after a question. */
const CONVERSATION_URL = /\/assistant\?(?:.*&)?conversation=[0-9a-f-]{36}(?:&[^#]*)?#answer-[0-9a-f-]{36}$/;

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness();
});

afterAll(async () => {
  await harness?.close();
});

beforeEach(() => {
  harness.anthropic.setReply(null);
});

describe("the assistant in a real browser", () => {
  it("explains a bottleneck: the question prefilled, the answer streamed into the page, then shown rendered with what was sent", { timeout: 60_000 }, async () => {
    const tour = await harness.tour("assistant");
    const { page } = tour;
    await signUpWithTheForm(tour, { organization: "Assistant Co", email: "assistant-owner@example.com" });
    const connectionPath = await addDemoData(tour);

    await tour.visit(`${connectionPath}/bottlenecks`, "bottlenecks");
    const finding = page.locator("li.finding").first();
    const step = await findingStep(finding);
    await finding.getByRole("link", { name: "Explain this bottleneck" }).click();
    await page.waitForURL((url) => url.pathname === `${connectionPath}/assistant` && url.searchParams.has("finding"));
    await expect(page.getByLabel("Ask about this view").inputValue()).resolves.toContain(`"${step}"`);
    await expect(page.locator('input[type="hidden"][name="finding"]').inputValue()).resolves.toBe(new URL(page.url()).searchParams.get("finding"));
    await tour.check("assistant-explain");

    harness.anthropic.setReply(() => ({ kind: "answer", text: ANSWER, chunkDelayMs: CHUNK_DELAY_MS }));
    const sentBefore = harness.anthropic.requests.length;
    const [posted] = await Promise.all([page.waitForRequest((request) => request.method() === "POST"), page.getByRole("button", { name: "Ask", exact: true }).click()]);
    await expect(posted.allHeaders().then((headers) => headers.accept), "the page's script asks for the stream").resolves.toBe("text/event-stream");
    const streaming = page.locator(".message.answer.streaming .text");
    await streaming.filter({ hasText: FIRST_WORDS }).waitFor();
    await expect(streaming.textContent(), "the answer shows while it is still being written").resolves.not.toContain(LAST_WORDS);

    await page.waitForURL(CONVERSATION_URL);
    const answer = page.locator(new URL(page.url()).hash);
    await expect(answer.locator(".markdown strong").first().textContent()).resolves.toBe("Code review");
    await expect(answer.locator(".markdown li").count()).resolves.toBe(2);
    await expect(answer.locator(".markdown").textContent()).resolves.toContain(LAST_WORDS);
    expect(harness.anthropic.requests, "one request to Claude for one question").toHaveLength(sentBefore + 1);
    const sent = harness.anthropic.requests[sentBefore]!;
    await answer.getByText("What was sent", { exact: true }).click();
    // Read as text first: the rules and aggregates with their line breaks, then the conversation.
    const { system, messages } = sent.body as { system: string; messages: { content: string }[] };
    await expect(answer.locator(".sent-body pre").first().textContent()).resolves.toBe(system);
    await expect(answer.locator(".sent-messages .sent-text").last().textContent()).resolves.toBe(messages.at(-1)!.content);
    await answer.getByText(/^The request body byte for byte/).click();
    const sentBlock = answer.locator("pre[data-sent]");
    await sentBlock.waitFor({ state: "visible" });
    expect(await sentBlock.textContent(), "What was sent is the request body, byte for byte").toBe(sent.rawBody);
    await tour.check("assistant-answered");
  });

  it("works without script: the form waits for the whole answer and lands on the conversation", { timeout: 60_000 }, async () => {
    const tour = await harness.tour("assistant-no-script", { javaScriptEnabled: false });
    const { page } = tour;
    await signUpWithTheForm(tour, { organization: "No Script Co", email: "no-script-owner@example.com" });
    const connectionPath = await addDemoData(tour);
    await tour.visit(`${connectionPath}/assistant`, "assistant");

    harness.anthropic.setReply(() => ({ kind: "answer", text: ANSWER, chunkDelayMs: 5 }));
    await page.getByLabel("Ask about this view").fill("Where do items wait longest?");
    const [posted] = await Promise.all([page.waitForRequest((request) => request.method() === "POST"), page.getByRole("button", { name: "Ask", exact: true }).click()]);
    await page.waitForURL(CONVERSATION_URL);
    // The form's own post, answered once the whole answer is stored with a redirect to it.
    await expect(posted.allHeaders().then((headers) => headers.accept)).resolves.toMatch(/^text\/html,/);
    await expect(posted.response().then((response) => response?.status())).resolves.toBe(303);
    const answer = page.locator(new URL(page.url()).hash);
    await expect(answer.locator(".markdown strong").first().textContent()).resolves.toBe("Code review");
    await expect(answer.locator(".markdown").textContent()).resolves.toContain(LAST_WORDS);
    await expect(page.locator(".message.question .text").last().textContent()).resolves.toBe("Where do items wait longest?");
    await tour.check("assistant-answered");
  });

  it("shows Claude's failure in the page, with a link to the conversation that keeps the question", { timeout: 60_000 }, async () => {
    const tour = await harness.tour("assistant-error");
    const { page } = tour;
    await signUpWithTheForm(tour, { organization: "Error Co", email: "error-owner@example.com" });
    const connectionPath = await addDemoData(tour);
    await tour.visit(`${connectionPath}/assistant`, "assistant");

    harness.anthropic.setReply(() => ({ kind: "error", status: 500 }));
    await page.getByLabel("Ask about this view").fill("Why is the review queue so long?");
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe(`${API_ERROR} Open the conversation.`);
    // The half-written answer is gone; the question stays, and Ask can be used again.
    await expect(page.locator(".message.answer").count()).resolves.toBe(0);
    await expect(page.getByRole("button", { name: "Ask", exact: true }).isEnabled()).resolves.toBe(true);
    await tour.check("assistant-error");

    await alert.getByRole("link", { name: "Open the conversation." }).click();
    await page.waitForURL(/[?&]conversation=[0-9a-f-]{36}/);
    const question = page.locator(".message.question").last();
    await expect(question.locator(".text").textContent()).resolves.toBe("Why is the review queue so long?");
    await expect(question.getByRole("alert").textContent()).resolves.toBe(`No answer: ${API_ERROR}`);
    await tour.check("assistant-error-conversation");
  });
});
