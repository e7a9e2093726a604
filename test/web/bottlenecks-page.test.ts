/**
 * The bottlenecks page and "Create Jira ticket" from a finding: the page shows the stored
 * output's ranking with its evidence; the ticket form is pre-filled from aggregates only; a
 * finding gets one issue however often its forms are sent, and shows that issue afterwards.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import { ACME_SITE as SITE, consentWithAtlassian, startEmptyJiraSite, type FakeJiraSite } from "../support/atlassian.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { connectAnalysedDemo, scanOutputOf } from "../support/demo.js";
import { signUp, untilScansSettle, type Browser } from "../support/web.js";

const ANTHROPIC_KEY = `sk-ant-test-${randomUUID()}`;
let app: TestApp;
let site: FakeJiraSite;
let anthropic: FakeAnthropic;
let owner: Browser;
let demoId: string;
let output: ScanOutput;

beforeAll(async () => {
  site = await startEmptyJiraSite();
  anthropic = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  app = await startTestApp({ ...site.env, ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: anthropic.url });
  owner = await signUp(app.web, { email: `${randomUUID()}@example.com`, tenantName: "Bottlenecks Co" });
  demoId = await connectAnalysedDemo(owner, app.db);
  const connected = await owner.get((await consentWithAtlassian(owner, { enableCreateTicket: "yes" })).callback);
  if (connected.status !== 302) throw new Error(`connecting Jira answered ${connected.status}`);
  await untilScansSettle(owner, connected.location!);
  output = await scanOutputOf(owner, demoId);
});

afterAll(async () => {
  await app.close();
  await site.close();
  await anthropic.close();
});

const issuePosts = () => site.jira.requests.filter((request) => request.method === "POST" && request.path === "/rest/api/3/issue");
const decode = (html: string) => html.replace(/&amp;/g, "&").replace(/&#x3D;/g, "=").replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");

/** The ticket form's fields as the page renders them, with the project chosen. */
function ticketFields(html: string): Record<string, string> {
  const value = (name: string) => decode(new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1] ?? "");
  const description = decode(/<textarea name="description"[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1] ?? "");
  const target = decode(/<option value="([^"]+:EE)"/.exec(html)?.[1] ?? "");
  return { idempotencyKey: value("idempotencyKey"), finding: value("finding"), summary: value("summary"), description, target, issueType: "Task" };
}

describe("the bottlenecks page", () => {
  it("ranks where work waits with the stored output's evidence, and offers a ticket for each finding", async () => {
    const page = await owner.get(`/connections/${demoId}/bottlenecks`);
    expect(page.status).toBe(200);
    const top = output.bottlenecks.headline[0]!;
    expect(top).toBeDefined();
    expect(page.body).toContain(`${top.itemDays.toFixed(1)} item-days`);
    expect(page.body).toContain(`${Math.round(top.share * 100)} %`);
    const links = page.body.match(/>Create Jira ticket</g) ?? [];
    const findings = output.bottlenecks.headline.length + output.bottlenecks.transitions.length + output.bottlenecks.external.length + output.bottlenecks.automation.length + output.bottlenecks.unclassified.length;
    expect(links).toHaveLength(findings);
  });

  it("pre-fills the ticket from aggregates only: no item key, no person", async () => {
    const top = output.bottlenecks.headline[0]!;
    const form = await owner.get(`/connections/${demoId}/bottlenecks/ticket?finding=${encodeURIComponent(top.step)}`);
    expect(form.status).toBe(200);
    const fields = ticketFields(form.body);
    expect(fields.summary).toContain(`“${top.step}”`);
    expect(fields.description).toContain(`${top.items} items`);
    expect(fields.description).toContain(`/connections/${demoId}/bottlenecks`);
    const keys = await app.db.owner.query<{ external_id: string }>("SELECT external_id FROM work_items WHERE connection_id = $1", [demoId]);
    const people = await app.db.owner.query<{ display_name: string }>("SELECT display_name FROM actors WHERE connection_id = $1 AND display_name IS NOT NULL", [demoId]);
    expect(keys.rows.length).toBeGreaterThan(0);
    for (const { external_id } of keys.rows) expect(`${fields.summary}\n${fields.description}`).not.toMatch(new RegExp(`\\b${external_id}\\b`));
    for (const { display_name } of people.rows) expect(fields.description).not.toContain(display_name);
  });

  it("creates one issue for a finding however often its forms are sent, and shows it on the finding afterwards", async () => {
    const finding = output.bottlenecks.headline[0]!.step;
    const formPath = `/connections/${demoId}/bottlenecks/ticket?finding=${encodeURIComponent(finding)}`;
    const first = ticketFields((await owner.get(formPath)).body);
    const second = ticketFields((await owner.get(formPath)).body);
    const before = issuePosts().length;
    site.jira.setLatency((request) => (request.path === "/rest/api/3/issue" ? 300 : 0));
    const answers = await Promise.all([
      owner.post(`/connections/${demoId}/bottlenecks/ticket`, first),
      owner.post(`/connections/${demoId}/bottlenecks/ticket`, first),
      owner.post(`/connections/${demoId}/bottlenecks/ticket`, second),
    ]).finally(() => site.jira.setLatency(null));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    const keys = answers.map((answer) => /<strong>([A-Z]+-\d+)<\/strong>/.exec(answer.body)?.[1]);
    expect(keys[0]).toMatch(/^EE-\d+$/);
    expect(new Set(keys).size).toBe(1);
    const posts = issuePosts().slice(before);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toMatchObject({ fields: { project: { key: "EE" }, issuetype: { name: "Task" }, summary: first.summary } });
    expect(answers[0]!.body).toContain(`href="${SITE.url}/browse/${keys[0]}"`);

    const page = await owner.get(`/connections/${demoId}/bottlenecks`);
    expect(page.body).toContain(`Ticket <a href="${SITE.url}/browse/${keys[0]}">${keys[0]}</a> created.`);
    const again = await owner.get(formPath);
    expect(again.body).toContain("was created for this finding already");
    expect(again.body).not.toContain('name="idempotencyKey"');
  });

  it("offers to explain each finding in the assistant, seeded with that finding", async () => {
    const top = output.bottlenecks.headline[0]!;
    const page = await owner.get(`/connections/${demoId}/bottlenecks`);
    const explain = decode(/<a href="([^"]+)">Explain this bottleneck<\/a>/.exec(page.body)![1]!);
    expect(explain).toBe(`/connections/${demoId}/assistant?finding=${encodeURIComponent(top.step).replace(/%20/g, "+")}`);
    const assistant = await owner.get(explain);
    expect(decode(assistant.body)).toContain(`Explain the bottleneck in "${top.step}": why do items wait there, and what should we try first?</textarea>`);
    expect(assistant.body).toContain(`<input type="hidden" name="finding" value="${top.step}">`);
  });

  it("drafts the ticket with Claude into the form, shows what was sent, and creates nothing until the person submits", async () => {
    const top = output.bottlenecks.headline[1]!;
    const formPath = `/connections/${demoId}/bottlenecks/ticket?finding=${encodeURIComponent(top.step)}`;
    await owner.get(formPath);
    const draft = { summary: `Shorten the wait in ${top.step}`, description: "Items wait here longest.\nDrafted from TwinFlow aggregates; no item-level data was used." };
    anthropic.setReply(() => ({ kind: "answer", text: `Here is the draft:\n${JSON.stringify(draft)}` }));
    const before = issuePosts().length;
    const drafted = await owner.post(`/connections/${demoId}/bottlenecks/ticket/draft`, { finding: top.step });
    expect(drafted.status).toBe(200);
    const fields = ticketFields(drafted.body);
    expect({ summary: fields.summary, description: fields.description }).toEqual(draft);
    const sent = anthropic.requests.at(-1)!;
    expect(decode(/<pre data-sent>([^<]*)<\/pre>/.exec(drafted.body)![1]!)).toBe(sent.rawBody);
    const system = (sent.body as { system: string }).system;
    expect(system).toContain("Draft one Jira ticket");
    expect(system).toContain(`## The finding the user asked about\n- "${top.step}"`);
    expect(issuePosts()).toHaveLength(before);

    anthropic.setReply(() => ({ kind: "answer", text: "I would rather not write JSON." }));
    const unreadable = await owner.post(`/connections/${demoId}/bottlenecks/ticket/draft`, { finding: top.step });
    expect(unreadable.status).toBe(502);
    expect(decode(unreadable.body)).toContain("Claude's draft came back in a form TwinFlow could not read.");
    // The form is still there with TwinFlow's own draft.
    expect(ticketFields(unreadable.body).summary).toContain(`“${top.step}”`);
    expect(issuePosts()).toHaveLength(before);
  });

  it("refuses a form without a project, and keeps what the person wrote", async () => {
    const finding = output.bottlenecks.headline.at(-1)!.step;
    const fields = ticketFields((await owner.get(`/connections/${demoId}/bottlenecks/ticket?finding=${encodeURIComponent(finding)}`)).body);
    const before = issuePosts().length;
    const refused = await owner.post(`/connections/${demoId}/bottlenecks/ticket`, { ...fields, target: "", summary: "My own words" });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("Choose the Jira project");
    expect(refused.body).toContain('value="My own words"');
    expect(issuePosts()).toHaveLength(before);
    const unknown = await owner.get(`/connections/${demoId}/bottlenecks/ticket?finding=No%20such%20step`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain("not in the latest scan output");
  });

  it("is closed to another organization: its pages and its ticket form answer not found", async () => {
    const stranger = await signUp(app.web, { email: `${randomUUID()}@example.com`, tenantName: "Elsewhere" });
    const finding = encodeURIComponent(output.bottlenecks.headline[0]!.step);
    expect((await stranger.get(`/connections/${demoId}/bottlenecks`)).status).toBe(404);
    expect((await stranger.get(`/connections/${demoId}/bottlenecks/ticket?finding=${finding}`)).status).toBe(404);
    await stranger.get("/overview");
    const before = issuePosts().length;
    const forged = await stranger.post(`/connections/${demoId}/bottlenecks/ticket`, { idempotencyKey: randomUUID(), finding: decodeURIComponent(finding), target: `${randomUUID()}:EE`, summary: "x", description: "", issueType: "Task" });
    expect(forged.status).toBe(404);
    expect(issuePosts()).toHaveLength(before);
  });
});
