/**
 * Who may do what. Inside an organization, a member reads but cannot connect, scan,
 * disconnect, change settings, invite, change roles, import, delete the data or change the
 * organization, and an admin cannot do what only an owner may: each is refused with 403,
 * nothing in the database changes, and no tool is called. Between organizations, nothing of
 * one is reachable by id from another: every page, chart, export, API answer and ticket
 * endpoint of a connection answers 404 to a stranger, and Jira is never asked to create an issue.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { findingKey } from "../../app/src/analysis/bottlenecks.js";
import { findingsByKey } from "../../app/src/web/ticket-draft.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { consentWithAtlassian, startEmptyJiraSite, type FakeJiraSite } from "../support/atlassian.js";
import type { TestDatabase } from "../support/database.js";
import { connectAnalysedDemo } from "../support/demo.js";
import { invite, joinAsNewMember, signUp, untilScansSettle, type Browser, type Page, type TestWeb } from "../support/web.js";

const RUNNING_EXAMPLE = readFileSync(new URL("../fixtures/eventlogs/running-example.xes", import.meta.url));
const TENANT_NAME = "Owners Co";
const DEMO_LABEL = "Owners' demo board";
const JIRA_LABEL = "Owners' Jira";

let app: TestApp;
let db: TestDatabase;
let web: TestWeb;
let site: FakeJiraSite;
/** The organization everything is tried against, with its people. */
let tenantId: string;
let owner: Browser;
let ownerId: string;
let admin: Browser;
let member: Browser;
let memberId: string;
/** Another organization's owner. */
let stranger: Browser;
let demoId: string;
let jiraId: string;
/** A bottleneck finding of the demo connection, by its key. */
let finding: string;

beforeAll(async () => {
  site = await startEmptyJiraSite();
  app = await startTestApp(site.env);
  ({ db, web } = app);

  owner = await signUp(web, { email: `owner-${randomUUID()}@example.com`, tenantName: TENANT_NAME });
  demoId = await connectAnalysedDemo(owner, db, DEMO_LABEL);
  const connected = await owner.get((await consentWithAtlassian(owner, { label: JIRA_LABEL, projects: "EE", enableCreateTicket: "yes" })).callback);
  expect(connected.status, "connecting Jira").toBe(302);
  jiraId = connected.location!.split("/").pop()!;
  await untilScansSettle(owner, `/connections/${jiraId}`);
  const stored = await db.owner.query<{ output: ScanOutput }>("SELECT output FROM scan_outputs WHERE scope = $1", [`connection:${demoId}`]);
  finding = findingKey([...findingsByKey(stored.rows[0]!.output.bottlenecks).values()][0]!);

  member = await joinAsNewMember(web, await invite(owner, `member-${randomUUID()}@example.com`, "member"), "Member");
  admin = await joinAsNewMember(web, await invite(owner, `admin-${randomUUID()}@example.com`, "admin"), "Admin");
  stranger = await signUp(web, { email: `stranger-${randomUUID()}@example.com`, tenantName: "Strangers" });
  // Each needs a form token of its own session before it can post.
  await Promise.all([member.get("/overview"), admin.get("/overview"), stranger.get("/overview")]);

  const people = await db.owner.query<{ tenant_id: string; user_id: string; role: string }>(
    "SELECT m.tenant_id, m.user_id, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE t.name = $1",
    [TENANT_NAME],
  );
  tenantId = people.rows[0]!.tenant_id;
  ownerId = people.rows.find((row) => row.role === "owner")!.user_id;
  memberId = people.rows.find((row) => row.role === "member")!.user_id;
});

afterAll(async () => {
  await app?.close();
  await site?.close();
});

/**
 * Everything an action could change in the organization, read as the table owner: its name
 * and time zone, members and roles, open invitations, connections with their settings and
 * credentials, scans, work items, events and created tickets.
 */
async function organizationState(): Promise<unknown> {
  const one = async (sql: string) => (await db.owner.query<{ state: unknown }>(`SELECT (${sql}) AS state`, [tenantId])).rows[0]!.state;
  return {
    tenant: await one("SELECT json_build_object('name', name, 'timeZone', time_zone, 'assistantShowsNames', ai_shows_names) FROM tenants WHERE id = $1"),
    assistant: await one("SELECT json_build_object('conversations', (SELECT count(*) FROM ai_conversations WHERE tenant_id = $1), 'requests', (SELECT count(*) FROM ai_requests WHERE tenant_id = $1))"),
    memberships: await one("SELECT json_agg(json_build_object('user', user_id, 'role', role) ORDER BY user_id) FROM memberships WHERE tenant_id = $1"),
    invitations: await one("SELECT json_agg(json_build_object('email', email, 'role', role, 'accepted', accepted_at IS NOT NULL) ORDER BY email) FROM invitations WHERE tenant_id = $1"),
    connections: await one("SELECT json_agg(c ORDER BY c.id) FROM connections c WHERE tenant_id = $1"),
    scans: await one("SELECT count(*) FROM scans WHERE tenant_id = $1"),
    workItems: await one("SELECT count(*) FROM work_items WHERE tenant_id = $1"),
    events: await one("SELECT count(*) FROM events WHERE tenant_id = $1"),
    tickets: await one("SELECT count(*) FROM created_tickets WHERE tenant_id = $1"),
  };
}

/** How many requests the fake Jira and the fake Atlassian have received so far. */
const toolRequests = () => site.jira.requests.length + site.atlassian.requests.length;
const issueCreations = () => site.jira.requests.filter((request) => request.method === "POST" && request.path === "/rest/api/3/issue").length;

interface Attempt {
  /** The route as a person would name it. */
  route: string;
  send(browser: Browser): Promise<Page>;
}

const post =
  (path: string, form: Record<string, string> = {}) =>
  (browser: Browser) =>
    browser.post(path, form);

/**
 * Sends each attempt and expects `status`, no change in the organization and no request to a
 * tool. Every attempt is tried and every failure reported, each naming its route.
 */
async function expectRefused(browser: Browser, attempts: readonly Attempt[], status: number): Promise<void> {
  for (const attempt of attempts) {
    const before = await organizationState();
    const toolsBefore = toolRequests();
    const answer = await attempt.send(browser);
    expect.soft(answer.status, `${attempt.route} answers ${status}`).toBe(status);
    expect.soft(answer.location, `${attempt.route} redirects nowhere`).toBeNull();
    expect.soft(toolRequests(), `${attempt.route} calls no tool`).toBe(toolsBefore);
    expect.soft(await organizationState(), `${attempt.route} changes nothing`).toEqual(before);
  }
}

describe("inside an organization", () => {
  it("refuses a member every action of owners and admins, changing nothing and calling no tool", async () => {
    const jiraToken = { siteUrl: site.jira.url, projects: "EE", email: "member@example.com", token: "member's own token" };
    await expectRefused(
      member,
      [
        { route: "POST /connections (demo data)", send: post("/connections", { provider: "demo", label: "Member's demo" }) },
        { route: "POST /connections (Jira with an API token)", send: post("/connections", { provider: "jira", label: "Member's Jira", ...jiraToken }) },
        { route: "POST /connections/jira/authorize", send: post("/connections/jira/authorize", { label: "Member's Jira", projects: "EE", enableCreateTicket: "yes" }) },
        { route: "POST /connections/:id/scan", send: post(`/connections/${demoId}/scan`) },
        { route: "POST /connections/:id/disconnect", send: post(`/connections/${demoId}/disconnect`, { deleteData: "yes" }) },
        { route: "POST /connections/:id/credentials", send: post(`/connections/${jiraId}/credentials`, jiraToken) },
        { route: "POST /connections/:id/assistant/names", send: post(`/connections/${demoId}/assistant/names`, { names: "on" }) },
        { route: "POST /connections/:id/settings", send: post(`/connections/${demoId}/settings`, { section: "schedule", scanEveryMinutes: "5" }) },
        { route: "POST /members/invite", send: post("/members/invite", { email: `invited-${randomUUID()}@example.com`, role: "admin" }) },
        { route: "POST /members/:userId/role (making themself owner)", send: post(`/members/${memberId}/role`, { role: "owner" }) },
        { route: "POST /members/:userId/remove (the owner)", send: post(`/members/${ownerId}/remove`) },
        { route: "POST /data/delete-all", send: post("/data/delete-all", { confirmName: TENANT_NAME }) },
        { route: "POST /account/organization", send: post("/account/organization", { name: "Taken Over", timeZone: "Europe/Berlin" }) },
        {
          route: "POST /connections/import",
          send: (browser) => browser.postFile("/connections/import", { label: "Member's log" }, { field: "log", name: "running-example.xes", content: RUNNING_EXAMPLE }),
        },
      ],
      403,
    );
  });

  it("refuses an admin what only an owner may do", async () => {
    await expectRefused(
      admin,
      [
        { route: "POST /data/delete-all", send: post("/data/delete-all", { confirmName: TENANT_NAME }) },
        { route: "POST /account/organization", send: post("/account/organization", { name: "Taken Over", timeZone: "Europe/Berlin" }) },
        { route: "POST /members/:userId/role (demoting the owner)", send: post(`/members/${ownerId}/role`, { role: "member" }) },
        { route: "POST /members/:userId/remove (the owner)", send: post(`/members/${ownerId}/remove`) },
        { route: "POST /connections/:id/assistant/names", send: post(`/connections/${demoId}/assistant/names`, { names: "on" }) },
      ],
      403,
    );
  });

  it("lets the member read every page the refused actions are on", async () => {
    for (const path of ["/connections", `/connections/${demoId}`, `/connections/${demoId}/settings`, `/connections/${demoId}/bottlenecks`, "/members", "/data", "/account"]) {
      const page = await member.get(path);
      expect(page.status, `GET ${path}`).toBe(200);
    }
  });
});

describe("between organizations", () => {
  const connectionGets = (id: string) => [
    `/connections/${id}`,
    `/connections/${id}/settings`,
    `/connections/${id}/export.csv`,
    `/connections/${id}/export.xes`,
    `/api/v1/connections/${id}`,
    `/api/v1/connections/${id}/scan-output`,
    `/api/v1/connections/${id}/scan-output?type=bug`,
  ];
  const analyticsGets = (id: string) =>
    ["process-map", "flow", "bottlenecks", "variants", "forecast", "assistant"].flatMap((page) => [`/connections/${id}/${page}`, `/connections/${id}/${page}?type=bug`]);

  it("answers 404 to every page, chart, export and API answer of another organization's connections, naming none of them", async () => {
    const paths = [
      ...connectionGets(demoId),
      ...connectionGets(jiraId),
      ...analyticsGets(demoId),
      `/connections/${demoId}/bottlenecks/ticket?finding=${encodeURIComponent(finding)}`,
    ];
    for (const path of paths) {
      const page = await stranger.get(path);
      expect(page.status, `GET ${path}`).toBe(404);
      for (const name of [DEMO_LABEL, JIRA_LABEL, TENANT_NAME]) expect(page.body, `GET ${path} names ${name}`).not.toContain(name.replace("'", "&#x27;"));
    }
    // The same addresses answer the organization's own owner: the 404s are about who asks.
    for (const path of paths) expect((await owner.get(path)).status, `GET ${path} as the owner`).toBe(200);
  });

  it("answers 404 to another organization's ticket endpoints and connection actions: nothing changes and Jira creates no issue", async () => {
    const ticket = { idempotencyKey: randomUUID(), projectKey: "EE", issueType: "Task", summary: "Created from elsewhere", description: "" };
    await expectRefused(
      stranger,
      [
        { route: "POST /connections/:id/tickets", send: post(`/connections/${jiraId}/tickets`, ticket) },
        { route: "POST /connections/:id/bottlenecks/ticket", send: post(`/connections/${demoId}/bottlenecks/ticket`, { ...ticket, idempotencyKey: randomUUID(), finding, target: `${jiraId}:EE` }) },
        { route: "POST /connections/:id/bottlenecks/ticket/draft", send: post(`/connections/${demoId}/bottlenecks/ticket/draft`, { finding }) },
        { route: "POST /connections/:id/assistant", send: post(`/connections/${demoId}/assistant`, { question: "What does this organization do?" }) },
        { route: "POST /connections/:id/assistant/conversations/:conversationId/delete", send: post(`/connections/${demoId}/assistant/conversations/${randomUUID()}/delete`) },
        { route: "POST /connections/:id/assistant/names", send: post(`/connections/${demoId}/assistant/names`, { names: "on" }) },
        { route: "POST /connections/:id/scan", send: post(`/connections/${demoId}/scan`) },
        { route: "POST /connections/:id/disconnect", send: post(`/connections/${demoId}/disconnect`, { deleteData: "yes" }) },
        { route: "POST /connections/:id/credentials", send: post(`/connections/${jiraId}/credentials`, { siteUrl: site.jira.url, email: "stranger@example.com", token: "stranger's token" }) },
        { route: "POST /connections/:id/settings", send: post(`/connections/${demoId}/settings`, { section: "schedule", scanEveryMinutes: "5" }) },
      ],
      404,
    );
    expect(issueCreations()).toBe(0);
  });
});
