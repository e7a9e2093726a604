import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeJira, type FakeJira } from "../../../../test/fakes/jira.js";
import { RequestNotAllowed } from "../http/allowlist.js";
import { createConnectorHttp } from "../http/client.js";
import { jiraConnector } from "./connector.js";
import { canCreateIssues, createIssue, createIssueHttp, CREATE_ISSUE_REQUESTS, parseNewIssue, plainTextToAdf } from "./tickets.js";

const log = pino({ level: "silent" });
const API_TOKEN = { kind: "api_token", email: "scanner@example.com", token: "jira-api-token-1", site: "acme" };
const ISSUE = { projectKey: "EE", issueType: "Task", summary: "Review the waiting queue", description: "" };

let jira: FakeJira;
let settings: ReturnType<typeof jiraConnector.parseSettings>;

beforeAll(async () => {
  jira = await startFakeJira({ auth: { email: API_TOKEN.email, token: API_TOKEN.token }, issues: [], changelogs: new Map(), statuses: [] });
  settings = jiraConnector.parseSettings({ projects: ["EE"], apiBaseUrl: jira.url });
});

afterAll(async () => {
  await jira.close();
});

beforeEach(() => {
  jira.requests.length = 0;
});

describe("create ticket, the one write", () => {
  it("creates one issue through its own client, with the description as Atlassian Document Format", async () => {
    const key = await createIssue(createIssueHttp(settings, () => API_TOKEN, log), { ...ISSUE, description: "First line\nsecond line\n\nNext paragraph" });
    expect(key).toMatch(/^EE-\d+$/);
    expect(jira.requests).toHaveLength(1);
    expect(jira.requests[0]).toMatchObject({
      method: "POST",
      path: "/rest/api/3/issue",
      body: {
        fields: {
          project: { key: "EE" },
          issuetype: { name: "Task" },
          summary: "Review the waiting queue",
          description: {
            type: "doc",
            version: 1,
            content: [
              { type: "paragraph", content: [{ type: "text", text: "First line" }, { type: "hardBreak" }, { type: "text", text: "second line" }] },
              { type: "paragraph", content: [{ type: "text", text: "Next paragraph" }] },
            ],
          },
        },
      },
    });
  });

  it("can never be sent by a scan's client, nor by a client without allowWrites: refused before anything leaves", async () => {
    const scanClient = createConnectorHttp({
      baseUrl: jiraConnector.baseUrl(settings, API_TOKEN),
      allowlist: jiraConnector.manifest.requests,
      authHeaders: async () => jiraConnector.authHeaders(API_TOKEN),
      log,
    });
    const withoutWrites = createConnectorHttp({ baseUrl: jira.url, allowlist: CREATE_ISSUE_REQUESTS, authHeaders: async () => jiraConnector.authHeaders(API_TOKEN), log });
    await expect(createIssue(scanClient, ISSUE)).rejects.toBeInstanceOf(RequestNotAllowed);
    await expect(createIssue(withoutWrites, ISSUE)).rejects.toBeInstanceOf(RequestNotAllowed);
    expect(jiraConnector.manifest.requests.some((request) => request.write)).toBe(false);
    expect(jira.requests).toHaveLength(0);
  });

  it("has a client that can do nothing but create an issue", async () => {
    const http = createIssueHttp(settings, () => API_TOKEN, log);
    await expect(http.request({ method: "GET", path: "/rest/api/3/myself" })).rejects.toBeInstanceOf(RequestNotAllowed);
    await expect(http.request({ method: "POST", path: "/rest/api/3/search/jql", body: {} })).rejects.toBeInstanceOf(RequestNotAllowed);
    await expect(http.request({ method: "PUT", path: "/rest/api/3/issue" })).rejects.toBeInstanceOf(RequestNotAllowed);
    expect(CREATE_ISSUE_REQUESTS).toHaveLength(1);
    expect(jira.requests).toHaveLength(0);
  });

  it("needs write:jira-work in an OAuth grant; an API token acts as its account", () => {
    const oauth = { kind: "oauth", accessToken: "a", refreshToken: "r", expiresAt: new Date().toISOString(), cloudId: "c-1" };
    expect(canCreateIssues({ ...oauth, scopes: "read:jira-work read:jira-user offline_access" })).toBe(false);
    expect(canCreateIssues({ ...oauth, scopes: "read:jira-work write:jira-work offline_access" })).toBe(true);
    expect(canCreateIssues(API_TOKEN)).toBe(true);
  });

  it.each([
    ["a project key that is not one", { projectKey: "not a key" }, /key of the Jira project/],
    ["no summary", { summary: "  " }, /summary of 1 to 255/],
    ["a summary over Jira's limit", { summary: "x".repeat(256) }, /summary of 1 to 255/],
    ["no issue type", { issueType: "" }, /issue type/],
  ])("refuses %s with what to fix", (_case, change, message) => {
    expect(() => parseNewIssue({ ...ISSUE, ...change })).toThrow(message);
  });

  it("writes plain text as paragraphs and line breaks, and nothing for blank text", () => {
    expect(plainTextToAdf("one\r\ntwo\n \nthree")).toEqual({
      type: "doc",
      version: 1,
      content: [
        { type: "paragraph", content: [{ type: "text", text: "one" }, { type: "hardBreak" }, { type: "text", text: "two" }] },
        { type: "paragraph", content: [{ type: "text", text: "three" }] },
      ],
    });
    expect(plainTextToAdf("  \n\n ").content).toEqual([]);
  });
});
