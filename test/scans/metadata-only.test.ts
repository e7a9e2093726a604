import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkAllowed } from "../../app/src/connectors/http/allowlist.js";
import { githubConnector } from "../../app/src/connectors/github/connector.js";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { jiraConnector } from "../../app/src/connectors/jira/connector.js";
import { fixtureEvents, fixtureIssues, startFakeGitHub, withCanaries, FAKE_GITHUB_TOKEN, type FakeGitHub } from "../fakes/github.js";
import { injectCanaries, loadJiraFixtures, startFakeJira, type FakeJira } from "../fakes/jira.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { signUp, startTestWeb, untilScansSettle, type Browser, type TestWeb } from "../support/web.js";
import { startTestWorkers, type TestWorkers } from "../support/workers.js";

const run = promisify(execFile);
const CANARY = `canary-${randomUUID()}`;
const JIRA_LOGIN = { email: "scanner@example.com", token: `jira-token-${randomUUID()}` };

let db: TestDatabase;
let web: TestWeb;
let workers: TestWorkers;
let github: FakeGitHub;
let jira: FakeJira;
let owner: Browser;
const connectionPages: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
  workers = startTestWorkers(web, db);
  github = await startFakeGitHub({ issues: withCanaries(fixtureIssues(), CANARY), events: withCanaries(fixtureEvents(), CANARY), pageSize: 10 });
  // The fake returns every change item whatever the client asks: the mapper alone must drop content.
  jira = await startFakeJira({ ...injectCanaries(loadJiraFixtures(), CANARY), auth: JIRA_LOGIN, honourFieldIds: false, pageSize: { search: 10 } });
  owner = await signUp(web, { email: "metadata@example.com", tenantName: "Metadata Co" });
  await owner.get("/connections");
  const forms: Record<string, string>[] = [
    { provider: "github", repositories: "panjf2000/ants", token: FAKE_GITHUB_TOKEN, apiBaseUrl: github.url, backfillDays: "3650" },
    { provider: "jira", siteUrl: jira.url, projects: "EE K5", email: JIRA_LOGIN.email, token: JIRA_LOGIN.token, backfillDays: "3650" },
  ];
  for (const form of forms) {
    const created = await owner.post("/connections", form);
    expect(created.status, created.body.slice(0, 2000)).toBe(302);
    connectionPages.push(created.location!);
  }
  for (const page of connectionPages) await untilScansSettle(owner, page, 60_000);
  // An incremental scan of each, with nothing changed upstream.
  for (const page of connectionPages) {
    await owner.get(page);
    await owner.post(`${page}/scan`, {});
    await untilScansSettle(owner, page, 60_000);
  }
}, 120_000);

afterAll(async () => {
  await workers.close();
  await web.close();
  await github.close();
  await jira.close();
  await db.drop();
});

describe("metadata only, end to end", () => {
  it("scans both tools successfully, full and incremental", async () => {
    const { rows } = await db.owner.query<{ provider: string; status: string; events_added: number }>(
      "SELECT c.provider, s.status, s.events_added FROM scans s JOIN connections c ON c.id = s.connection_id ORDER BY c.provider, s.queued_at",
    );
    expect(rows.map((row) => [row.provider, row.status])).toEqual([
      ["github", "succeeded"],
      ["github", "succeeded"],
      ["jira", "succeeded"],
      ["jira", "succeeded"],
    ]);
    expect(rows[0]!.events_added).toBeGreaterThan(0);
    expect(rows[1]!.events_added).toBe(0);
    expect(rows[2]!.events_added).toBeGreaterThan(0);
    expect(rows[3]!.events_added).toBe(0);
  });

  it("stores Jira status history that gives the hand-checked time in status (EE-24, see the Jira mapping test)", async () => {
    const { rows } = await db.owner.query<{ status: string; ms: string }>(
      `WITH entered AS (
         SELECT e.to_value AS status, e.occurred_at, lead(e.occurred_at) OVER (ORDER BY e.occurred_at) AS left_at
           FROM events e JOIN work_items w ON w.id = e.work_item_id
          WHERE w.external_id = 'EE-24' AND e.type IN ('created', 'status_changed'))
       SELECT status, round(sum(extract(epoch FROM left_at - occurred_at)) * 1000)::bigint AS ms
         FROM entered WHERE left_at IS NOT NULL GROUP BY status ORDER BY status`,
    );
    expect(Object.fromEntries(rows.map((row) => [row.status, Number(row.ms)]))).toEqual({
      Closed: 24_985_229_787,
      Inbox: 3_088_951,
      Open: 8_167_984,
      "To Do": 153_610,
    });
  });

  it("classifies statuses by the categories the provider reports, and lists the ones nothing classifies", async () => {
    const { rows } = await db.owner.query<{ provider: string; status_categories: Record<string, string>; output: ScanOutput }>(
      `SELECT c.provider, c.status_categories, o.output FROM connections c
         JOIN LATERAL (SELECT output FROM scan_outputs WHERE scope = 'connection:' || c.id ORDER BY computed_at DESC LIMIT 1) o ON true
        ORDER BY c.provider`,
    );
    const [githubRow, jiraRow] = rows;
    expect(githubRow!.status_categories).toMatchObject({ open: "todo", closed: "done" });
    // Read from /rest/api/3/statuses/search: Jira's own category for each status of the site.
    expect(jiraRow!.status_categories).toMatchObject({ Open: "todo", "In Progress": "in_progress", Closed: "done", "Blocked / On Hold": "in_progress", 已完成: "done" });
    const jiraSteps = new Map(jiraRow!.output.steps.map((step) => [step.step, step.class]));
    expect(jiraSteps.get("Closed")).toMatchObject({ category: "done" });
    // "Inbox" is no status of the site's status list and matches no name: listed, not guessed.
    expect(jiraSteps.get("Inbox")).toBeNull();
    expect(jiraRow!.output.dataQuality.unknownSteps.map((step) => step.step)).toContain("Inbox");
  });

  it("stores no content and no token anywhere in the database (a full dump is searched)", async () => {
    const { stdout } = await run("pg_dump", ["--data-only", "--no-owner", `--dbname=${db.ownerUrl}`], { maxBuffer: 256 * 1024 * 1024 });
    expect(stdout).toContain("panjf2000/ants");
    expect(stdout).toContain("EE-");
    expect(stdout).not.toContain(CANARY);
    expect(stdout).not.toContain(FAKE_GITHUB_TOKEN);
    expect(stdout).not.toContain(JIRA_LOGIN.token);
  });

  it("logs no content and no token", () => {
    const logs = web.logs.text + workers.logs.text;
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [CANARY, FAKE_GITHUB_TOKEN, JIRA_LOGIN.token]) expect(logs).not.toContain(secret);
  });

  it("makes only requests on each connector's read allowlist", () => {
    for (const [fake, connector] of [
      [github, githubConnector],
      [jira, jiraConnector],
    ] as const) {
      expect(fake.requests.length).toBeGreaterThan(0);
      for (const request of fake.requests) {
        const entry = checkAllowed(connector.manifest.requests, request.method, request.path);
        expect(entry.write ?? false).toBe(false);
      }
    }
  });
});
