import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consentWithAtlassian, startEmptyJiraSite, type FakeJiraSite } from "../support/atlassian.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { Browser, invite, joinAsNewMember, signUp, startTestWeb, type TestWeb } from "../support/web.js";

const SUMMARY = `Unblock the review queue ${randomUUID()}`;

let db: TestDatabase;
let web: TestWeb;
let site: FakeJiraSite;

beforeAll(async () => {
  db = await createTestDatabase();
  site = await startEmptyJiraSite();
  web = await startTestWeb(db, site.env);
});

afterAll(async () => {
  await web.close();
  await site.close();
  await db.drop();
});

const issuePosts = () => site.jira.requests.filter((request) => request.method === "POST" && request.path === "/rest/api/3/issue");

/** An owner with a Jira connection made through Atlassian sign-in; returns the connection page's path. */
async function connectedOwner(tenantName: string, form: Record<string, string>): Promise<{ owner: Browser; path: string }> {
  const owner = await signUp(web, { email: `${randomUUID()}@example.com`, tenantName });
  const back = await owner.get((await consentWithAtlassian(owner, form)).callback);
  if (back.status !== 302) throw new Error(`connect answered ${back.status}`);
  return { owner, path: back.location! };
}

/** The create-ticket form's fields as the connection page renders them. */
async function ticketForm(browser: Browser, path: string): Promise<Record<string, string>> {
  const page = await browser.get(path);
  const idempotencyKey = /name="idempotencyKey" value="([^"]+)"/.exec(page.body)?.[1];
  if (!idempotencyKey) throw new Error("the connection page has no create-ticket form");
  return { idempotencyKey, projectKey: "EE", issueType: "Task", summary: SUMMARY, description: "Reviews wait three days.\n\nSee the twin." };
}

async function memberOf(owner: Browser): Promise<Browser> {
  return joinAsNewMember(web, await invite(owner, `${randomUUID()}@example.com`));
}

describe("create ticket", () => {
  it("creates one issue when a member clicks, and records it in the audit log without its text", async () => {
    const { owner, path } = await connectedOwner("Tickets One", { enableCreateTicket: "yes" });
    const member = await memberOf(owner);
    const before = issuePosts().length;
    const created = await member.post(`${path}/tickets`, await ticketForm(member, path));
    expect(created.status).toBe(200);
    const issueKey = /<strong>([A-Z]+-\d+)<\/strong>/.exec(created.body)?.[1];
    expect(issueKey).toMatch(/^EE-\d+$/);
    const posts = issuePosts().slice(before);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toMatchObject({ fields: { project: { key: "EE" }, summary: SUMMARY, description: { type: "doc", version: 1 } } });
    expect(posts[0]!.headers.authorization).toMatch(/^Bearer fake-access-/);

    const connectionId = path.split("/").pop();
    const audit = await db.owner.query<{ action: string; target_type: string; target_id: string; details: Record<string, unknown> }>(
      "SELECT action, target_type, target_id, details FROM audit_log WHERE action = 'ticket.created' AND details->>'connectionId' = $1",
      [connectionId],
    );
    expect(audit.rows).toEqual([{ action: "ticket.created", target_type: "jira_issue", target_id: issueKey, details: { connectionId } }]);
    expect(JSON.stringify(audit.rows)).not.toContain("Unblock");
    const connected = await db.owner.query("SELECT 1 FROM audit_log WHERE action = 'connection.created' AND target_id = $1", [connectionId]);
    expect(connected.rowCount).toBe(1);
  });

  it("creates one issue for a double submit of the same form, and answers both with its key", async () => {
    const { owner, path } = await connectedOwner("Tickets Twice", { enableCreateTicket: "yes" });
    const form = await ticketForm(owner, path);
    const before = issuePosts().length;
    // A slow Jira: the second submit arrives while the first is still creating the issue.
    site.jira.setLatency((request) => (request.path === "/rest/api/3/issue" ? 300 : 0));
    const [first, second] = await Promise.all([owner.post(`${path}/tickets`, form), owner.post(`${path}/tickets`, form)]).finally(() => site.jira.setLatency(null));
    const third = await owner.post(`${path}/tickets`, form);
    const keys = [first, second, third].map((page) => /<strong>([A-Z]+-\d+)<\/strong>/.exec(page.body)?.[1]);
    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    expect(new Set(keys).size).toBe(1);
    expect(issuePosts().slice(before)).toHaveLength(1);
    const { rows } = await db.owner.query<{ issue_key: string }>("SELECT issue_key FROM created_tickets WHERE idempotency_key = $1", [form.idempotencyKey]);
    expect(rows).toEqual([{ issue_key: keys[0] }]);

    const another = await owner.post(`${path}/tickets`, await ticketForm(owner, path));
    expect(/<strong>([A-Z]+-\d+)<\/strong>/.exec(another.body)?.[1]).not.toBe(keys[0]);
    expect(issuePosts().slice(before)).toHaveLength(2);
  });

  it("sends nothing for a connection granted read access only, or for a forged form", async () => {
    const { owner, path } = await connectedOwner("Tickets Read Only", {});
    const before = issuePosts().length;
    const form = await ticketForm(owner, path);
    const refused = await owner.post(`${path}/tickets`, form);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("may only read Jira");
    expect((await owner.post(`${path}/tickets`, { ...form, _csrf: "forged" })).status).toBe(403);
    expect(issuePosts()).toHaveLength(before);
    const { rows } = await db.owner.query("SELECT 1 FROM created_tickets WHERE idempotency_key = $1", [form.idempotencyKey]);
    expect(rows).toHaveLength(0);
  });
});
