import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { FAKE_GITHUB_TOKEN, fixtureEvents, fixtureIssues, startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from "../../../../test/fakes/github.js";
import { AppError } from "../../platform/errors.js";
import type { JsonValue, ScanContext, ScanPage } from "../connector.js";
import { checkAllowed } from "../http/allowlist.js";
import { createConnectorHttp } from "../http/client.js";
import { githubConnector, nextPageQuery, validateToken } from "./connector.js";

const REPO = "panjf2000/ants";
const BEFORE_ALL_FIXTURES = new Date("2018-01-01T00:00:00Z");
const KEPT_KINDS = new Set(["labeled", "assigned", "closed"]);

let fake: FakeGitHub | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function startFake(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  await fake?.close();
  fake = await startFakeGitHub(options);
  return fake;
}

/** A scan context as the worker builds one: the real HTTP client, allowlist and auth headers. */
function contextFor(server: FakeGitHub, options: { backfillFrom?: Date; token?: string; logLines?: string[] } = {}): ScanContext {
  const settings = githubConnector.parseSettings({ repositories: [REPO], apiBaseUrl: server.url });
  const credentials = { token: options.token ?? FAKE_GITHUB_TOKEN };
  const lines = options.logLines ?? [];
  const log = pino({ level: "trace" }, { write: (line: string) => void lines.push(line) });
  const http = createConnectorHttp({
    baseUrl: githubConnector.baseUrl(settings, credentials),
    allowlist: githubConnector.manifest.requests,
    authHeaders: async () => githubConnector.authHeaders(credentials),
    log,
  });
  return {
    settings,
    credentials,
    saveCredentials: async () => {},
    http,
    backfillFrom: options.backfillFrom ?? BEFORE_ALL_FIXTURES,
    now: new Date("2022-06-14T00:00:00Z"),
    log,
    signal: new AbortController().signal,
  };
}

async function scan(stream: string, cursor: JsonValue | null, context: ScanContext): Promise<ScanPage[]> {
  const pages: ScanPage[] = [];
  for await (const page of githubConnector.scan(stream, cursor, context)) pages.push(page);
  return pages;
}

const lastCursor = (pages: ScanPage[]) => pages.at(-1)?.cursor ?? null;
const eventIds = (pages: ScanPage[]) => pages.flatMap((page) => page.batch.events.map((event) => event.externalId));
const changeIds = (pages: ScanPage[]) => eventIds(pages).filter((id) => !id.endsWith("#created"));
const requestsTo = (server: FakeGitHub, suffix: string) => server.requests.filter((request) => request.path.endsWith(suffix));

describe("GitHub connector against the fake API", () => {
  it("reads every fixture issue and the kept events in a full scan, asking only allowlisted reads", async () => {
    const server = await startFake();
    const context = contextFor(server);
    const issuePages = await scan(`issues:${REPO}`, null, context);
    const eventPages = await scan(`events:${REPO}`, null, context);

    const items = new Set(issuePages.flatMap((page) => page.batch.items.map((item) => item.externalId)));
    expect(items.size).toBe(41);
    expect(items).toEqual(new Set(fixtureIssues().map((issue) => `${REPO}#${String(issue.number)}`)));
    const kept = fixtureEvents().filter((event) => KEPT_KINDS.has(String(event.event)));
    expect(changeIds(eventPages).sort()).toEqual(kept.map((event) => String(event.id)).sort());

    expect(server.requests.length).toBe(2);
    for (const request of server.requests) {
      expect(request.method).toBe("GET");
      expect(() => checkAllowed(githubConnector.manifest.requests, request.method, request.path)).not.toThrow();
      expect(request.headers).toMatchObject({
        authorization: `Bearer ${FAKE_GITHUB_TOKEN}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
      });
    }
    expect(requestsTo(server, "/issues")[0]?.query).toEqual({
      state: "all",
      sort: "updated",
      direction: "asc",
      per_page: "100",
      since: BEFORE_ALL_FIXTURES.toISOString(),
    });
  });

  it("follows GitHub's next links page by page, on the allowlisted path, and stops at the last", async () => {
    const server = await startFake({ pageSize: 10 });
    const context = contextFor(server);
    const issuePages = await scan(`issues:${REPO}`, null, context);
    const eventPages = await scan(`events:${REPO}`, null, context);

    expect(issuePages).toHaveLength(5);
    expect(eventPages).toHaveLength(5);
    expect(requestsTo(server, "/issues").map((request) => request.query.page)).toEqual([undefined, "2", "3", "4", "5"]);
    expect(requestsTo(server, "/issues/events").map((request) => request.query.page)).toEqual([undefined, "2", "3", "4", "5"]);
    expect(server.requests.every((request) => request.path.startsWith(`/repos/${REPO}/`))).toBe(true);
    expect(new Set(issuePages.flatMap((page) => page.batch.items.map((item) => item.externalId))).size).toBe(41);

    const watermarks = issuePages.map((page) => (page.cursor as { updatedSince: string }).updatedSince);
    expect(watermarks).toEqual([...watermarks].sort());
    expect(watermarks.at(-1)).toBe("2019-10-17T03:12:19.000Z");
  });

  it("carries the old events cursor until the walk back is complete", async () => {
    const server = await startFake({ pageSize: 10 });
    const eventPages = await scan(`events:${REPO}`, null, contextFor(server));
    const newest = Math.max(...fixtureEvents().map((event) => Number(event.id)));
    expect(eventPages.slice(0, -1).map((page) => page.cursor)).toEqual([null, null, null, null]);
    expect(lastCursor(eventPages)).toEqual({ maxEventId: newest });
  });

  it("makes one request per stream and finds no new events when nothing changed", async () => {
    const server = await startFake({ pageSize: 10 });
    const context = contextFor(server);
    const first = { issues: await scan(`issues:${REPO}`, null, context), events: await scan(`events:${REPO}`, null, context) };
    server.requests.length = 0;

    const issues = await scan(`issues:${REPO}`, lastCursor(first.issues), context);
    const events = await scan(`events:${REPO}`, lastCursor(first.events), context);

    expect(requestsTo(server, "/issues")).toHaveLength(1);
    expect(requestsTo(server, "/issues/events")).toHaveLength(1);
    expect(requestsTo(server, "/issues")[0]?.query.since).toBe("2019-10-17T03:07:19.000Z");
    const known = new Set([...eventIds(first.issues), ...eventIds(first.events)]);
    expect([...eventIds(issues), ...eventIds(events)].filter((id) => !known.has(id))).toEqual([]);
    expect(lastCursor(issues)).toEqual(lastCursor(first.issues));
    expect(lastCursor(events)).toEqual(lastCursor(first.events));
  });

  it("reads only the events added since the last scan", async () => {
    const all = fixtureEvents().sort((a, b) => Number(b.id) - Number(a.id));
    const [added, earlier] = [all.slice(0, 3), all.slice(3)];
    const before = await scan(`events:${REPO}`, null, contextFor(await startFake({ events: earlier })));

    const server = await startFake({ events: all, pageSize: 2 });
    const after = await scan(`events:${REPO}`, lastCursor(before), contextFor(server));

    expect(changeIds(after).sort()).toEqual(added.filter((event) => KEPT_KINDS.has(String(event.event))).map((event) => String(event.id)).sort());
    expect(after.slice(0, -1).every((page) => JSON.stringify(page.cursor) === JSON.stringify(lastCursor(before)))).toBe(true);
    expect(lastCursor(after)).toEqual({ maxEventId: Number(all[0]?.id) });
    expect(server.requests).toHaveLength(2);
  });

  it("stops the first events walk at the backfill start", async () => {
    const backfillFrom = new Date("2022-05-01T00:00:00Z");
    const server = await startFake({ pageSize: 10 });
    const pages = await scan(`events:${REPO}`, null, contextFor(server, { backfillFrom }));
    const recent = fixtureEvents().filter((event) => KEPT_KINDS.has(String(event.event)) && new Date(String(event.created_at)) >= backfillFrom);

    expect(changeIds(pages).sort()).toEqual(recent.map((event) => String(event.id)).sort());
    expect(server.requests.length).toBeLessThan(5);
  });

  it("never puts the token into a record or the log", async () => {
    const server = await startFake({ pageSize: 10 });
    const logLines: string[] = [];
    const context = contextFor(server, { logLines });
    const pages = [...(await scan(`issues:${REPO}`, null, context)), ...(await scan(`events:${REPO}`, null, context))];

    expect(logLines.length).toBeGreaterThan(0);
    expect(JSON.stringify(pages)).not.toContain(FAKE_GITHUB_TOKEN);
    expect(logLines.join("")).not.toContain(FAKE_GITHUB_TOKEN);
  });

  it("refuses a next link to another host and sends nothing there", async () => {
    const server = await startFake();
    server.setFault(() => ({ status: 200, body: [], headers: { link: '<https://attacker.example/repos/panjf2000/ants/issues?page=2>; rel="next"' } }));
    await expect(scan(`issues:${REPO}`, null, contextFor(server))).rejects.toThrow(/leads elsewhere/);
    expect(server.requests).toHaveLength(1);
  });

  it("fails the scan when GitHub refuses the token", async () => {
    const server = await startFake();
    await expect(scan(`issues:${REPO}`, null, contextFor(server, { token: "ghp_wrong" }))).rejects.toMatchObject({ status: 401 });
  });

  it("checks the token with GET /user", async () => {
    const server = await startFake({ login: "octo-reader", scopes: "repo, read:org" });
    const context = contextFor(server);
    expect(await validateToken(context.http)).toEqual({ login: "octo-reader", scopes: ["repo", "read:org"] });
    expect(await githubConnector.verifyCredentials?.(context.http, context.settings)).toBe("GitHub account octo-reader; token scopes: repo, read:org");
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual(["GET /user", "GET /user"]);
  });
});

describe("GitHub next-page links", () => {
  const api = new URL("https://api.github.com");
  const path = `/repos/${REPO}/issues`;
  const link = (url: string) => `<https://api.github.com/repositories/1/issues?page=1>; rel="prev", <${url}>; rel="next", <https://api.github.com/x?page=9>; rel="last"`;

  it("takes the query of the next link, on the same path or GitHub's /repositories/{id} alias", () => {
    expect(nextPageQuery(link(`https://api.github.com${path}?per_page=100&page=2`), api, path)).toEqual({ per_page: "100", page: "2" });
    expect(nextPageQuery(link("https://api.github.com/repositories/93153690/issues?state=all&page=3"), api, path)).toEqual({ state: "all", page: "3" });
    expect(nextPageQuery('<https://api.github.com/repositories/1/issues?page=1>; rel="prev"', api, path)).toBeNull();
    expect(nextPageQuery(null, api, path)).toBeNull();
  });

  it("keeps a GitHub Enterprise base path", () => {
    const enterprise = new URL("https://github.example.com/api/v3");
    expect(nextPageQuery(link(`https://github.example.com/api/v3${path}?page=2`), enterprise, path)).toEqual({ page: "2" });
    expect(() => nextPageQuery(link(`https://github.example.com${path}?page=2`), enterprise, path)).toThrow(/leads elsewhere/);
  });

  it("refuses links to another origin or another list", () => {
    for (const target of [
      `https://evil.example${path}?page=2`,
      `http://api.github.com${path}?page=2`,
      `https://api.github.com/repos/${REPO}/issues/comments?page=2`,
      "https://api.github.com/repositories/1/issues/events?page=2",
      `https://api.github.com/repos/${REPO}/contents/README.md`,
    ]) {
      expect(() => nextPageQuery(link(target), api, path), target).toThrow(/leads elsewhere/);
    }
  });
});

describe("GitHub settings", () => {
  const parse = (raw: unknown) => githubConnector.parseSettings(raw);
  const refusal = (raw: unknown) => {
    try {
      parse(raw);
    } catch (error) {
      return error instanceof AppError ? { status: error.status, message: error.message } : error;
    }
    return null;
  };

  it("accepts 1 to 50 repositories and an optional http(s) API URL", () => {
    expect(parse({ repositories: ["octocat/Hello-World", "octocat/hello-world", "a/b.c_d-e"] })).toEqual({ repositories: ["octocat/Hello-World", "a/b.c_d-e"] });
    expect(parse({ repositories: [REPO], apiBaseUrl: "https://github.example.com/api/v3/" })).toEqual({
      repositories: [REPO],
      apiBaseUrl: "https://github.example.com/api/v3",
    });
    expect(githubConnector.streams(parse({ repositories: [REPO, "a/b"] }))).toEqual([`issues:${REPO}`, `events:${REPO}`, "issues:a/b", "events:a/b"]);
  });

  it("refuses anything else with a 400 that says what to fix", () => {
    const fiftyOne = Array.from({ length: 51 }, (_, i) => `owner/repo-${i}`);
    expect(refusal(null)).toMatchObject({ status: 400, message: expect.stringContaining("list of repositories") });
    expect(refusal({ repositories: [] })).toMatchObject({ status: 400, message: "List 1 to 50 repositories, each as owner/repo." });
    expect(refusal({ repositories: fiftyOne })).toMatchObject({ status: 400, message: expect.stringContaining("at most 50") });
    for (const name of ["octocat", "octocat/..", "../etc", "a/b/c", "octo cat/x", "-x/y"]) {
      expect(refusal({ repositories: [name] }), name).toMatchObject({ status: 400, message: expect.stringContaining("owner/repo") });
    }
    for (const apiBaseUrl of ["ftp://github.example.com", "not a url", "https://user:pw@github.example.com", "https://github.example.com/api?x=1"]) {
      expect(refusal({ repositories: [REPO], apiBaseUrl }), apiBaseUrl).toMatchObject({ status: 400, message: expect.stringContaining("http(s)") });
    }
  });

  it("sends the token as a bearer token, and refuses a missing or broken one", () => {
    expect(githubConnector.authHeaders({ token: "ghp_x" })).toEqual({
      authorization: "Bearer ghp_x",
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
    });
    expect(() => githubConnector.authHeaders({})).toThrow(AppError);
    expect(() => githubConnector.authHeaders({ token: "ghp_x\n" })).toThrow(/line breaks/);
  });
});
