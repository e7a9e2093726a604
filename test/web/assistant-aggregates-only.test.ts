/**
 * What reaches Claude, end to end: a Jira whose every content field, person and free-format id
 * carries a canary, and the demo data, are scanned and analysed; then every path that sends
 * to Claude is taken for every scope of both (streamed and waited-for questions, follow-ups,
 * "Explain this bottleneck" for every finding, "Draft with Claude"). Every body the fake
 * Messages API received holds aggregates only: no canary, no item, event or person id, no
 * person's name, and no step too small to be named; and each is what its page says was sent.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describableFindings, MIN_GROUP_ITEMS } from "../../app/src/ai/context.js";
import { findingKey } from "../../app/src/analysis/bottlenecks.js";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { connectionScope, containerScope } from "../../app/src/scans/scan-output-store.js";
import { startFakeAnthropic, DEFAULT_ANSWER_TEXT, type FakeAnthropic } from "../fakes/anthropic.js";
import { injectCanaries, injectIdCanaries, injectPersonCanaries, loadJiraFixtures, startFakeJira, type FakeJira } from "../fakes/jira.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { connectAnalysedDemo } from "../support/demo.js";
import { signUp, untilScansSettle, type Browser } from "../support/web.js";

const CANARY = `canary-${randomUUID()}`;
const API_KEY = `sk-ant-test-${randomUUID()}`;
const JIRA_LOGIN = { email: "scanner@example.com", token: `jira-token-${randomUUID()}` };
const DRAFT = { summary: "Shorten the wait in the team's longest queue", description: "Drafted from TwinFlow aggregates; no item-level data was used." };

let anthropic: FakeAnthropic;
let jira: FakeJira;
let app: TestApp;
let owner: Browser;
let demoId: string;
let jiraId: string;

/** What one recorded request was sent for: which connection and scope, and from which path. */
interface Sent {
  index: number;
  connectionId: string;
  container: string | null;
  kind: "streamed" | "no-js" | "follow-up" | "explain" | "draft";
}
const sent: Sent[] = [];

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ apiKey: API_KEY });
  const fixtures = injectIdCanaries(injectPersonCanaries(injectCanaries(loadJiraFixtures(), CANARY), CANARY), CANARY);
  const projects = [...new Set(fixtures.issues.map((issue) => issue.fields.project.key))].sort();
  // Every change item comes back whatever the client asks: the connector alone must drop content.
  jira = await startFakeJira({ ...fixtures, auth: JIRA_LOGIN, honourFieldIds: false });
  // A limit per minute above what this file sends, so no question is refused on the way.
  app = await startTestApp({ ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: anthropic.url, AI_REQUESTS_PER_MINUTE: "10000" });
  owner = await signUp(app.web, { email: `${randomUUID()}@example.com`, tenantName: "Aggregates Co" });
  demoId = await connectAnalysedDemo(owner, app.db);
  await owner.get("/connections");
  // The API-token form: it takes a backfill long enough for the recorded 2020–2021 history, and
  // any active Jira connection is a target the ticket form offers.
  const created = await owner.post("/connections", {
    provider: "jira",
    label: "Recorded Jira",
    siteUrl: jira.url,
    projects: projects.join(" "),
    email: JIRA_LOGIN.email,
    token: JIRA_LOGIN.token,
    backfillDays: "3650",
  });
  expect(created.status, created.body.slice(0, 2000)).toBe(302);
  jiraId = created.location!.split("/").pop()!;
  await untilScansSettle(owner, created.location!, 60_000);
  await untilStored(jiraId);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await jira?.close();
  await anthropic?.close();
});

async function untilStored(connectionId: string): Promise<void> {
  for (let tries = 0; tries < 400; tries += 1) {
    const stored = await app.db.owner.query("SELECT 1 FROM scan_outputs WHERE connection_id = $1", [connectionId]);
    if (stored.rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the scan output of ${connectionId} was not stored`);
}

const decode = (html: string) =>
  html.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x60;/g, "`").replace(/&#x3D;/g, "=").replace(/&amp;/g, "&");

/** Every "What was sent" on a page, decoded from its HTML. */
const sentBlocks = (html: string) => [...html.matchAll(/<pre data-sent>([^<]*)<\/pre>/g)].map((match) => decode(match[1]!));

const scopeQuery = (container: string | null) => (container === null ? "" : `?${new URLSearchParams({ container })}`);

const rawBodies = (indexes: readonly number[]) => indexes.map((index) => anthropic.requests[index]!.rawBody);

/** Runs `action`, which must send exactly one request to Claude, and notes what it was sent for. */
async function sendsOne<T>(what: Omit<Sent, "index">, action: () => Promise<T>): Promise<{ result: T; index: number }> {
  const index = anthropic.requests.length;
  const result = await action();
  expect(anthropic.requests.length, `${what.kind} in ${what.connectionId} ${what.container ?? "(all)"}`).toBe(index + 1);
  sent.push({ ...what, index });
  return { result, index };
}

/** The scope chooser's projects on a connection's assistant page. */
async function projectsOffered(connectionId: string): Promise<string[]> {
  const page = await owner.get(`/connections/${connectionId}/assistant`);
  expect(page.status).toBe(200);
  const chooser = /<select name="container">([\s\S]*?)<\/select>/.exec(page.body)?.[1] ?? "";
  return [...chooser.matchAll(/<option value="([^"]+)"/g)].map((match) => decode(match[1]!));
}

/** Asks on a scope's assistant page as its script does; the conversation's page shows the request as received. */
async function askStreamed(connectionId: string, container: string | null): Promise<void> {
  const path = `/connections/${connectionId}/assistant${scopeQuery(container)}`;
  await owner.get(path);
  const { result: page, index } = await sendsOne({ connectionId, container, kind: "streamed" }, () =>
    owner.post(path, { question: "Where does work wait longest, and is it getting better?" }, { accept: "text/event-stream" }),
  );
  expect(page.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const done = page.body
    .split("\n\n")
    .filter(Boolean)
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)![1]!, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, string> }))
    .at(-1)!;
  expect(done.event, JSON.stringify(done.data)).toBe("done");
  expect(sentBlocks((await owner.get(done.data.url!)).body)).toEqual(rawBodies([index]));
}

/** Asks without script, then follows up in the same conversation; its page shows both requests. */
async function askAndFollowUp(connectionId: string, container: string | null): Promise<void> {
  const path = `/connections/${connectionId}/assistant${scopeQuery(container)}`;
  await owner.get(path);
  const first = await sendsOne({ connectionId, container, kind: "no-js" }, () => owner.post(path, { question: "What is our median cycle time?" }));
  expect(first.result.status, first.result.body.slice(0, 1000)).toBe(303);
  const conversationPage = first.result.location!.split("#")[0]!;
  expect(sentBlocks((await owner.get(conversationPage)).body)).toEqual(rawBodies([first.index]));
  const conversation = new URL(conversationPage, app.web.url).searchParams.get("conversation")!;
  const second = await sendsOne({ connectionId, container, kind: "follow-up" }, () => owner.post(path, { question: "And what should we try first?", conversation }));
  expect(second.result.status, second.result.body.slice(0, 1000)).toBe(303);
  const messages = (anthropic.requests[second.index]!.body as { messages: { role: string; content: string }[] }).messages;
  expect(messages).toEqual([
    { role: "user", content: "What is our median cycle time?" },
    { role: "assistant", content: DEFAULT_ANSWER_TEXT },
    { role: "user", content: "And what should we try first?" },
  ]);
  expect(sentBlocks((await owner.get(second.result.location!.split("#")[0]!)).body)).toEqual(rawBodies([first.index, second.index]));
}

/**
 * Follows each "Explain this bottleneck" of the scope's bottlenecks page and sends the question it
 * seeds; findings too small to describe have no link, and their address typed by hand seeds a
 * question that does not name them. Returns how many questions were sent.
 */
async function explainEveryFinding(connectionId: string, container: string | null, output: ScanOutput): Promise<number> {
  const page = await owner.get(`/connections/${connectionId}/bottlenecks${scopeQuery(container)}`);
  expect(page.status).toBe(200);
  const links = [...page.body.matchAll(/<a href="([^"]+)">Explain this bottleneck<\/a>/g)].map((match) => decode(match[1]!));
  const findings = allFindings(output);
  const describable = findings.filter(describableFindings(output));
  expect(links).toHaveLength(describable.length);
  expect(page.body.split("Too few items for the assistant to explain").length - 1).toBe(findings.length - describable.length);
  const small = findings.filter((finding) => !describable.includes(finding)).map((finding) => {
    const params = new URLSearchParams(scopeQuery(container));
    params.set("finding", findingKey(finding));
    return `/connections/${connectionId}/assistant?${params}`;
  });
  for (const link of [...links, ...small]) {
    const form = await owner.get(link);
    expect(form.status).toBe(200);
    const action = decode(/<form method="post" action="([^"]+)" class="ask-form"/.exec(form.body)![1]!);
    const finding = decode(/<input type="hidden" name="finding" value="([^"]*)">/.exec(form.body)![1]!);
    const question = decode(/<textarea id="question" name="question"[^>]*>([^<]*)<\/textarea>/.exec(form.body)![1]!);
    expect(question).toMatch(/^Explain the bottleneck /);
    const asked = await sendsOne({ connectionId, container, kind: "explain" }, () => owner.post(action, { question, finding }));
    expect(asked.result.status, asked.result.body.slice(0, 1000)).toBe(303);
    expect(sentBlocks((await owner.get(asked.result.location!.split("#")[0]!)).body)).toEqual(rawBodies([asked.index]));
  }
  return links.length + small.length;
}

/** "Draft with Claude" on the ticket form of the scope's first finding; the form shows the request and is filled with the draft. */
async function draftTicket(connectionId: string, container: string | null): Promise<void> {
  const page = await owner.get(`/connections/${connectionId}/bottlenecks${scopeQuery(container)}`);
  const ticketLink = decode(/<a class="button" href="([^"]+)">Create Jira ticket<\/a>/.exec(page.body)![1]!);
  const form = await owner.get(ticketLink);
  expect(form.status).toBe(200);
  const action = decode(/<form method="post" action="([^"]*\/ticket\/draft[^"]*)"/.exec(form.body)![1]!);
  const finding = decode(/<input type="hidden" name="finding" value="([^"]*)">/.exec(form.body)![1]!);
  anthropic.setReply(() => ({ kind: "answer", text: JSON.stringify(DRAFT) }));
  try {
    const drafted = await sendsOne({ connectionId, container, kind: "draft" }, () => owner.post(action, { finding }));
    expect(drafted.result.status, drafted.result.body.slice(0, 1000)).toBe(200);
    expect(decode(drafted.result.body)).toContain(`value="${DRAFT.summary}"`);
    expect(sentBlocks(drafted.result.body)).toEqual(rawBodies([drafted.index]));
  } finally {
    anthropic.setReply(null);
  }
}

const allFindings = (output: ScanOutput) => {
  const { headline, transitions, external, automation, unclassified } = output.bottlenecks;
  return [...headline, ...transitions, ...external, ...automation, ...unclassified];
};

/** The latest stored output of each scope, by scope name. */
async function storedOutputs(): Promise<Map<string, ScanOutput>> {
  const { rows } = await app.db.owner.query<{ scope: string; output: ScanOutput }>(
    "SELECT DISTINCT ON (scope) scope, output FROM scan_outputs WHERE connection_id = ANY($1) ORDER BY scope, computed_at DESC",
    [[demoId, jiraId]],
  );
  return new Map(rows.map((row) => [row.scope, row.output]));
}

const scopeTitle = ({ connectionId, container }: Pick<Sent, "connectionId" | "container">) =>
  `${connectionId === jiraId ? "Jira" : "demo"} ${container === null ? "(all projects)" : container}`;

const scopeName = ({ connectionId, container }: Pick<Sent, "connectionId" | "container">) => (container === null ? connectionScope(connectionId) : containerScope(connectionId, container));

/** Every step name an output holds, wherever it is, with its items: the larger of time in status and the process map. */
function stepsOf(output: ScanOutput): Map<string, number> {
  const items = new Map<string, number>();
  const add = (...steps: (string | null)[]) => steps.forEach((step) => step !== null && !items.has(step) && items.set(step, 0));
  for (const { step, items: count } of [...output.timeInStatus, ...output.processMap.steps]) items.set(step, Math.max(items.get(step) ?? 0, count));
  output.steps.forEach(({ step }) => add(step));
  output.processMap.transitions.forEach(({ from, to }) => add(from, to));
  output.agingWip.forEach(({ step }) => add(step));
  output.flow.cumulativeFlow.forEach(({ step }) => add(step));
  output.variants.top.forEach(({ steps }) => add(...steps));
  output.rework.loops.forEach(({ from, to }) => add(from, to));
  const { headline, transitions, external, automation, unclassified } = output.bottlenecks;
  for (const finding of [...headline, ...transitions, ...external, ...automation, ...unclassified]) add(finding.step, finding.to);
  output.drift?.newVariants.forEach((steps) => add(...steps));
  output.drift?.movedTransitions.forEach(({ from, to }) => add(from, to));
  output.drift?.newLoops.forEach(({ from, to }) => add(from, to));
  output.dataQuality.unknownSteps.forEach(({ step }) => add(step));
  return items;
}

/** The parts of a body as Claude reads them, JSON escapes undone: the system prompt and each message. */
function partsOf(rawBody: string): { part: string; text: string }[] {
  const body = JSON.parse(rawBody) as { system: string | { text: string }[]; messages: { role: string; content: string | { text?: string }[] }[] };
  const text = (content: string | { text?: string }[]) => (typeof content === "string" ? content : content.map((block) => block.text ?? "").join("\n"));
  return [{ part: "system", text: text(body.system) }, ...body.messages.map((message, i) => ({ part: `messages[${i}] (${message.role})`, text: text(message.content) }))];
}

const textsOf = (rawBody: string) => partsOf(rawBody).map(({ text }) => text).join("\n");

/** A body as received and as read, so an escaped character cannot hide a match. */
const bothForms = (rawBody: string) => `${rawBody}\n${textsOf(rawBody)}`;

/** Characters no stored id holds: where the text is cut into candidates. */
const SEPARATORS = /[\s"'`<>(),;[\]{}\\]+/u;
const WORD = /[\p{L}\p{N}]+/gu;

/**
 * Every stretch of `text` that could be a whole id: between separators, from the start of one
 * run of letters and digits to the end of the same or a later one. So EE-24 is found in
 * "EE-24." and "EE-24#created" but not in "EE-245", as a word-bounded match would.
 */
function idCandidates(text: string): Set<string> {
  const candidates = new Set<string>();
  for (const chunk of text.split(SEPARATORS)) {
    const runs = [...chunk.matchAll(WORD)].map((match) => [match.index, match.index + match[0].length] as const);
    for (let from = 0; from < runs.length; from++) {
      for (let to = from; to < runs.length && to - from < 24; to++) candidates.add(chunk.slice(runs[from]![0], runs[to]![1]));
    }
  }
  return candidates;
}

describe("what the assistant sends to Claude", () => {
  let scopes: { connectionId: string; container: string | null }[] = [];
  let explained = 0;

  it("takes every path that sends to Claude, for every scope of both connections, and shows each request as received", async () => {
    const outputs = await storedOutputs();
    for (const connectionId of [jiraId, demoId]) {
      const projects = await projectsOffered(connectionId);
      expect(projects.length, "the scope chooser lists the projects").toBeGreaterThan(1);
      const containers = [null, ...projects];
      scopes = [...scopes, ...containers.map((container) => ({ connectionId, container }))];
      let drafted = false;
      for (const container of containers) {
        const output = outputs.get(scopeName({ connectionId, container }));
        expect(output, scopeName({ connectionId, container })).toBeDefined();
        await askStreamed(connectionId, container);
        await askAndFollowUp(connectionId, container);
        explained += await explainEveryFinding(connectionId, container, output!);
        if (allFindings(output!).length > 0) {
          await draftTicket(connectionId, container);
          drafted = true;
        }
      }
      expect(drafted, "a draft for a finding of each connection").toBe(true);
    }
    expect(explained).toBeGreaterThan(0);
  }, 120_000);

  it("recorded every request it made, each with the aggregates and a draft among them", () => {
    const expected = scopes.length * 3 + explained + sent.filter((one) => one.kind === "draft").length;
    expect(sent).toHaveLength(expected);
    expect(anthropic.requests).toHaveLength(expected);
    // Two connections of two projects each, both also as a whole: six scopes, each with three
    // questions, a draft and the explanations of its findings.
    expect(scopes).toHaveLength(6);
    expect(expected).toBeGreaterThanOrEqual(6 * 4 + 6);
    for (const kind of ["streamed", "no-js", "follow-up", "explain", "draft"] as const) {
      expect(sent.filter((one) => one.kind === kind).length, kind).toBeGreaterThan(0);
    }
    for (const request of anthropic.requests) {
      expect(request.path).toBe("/v1/messages");
      expect((request.body as { system: string }).system).toContain("<aggregates>");
    }
    const drafts = sent.filter((one) => one.kind === "draft").map((one) => anthropic.requests[one.index]!.body as { system: string });
    for (const draft of drafts) expect(draft.system).toContain("Draft one Jira ticket");
  });

  it("sends no canary: no content, person or id from Jira", () => {
    for (const [index, request] of anthropic.requests.entries()) {
      expect(bothForms(request.rawBody).includes(CANARY), `request ${index} (${sent[index]?.kind})`).toBe(false);
    }
  });

  it("sends no id of a stored work item, event or person: neither the tool's nor TwinFlow's own", async () => {
    // The tools' ids, and the row ids people and items are keyed by in the analysis (an event's
    // row id is a small number that figures could match, and the analysis never names one).
    const { rows } = await app.db.owner.query<{ kind: string; external_id: string }>(
      `SELECT 'item' AS kind, external_id FROM work_items WHERE connection_id = ANY($1)
       UNION ALL SELECT 'item row', id::text FROM work_items WHERE connection_id = ANY($1)
       UNION ALL SELECT 'event', external_id FROM events WHERE connection_id = ANY($1)
       UNION ALL SELECT 'actor', external_id FROM actors WHERE connection_id = ANY($1)
       UNION ALL SELECT 'actor row', id::text FROM actors WHERE connection_id = ANY($1)`,
      [[demoId, jiraId]],
    );
    const kinds = new Set(rows.map((row) => row.kind));
    expect([...kinds].sort()).toEqual(["actor", "actor row", "event", "item", "item row"]);
    expect(rows.some((row) => /^EE-\d+$/.test(row.external_id))).toBe(true);
    // Every id is checked: none of them is a bare short number that ordinary figures could match.
    expect(rows.filter((row) => /^\d{1,5}$/.test(row.external_id))).toEqual([]);
    expect([idCandidates("(EE-24#created).").has("EE-24"), idCandidates("EE-245 and XEE-24").has("EE-24")]).toEqual([true, false]);
    // The lookup below finds an id only if it has no separator and starts and ends with a letter or digit.
    expect(rows.filter((row) => SEPARATORS.test(row.external_id) || !/^[\p{L}\p{N}](.*[\p{L}\p{N}])?$/u.test(row.external_id))).toEqual([]);
    for (const [index, request] of anthropic.requests.entries()) {
      const candidates = idCandidates(bothForms(request.rawBody));
      const found = rows.filter((row) => candidates.has(row.external_id)).map(({ kind, external_id }) => `${kind} ${external_id}`);
      expect(found, `request ${index} (${sent[index]?.kind})`).toEqual([]);
    }
  });

  it("sends no person's name or email address: people are pseudonyms", async () => {
    const { rows } = await app.db.owner.query<{ display_name: string }>("SELECT DISTINCT display_name FROM actors WHERE connection_id = ANY($1)", [[demoId, jiraId]]);
    const names = rows.map((row) => row.display_name);
    // The demo's people have real-looking names; the recorded Jira's carry the canary.
    expect(names.some((name) => /^[A-Z][a-z]+ [A-Z][a-z]+$/.test(name))).toBe(true);
    expect(names.some((name) => name.includes(CANARY))).toBe(true);
    for (const [index, request] of anthropic.requests.entries()) {
      const text = bothForms(request.rawBody);
      expect(names.filter((name) => text.includes(name)), `request ${index} (${sent[index]?.kind})`).toEqual([]);
      expect(text.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g), `request ${index} (${sent[index]?.kind})`).toBeNull();
    }
  });

  it("leaves out every step with fewer than 5 items, and names the larger ones", async () => {
    const outputs = await storedOutputs();
    let suppressedChecked = 0;
    let survivorsSeen = 0;
    const leaks: string[] = [];
    for (const scope of scopes) {
      const name = scopeName(scope);
      const output = outputs.get(name)!;
      const steps = stepsOf(output);
      const survivors = [...steps].filter(([, items]) => items >= MIN_GROUP_ITEMS).map(([step]) => `"${step}"`);
      // A small step whose quoted name is part of a surviving one's would match where the larger is named.
      const suppressed = [...steps]
        .filter(([, items]) => items < MIN_GROUP_ITEMS)
        .map(([step]) => `"${step}"`)
        .filter((quoted) => !survivors.some((survivor) => survivor.includes(quoted)));
      const bodies = sent.filter((one) => one.connectionId === scope.connectionId && one.container === scope.container);
      expect(bodies.length, name).toBeGreaterThanOrEqual(3);
      for (const one of bodies) {
        const parts = partsOf(anthropic.requests[one.index]!.rawBody);
        for (const { part, text } of parts) {
          for (const quoted of suppressed) if (text.includes(quoted)) leaks.push(`${scopeTitle(scope)}, request ${one.index} (${one.kind}), ${part}: ${quoted}`);
        }
        suppressedChecked += suppressed.length;
        // A scope too small to describe names no step at all.
        if (output.sample.items >= MIN_GROUP_ITEMS && survivors.length > 0) {
          const system = parts[0]!.text;
          expect(survivors.some((quoted) => system.includes(quoted)), `${name}: request ${one.index} (${one.kind}) names a step`).toBe(true);
          survivorsSeen += 1;
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(suppressedChecked).toBeGreaterThan(0);
    expect(survivorsSeen).toBeGreaterThan(0);
  });
});
