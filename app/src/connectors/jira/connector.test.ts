import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { FAKE_ACCOUNT, injectCanaries, loadJiraFixtures, startFakeJira, type FakeJira, type FakeJiraOptions, type RecordedRequest } from "../../../../test/fakes/jira.js";
import { AppError } from "../../platform/errors.js";
import type { JsonValue, ScanPage } from "../connector.js";
import { checkAllowed, RequestNotAllowed } from "../http/allowlist.js";
import { createConnectorHttp, HttpStatusError, type ConnectorHttp } from "../http/client.js";
import { fetchStatusCategories, issuesUpdatedSinceJql, jiraConnector, verifyCredentials } from "./connector.js";
import { mapIssues, SEARCH_FIELDS, type JiraHistory } from "./map.js";

const API_TOKEN = { kind: "api_token", email: "scanner@example.com", token: "jira-api-token-1", site: "acme" };
const OAUTH = { kind: "oauth", accessToken: "oauth-access-token-1", cloudId: "11111111-2222-3333-4444-555555555555" };
const BACKFILL_FROM = new Date("2020-01-01T00:00:00Z");

const fakes: FakeJira[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function fakeJira(options: Partial<FakeJiraOptions> = {}): Promise<FakeJira> {
  const fake = await startFakeJira({ auth: { email: API_TOKEN.email, token: API_TOKEN.token }, ...options });
  fakes.push(fake);
  return fake;
}

function connectTo(fake: FakeJira, credentials: Record<string, string> = API_TOKEN, settings: Record<string, JsonValue> = {}) {
  const parsed = jiraConnector.parseSettings({ projects: ["EE", "K5"], apiBaseUrl: fake.url, ...settings });
  const http = createConnectorHttp({
    baseUrl: jiraConnector.baseUrl(parsed, credentials),
    allowlist: jiraConnector.manifest.requests,
    authHeaders: async () => jiraConnector.authHeaders(credentials),
    log: pino({ level: "silent" }),
  });
  return { settings: parsed, credentials, http };
}

type Connection = ReturnType<typeof connectTo>;

async function scanStream(connection: Connection, stream: string, cursor: JsonValue | null): Promise<ScanPage[]> {
  const pages: ScanPage[] = [];
  const context = {
    ...connection,
    saveCredentials: async () => {},
    backfillFrom: BACKFILL_FROM,
    now: new Date("2024-01-01T00:00:00Z"),
    log: pino({ level: "silent" }),
    signal: new AbortController().signal,
  };
  for await (const page of jiraConnector.scan(stream, cursor, context)) pages.push(page);
  return pages;
}

/** Every stream from `cursors` (null: first scan); the pages and each stream's last cursor. */
async function scanAll(connection: Connection, cursors: ReadonlyMap<string, JsonValue> = new Map()) {
  const pages: ScanPage[] = [];
  const lastCursors = new Map(cursors);
  for (const stream of jiraConnector.streams(connection.settings)) {
    const streamPages = await scanStream(connection, stream, cursors.get(stream) ?? null);
    pages.push(...streamPages);
    const last = streamPages.at(-1);
    if (last) lastCursors.set(stream, last.cursor);
  }
  return { pages, cursors: lastCursors, items: pages.flatMap((page) => page.batch.items), events: pages.flatMap((page) => page.batch.events) };
}

/** Shows the request counts in the test output. */
function report(line: string): void {
  // eslint-disable-next-line no-console -- a test's report, not application logging
  console.info(line);
}

const searchFieldsOf = (request: RecordedRequest) =>
  request.method === "POST" ? ((request.body as { fields: string[] }).fields ?? []) : (request.query.fields ?? "").split(",");

describe("Jira settings and credentials", () => {
  const invalid = (code: string) => expect.objectContaining({ code, status: 400 });

  it("normalizes project keys and the time zone", () => {
    expect(jiraConnector.parseSettings({ projects: [" proj ", "PROJ", "ab_2"], timeZone: "asia/shanghai" })).toEqual({
      projects: ["PROJ", "AB_2"],
      timeZone: "Asia/Shanghai",
    });
    expect(jiraConnector.parseSettings({ projects: ["EE"] })).toEqual({ projects: ["EE"], timeZone: "UTC" });
    expect(jiraConnector.streams({ projects: ["EE", "K5"], timeZone: "UTC" })).toEqual(["issues:EE", "issues:K5"]);
  });

  it.each([
    ["no settings", null, /list of projects/],
    ["no projects", { projects: [] }, /1 to 50/],
    ["too many projects", { projects: Array.from({ length: 51 }, (_, i) => `P${i}`) }, /1 to 50/],
    ["a key with a dash", { projects: ["PR-1"] }, /"PR-1" is not a Jira project key/],
    ["a key with a quote", { projects: ['A" OR project = "B'] }, /is not a Jira project key/],
    ["a key starting with a digit", { projects: ["2PROJ"] }, /is not a Jira project key/],
    ["an unknown time zone", { projects: ["EE"], timeZone: "Mars/Olympus" }, /"Mars\/Olympus" is not a time zone/],
    ["a non-http base URL", { projects: ["EE"], apiBaseUrl: "file:///etc/passwd" }, /plain http\(s\) URL/],
  ])("refuses %s with a message saying what to fix", (_case, raw, message) => {
    expect(() => jiraConnector.parseSettings(raw)).toThrow(AppError);
    expect(() => jiraConnector.parseSettings(raw)).toThrow(message);
  });

  it("reaches the site with Basic auth for an API token, and api.atlassian.com with Bearer for OAuth", () => {
    const settings = jiraConnector.parseSettings({ projects: ["EE"] });
    expect(jiraConnector.baseUrl(settings, API_TOKEN)).toBe("https://acme.atlassian.net");
    expect(jiraConnector.baseUrl(settings, { ...API_TOKEN, site: "acme.atlassian.net" })).toBe("https://acme.atlassian.net");
    expect(jiraConnector.authHeaders(API_TOKEN)).toEqual({ authorization: `Basic ${Buffer.from("scanner@example.com:jira-api-token-1").toString("base64")}` });
    expect(jiraConnector.baseUrl(settings, OAUTH)).toBe(`https://api.atlassian.com/ex/jira/${OAUTH.cloudId}`);
    expect(jiraConnector.authHeaders(OAUTH)).toEqual({ authorization: "Bearer oauth-access-token-1" });
  });

  it("refuses incomplete or unknown credentials", () => {
    const settings = jiraConnector.parseSettings({ projects: ["EE"] });
    expect(() => jiraConnector.authHeaders({ ...API_TOKEN, token: "" })).toThrow(expect.objectContaining({ code: "invalid_credentials", message: expect.stringMatching(/"token"/) }));
    expect(() => jiraConnector.baseUrl(settings, { ...API_TOKEN, site: "evil.example/x" })).toThrow(invalid("invalid_credentials"));
    expect(() => jiraConnector.baseUrl(settings, { ...OAUTH, cloudId: "../../admin" })).toThrow(invalid("invalid_credentials"));
    expect(() => jiraConnector.authHeaders({ kind: "password" })).toThrow(invalid("invalid_credentials"));
  });
});

describe("the JQL watermark", () => {
  it("is written at minute precision in the configured zone, which Jira reads JQL dates in", () => {
    const at = new Date("2024-03-10T06:59:59.999Z");
    expect(issuesUpdatedSinceJql("EE", at, "UTC")).toBe('project = "EE" AND updated >= "2024-03-10 06:59" ORDER BY updated ASC');
    expect(issuesUpdatedSinceJql("EE", at, "Asia/Shanghai")).toBe('project = "EE" AND updated >= "2024-03-10 14:59" ORDER BY updated ASC');
    // 06:59 UTC on the day New York moves to daylight time (07:00 UTC) is still 01:59 EST.
    expect(issuesUpdatedSinceJql("EE", at, "America/New_York")).toBe('project = "EE" AND updated >= "2024-03-10 01:59" ORDER BY updated ASC');
    expect(issuesUpdatedSinceJql("EE", new Date("2024-03-10T07:00:00Z"), "America/New_York")).toContain('"2024-03-10 03:00"');
    expect(issuesUpdatedSinceJql("EE", new Date("2024-01-01T00:00:00Z"), "UTC")).toContain('"2024-01-01 00:00"');
  });
});

describe("scanning Jira", () => {
  it("reads every fixture issue and its whole history with a handful of allowed, read-only requests", async () => {
    const fake = await fakeJira();
    const connection = connectTo(fake);
    const scan = await scanAll(connection);

    const fixtures = loadJiraFixtures();
    const expected = mapIssues(fixtures.issues, fixtures.changelogs);
    expect(scan.items.map((item) => item.externalId).sort()).toEqual(fixtures.issues.map((issue) => issue.key).sort());
    expect(scan.events.map((event) => event.externalId).sort()).toEqual(expected.events.map((event) => event.externalId).sort());
    expect(scan.items).toHaveLength(33);
    expect(scan.events).toHaveLength(269);

    for (const request of fake.requests) {
      const allowed = checkAllowed(jiraConnector.manifest.requests, request.method, request.path);
      expect(allowed.write).toBeFalsy();
    }
    const searches = fake.requests.filter((request) => request.path === "/rest/api/3/search/jql");
    expect(searches).toHaveLength(2);
    for (const search of searches) {
      expect(searchFieldsOf(search)).toEqual(SEARCH_FIELDS);
      expect(searchFieldsOf(search)).not.toContain("summary");
      expect(searchFieldsOf(search)).not.toContain("description");
    }
    for (const bulk of fake.requests.filter((request) => request.path === "/rest/api/3/changelog/bulkfetch")) {
      expect(bulk.body).toMatchObject({ fieldIds: ["status", "assignee", "priority", "labels", "resolution"] });
    }

    // Per stream, one search (up to 100 issues a page) and one bulk changelog request for its issues (up
    // to 10,000 histories a page): EE's 30 issues have 205 histories with kept items, 1 page; K5's 3 have none.
    // Status categories are not read by a scan: there is nowhere to keep them yet.
    const bound = Math.ceil(30 / 100) * (1 + Math.ceil(205 / 1000)) + Math.ceil(3 / 100) * (1 + 1);
    expect(fake.requests).toHaveLength(4);
    expect(fake.requests.length).toBeLessThanOrEqual(bound);
    report(`full scan: ${scan.items.length} issues, ${scan.events.length} events, ${fake.requests.length} requests (bound ${bound})`);
  });

  it("rescans from the cursors with at most 2 requests a stream and no new events", async () => {
    const fake = await fakeJira();
    const connection = connectTo(fake);
    const first = await scanAll(connection);
    expect(Object.fromEntries(first.cursors)).toEqual({
      "issues:EE": { updatedSince: "2021-08-06T06:14:54.647Z" }, // EE-20 updated 2021-08-06T14:14:54.647+0800
      "issues:K5": { updatedSince: "2022-07-15T22:31:38.612Z" }, // K5-3 updated 2022-07-16T06:31:38.612+0800
    });
    fake.requests.length = 0;

    const second = await scanAll(connection, first.cursors);
    const jqls = fake.requests.filter((request) => request.path === "/rest/api/3/search/jql").map((request) => (request.body as { jql: string }).jql);
    expect(jqls).toEqual([
      'project = "EE" AND updated >= "2021-08-06 06:12" ORDER BY updated ASC',
      'project = "K5" AND updated >= "2022-07-15 22:29" ORDER BY updated ASC',
    ]);
    const paths = fake.requests.map((request) => request.path);
    expect(paths).toEqual(["/rest/api/3/search/jql", "/rest/api/3/changelog/bulkfetch", "/rest/api/3/search/jql", "/rest/api/3/changelog/bulkfetch"]);
    const known = new Set(first.events.map((event) => event.externalId));
    expect(second.events.filter((event) => !known.has(event.externalId))).toEqual([]);
    expect(Object.fromEntries(second.cursors)).toEqual(Object.fromEntries(first.cursors));
    report(`incremental scan: ${second.items.length} issues re-read in the overlap, ${fake.requests.length} requests for 2 streams`);
  });

  it("picks up an upstream change on the next scan", async () => {
    const first = await scanAll(connectTo(await fakeJira()));
    const fixtures = loadJiraFixtures();
    const issue = fixtures.issues.find((candidate) => candidate.key === "K5-2")!;
    issue.fields.updated = "2022-07-20T10:00:00.000+0800";
    issue.fields.status = { name: "In Progress" };
    fixtures.changelogs.set(issue.id, [
      {
        id: "900001",
        created: "2022-07-20T10:00:00.000+0800",
        author: { accountId: "acc-9", displayName: "Grace" },
        items: [{ field: "status", fieldId: "status", from: "10000", fromString: "To Do", to: "3", toString: "In Progress" }],
      },
    ]);
    const changed = await fakeJira(fixtures);
    const second = await scanAll(connectTo(changed), first.cursors);
    const known = new Set(first.events.map((event) => event.externalId));
    expect(second.events.filter((event) => !known.has(event.externalId))).toEqual([
      expect.objectContaining({ externalId: "900001:status", itemExternalId: "K5-2", type: "status_changed", from: "To Do", to: "In Progress", actor: "acc-9" }),
    ]);
    expect(second.cursors.get("issues:K5")).toEqual({ updatedSince: "2022-07-20T02:00:00.000Z" });
  });

  it("follows search and changelog pages, gathering search pages into a scan page per 1000 issues", async () => {
    const fake = await fakeJira({ pageSize: { search: 10, changelog: 25 } });
    const pages = await scanStream(connectTo(fake), "issues:EE", null);
    expect(pages.map((page) => page.batch.items.length)).toEqual([30]);

    const fixtures = loadJiraFixtures();
    const ee = fixtures.issues.filter((issue) => issue.fields.project.key === "EE");
    const expected = mapIssues(ee, fixtures.changelogs);
    expect(pages[0]!.batch.events.map((event) => event.externalId).sort()).toEqual(expected.events.map((event) => event.externalId).sort());

    const searches = fake.requests.filter((request) => request.path === "/rest/api/3/search/jql");
    const bulkFetches = fake.requests.filter((request) => request.path === "/rest/api/3/changelog/bulkfetch");
    expect(searches).toHaveLength(3);
    expect(searches.slice(1).every((request) => typeof (request.body as { nextPageToken?: string }).nextPageToken === "string")).toBe(true);
    // The 30 issues have 205 histories with kept items: one bulk request for all of them, in 9 pages of 25.
    expect(bulkFetches).toHaveLength(9);
    expect(bulkFetches.every((request) => (request.body as { issueIdsOrKeys: string[] }).issueIdsOrKeys.length === 30)).toBe(true);
    expect(bulkFetches.filter((request) => (request.body as { nextPageToken?: string }).nextPageToken === undefined)).toHaveLength(1);
  });

  it("names at most 1000 issues a bulk changelog request, one scan page each, with a rising cursor", async () => {
    const copies = manyIssues(2_500);
    const fake = await fakeJira({ ...copies, pageSize: { search: 100 } });
    const pages = await scanStream(connectTo(fake), "issues:EE", null);
    expect(pages.map((page) => page.batch.items.length)).toEqual([1000, 1000, 500]);
    const cursors = pages.map((page) => (page.cursor as { updatedSince: string }).updatedSince);
    expect([...cursors].sort()).toEqual(cursors);
    expect(new Set(cursors).size).toBe(3);
    for (const page of pages) expect(page.batch.events.filter((event) => event.type === "created")).toHaveLength(page.batch.items.length);

    const bulkIssueCounts = fake.requests
      .filter((request) => request.path === "/rest/api/3/changelog/bulkfetch" && (request.body as { nextPageToken?: string }).nextPageToken === undefined)
      .map((request) => (request.body as { issueIdsOrKeys: string[] }).issueIdsOrKeys.length);
    expect(bulkIssueCounts).toEqual([1000, 1000, 500]);
    expect(fake.requests.filter((request) => request.path === "/rest/api/3/search/jql")).toHaveLength(25);
  });

  it("reads 1000 issues with 10 histories each in 11 requests when Jira returns only 100 issues a search page", async () => {
    const fake = await fakeJira({ ...manyIssues(1_000, 10), pageSize: { search: 100 } });
    const pages = await scanStream(connectTo(fake), "issues:EE", null);
    expect(pages.flatMap((page) => page.batch.events).filter((event) => event.type === "status_changed")).toHaveLength(10_000);
    const bulkFetches = fake.requests.filter((request) => request.path === "/rest/api/3/changelog/bulkfetch");
    // The largest page the API allows: all 10,000 histories in one changelog request.
    expect(bulkFetches.map((request) => (request.body as { maxResults: number }).maxResults)).toEqual([10_000]);
    expect(fake.requests).toHaveLength(11);
  });

  it("never lets content through, even when Jira returns every change item", async () => {
    const canary = "CANARY-0c9e72";
    const fixtures = injectCanaries(loadJiraFixtures(), canary);
    const fake = await fakeJira({ ...fixtures, honourFieldIds: false });
    const connection = connectTo(fake);
    const scan = await scanAll(connection);
    expect(scan.events).toHaveLength(269);
    expect(JSON.stringify(scan.pages)).not.toContain(canary);

    // The fake does hand out content to a client that asks for it.
    const asked = await connection.http.request<unknown>({ method: "GET", path: "/rest/api/3/search/jql", query: { jql: 'project = "EE"', fields: "summary,description" } });
    expect(JSON.stringify(asked.body)).toContain(`${canary} summary of EE-1`);
  });

  it("starts a first scan at the backfill date, in the configured zone", async () => {
    const fake = await fakeJira();
    await scanStream(connectTo(fake, API_TOKEN, { timeZone: "Asia/Shanghai" }), "issues:K5", null);
    expect((fake.requests[0]?.body as { jql: string }).jql).toBe('project = "K5" AND updated >= "2020-01-01 08:00" ORDER BY updated ASC');
  });

  it("signs in with an OAuth bearer token", async () => {
    const fake = await fakeJira({ auth: { accessToken: OAUTH.accessToken } });
    const scan = await scanAll(connectTo(fake, OAUTH));
    expect(scan.items).toHaveLength(33);
    expect(fake.requests.every((request) => request.headers.authorization === "Bearer oauth-access-token-1")).toBe(true);
  });

  it("fails on refused credentials and on a failed changelog request, yielding no page without its history", async () => {
    const fake = await fakeJira();
    await expect(scanStream(connectTo(fake, { ...API_TOKEN, token: "wrong" }), "issues:EE", null)).rejects.toMatchObject({ name: "HttpStatusError", status: 401 });

    fake.setFault((request) => (request.path === "/rest/api/3/changelog/bulkfetch" ? { status: 403, body: { errorMessages: ["no"] } } : undefined));
    const pages: ScanPage[] = [];
    const scanning = (async () => {
      for await (const page of jiraConnector.scan("issues:EE", null, { ...connectTo(fake), saveCredentials: async () => {}, backfillFrom: BACKFILL_FROM, now: new Date(), log: pino({ level: "silent" }), signal: new AbortController().signal })) pages.push(page);
    })();
    await expect(scanning).rejects.toBeInstanceOf(HttpStatusError);
    expect(pages).toEqual([]);
  });

  it("refuses a stream of another project", async () => {
    const fake = await fakeJira();
    await expect(scanStream(connectTo(fake), "issues:OTHER", null)).rejects.toThrow(/not a stream of this Jira connection/);
    expect(fake.requests).toEqual([]);
  });
});

describe("other Jira reads", () => {
  it("refuses anything off the allowlist before it is sent, such as reading an issue with its description", async () => {
    const fake = await fakeJira();
    const { http } = connectTo(fake);
    await expect(http.request({ method: "GET", path: "/rest/api/3/issue/EE-1" })).rejects.toBeInstanceOf(RequestNotAllowed);
    await expect(http.request({ method: "GET", path: "/rest/api/3/issue/10063/comment" })).rejects.toBeInstanceOf(RequestNotAllowed);
    await expect(http.request({ method: "POST", path: "/rest/api/3/issue", body: {} })).rejects.toBeInstanceOf(RequestNotAllowed);
    expect(fake.requests).toEqual([]);
  });

  it("fetches every status with its category, page by page", async () => {
    const fake = await fakeJira({ pageSize: { statuses: 20 } });
    const { http } = connectTo(fake);
    const statuses = await fetchStatusCategories(http);
    expect(statuses).toHaveLength(53);
    expect(statuses).toContainEqual({ statusId: "6", name: "Closed", category: "DONE" });
    expect(statuses).toContainEqual({ statusId: "3", name: "In Progress", category: "IN_PROGRESS" });
    expect(statuses).toContainEqual({ statusId: "1", name: "Open", category: "TODO" });
    expect(fake.requests.map((request) => request.query.startAt)).toEqual(["0", "20", "40"]);
  });

  it("gives the analysis each status name's category", async () => {
    const fake = await fakeJira();
    const connection = connectTo(fake);
    const categories = await jiraConnector.statusCategories!({ ...connection, saveCredentials: async () => {}, backfillFrom: BACKFILL_FROM, now: new Date(), log: pino({ level: "silent" }), signal: new AbortController().signal });
    expect(categories).toMatchObject({ Open: "todo", "Selected for Development": "todo", "In Progress": "in_progress", 开发中: "in_progress", Closed: "done", 已发布: "done" });
    expect(Object.keys(categories)).toHaveLength(38);
  });

  it("checks credentials through /myself, keeping no e-mail address", async () => {
    const fake = await fakeJira();
    const account = await verifyCredentials(connectTo(fake).http);
    expect(account).toEqual(FAKE_ACCOUNT);
    const wrong: ConnectorHttp = connectTo(fake, { ...API_TOKEN, email: "someone@example.com" }).http;
    await expect(verifyCredentials(wrong)).rejects.toMatchObject({ status: 401 });
  });
});

/** The first EE issue copied `count` times under new ids, keys and update times, one status change each. */
/** `count` copies of an EE issue, each with `historiesEach` status changes a minute apart. */
function manyIssues(count: number, historiesEach = 1): Pick<FakeJiraOptions, "issues" | "changelogs" | "statuses"> {
  const fixtures = loadJiraFixtures();
  const model = fixtures.issues.find((issue) => issue.fields.project.key === "EE")!;
  const issues = [];
  const changelogs = new Map<string, JiraHistory[]>();
  for (let n = 1; n <= count; n += 1) {
    const id = String(500_000 + n);
    const updated = new Date(Date.UTC(2023, 0, 1) + n * 60_000).toISOString().replace("Z", "+0000");
    issues.push({ ...model, id, key: `EE-${10_000 + n}`, fields: { ...model.fields, updated } });
    const moves = [
      { from: "10000", fromString: "To Do", to: "3", toString: "In Progress" },
      { from: "3", fromString: "In Progress", to: "10000", toString: "To Do" },
    ];
    changelogs.set(
      id,
      Array.from({ length: historiesEach }, (_, h) => ({
        id: String(900_000 + n * historiesEach + h),
        created: new Date(Date.parse(updated) - (historiesEach - 1 - h) * 1000).toISOString().replace("Z", "+0000"),
        author: { accountId: "acc-1", displayName: "Ada" },
        items: [{ field: "status", fieldId: "status", ...moves[h % 2]! }],
      })),
    );
  }
  return { issues, changelogs, statuses: fixtures.statuses };
}
