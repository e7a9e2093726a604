import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseJiraTime, type JiraChangeItem, type JiraHistory, type JiraIssue } from "../../app/src/connectors/jira/map.js";
import type { AtlassianTokens } from "./atlassian-auth.js";
import { readDevLakeCsv, FIXTURES_DIR } from "./fixtures.js";

/** The recorded DevLake Jira tables (see test/fixtures/README.md). */
const JIRA_FIXTURES = join(FIXTURES_DIR, "jira");

/** An issue as recorded: metadata and content fields (summary, description, comment, …). */
export type RecordedIssue = JiraIssue & { fields: Record<string, unknown> };

export interface RecordedStatus {
  id: string;
  name: string;
  description?: string;
  statusCategory: { key: string };
}

export interface JiraFixtures {
  issues: RecordedIssue[];
  /** Change histories by issue id. */
  changelogs: Map<string, JiraHistory[]>;
  statuses: RecordedStatus[];
}

/**
 * A fresh copy of the recorded data: the 33 issues (their embedded changelogs moved into
 * `changelogs`), the 279 histories recorded per issue, and the 53 statuses; deduplicated by id.
 */
export function loadJiraFixtures(): JiraFixtures {
  const issues = new Map<string, RecordedIssue>();
  const changelogs = new Map<string, Map<string, JiraHistory>>();
  const addHistories = (issueId: string, histories: readonly JiraHistory[]) => {
    const known = changelogs.get(issueId) ?? new Map<string, JiraHistory>();
    for (const history of histories) known.set(history.id, history);
    changelogs.set(issueId, known);
  };
  for (const { data } of fixtureRows("_raw_jira_api_issues.csv")) {
    const { changelog, ...issue } = data as RecordedIssue & { changelog?: { histories: JiraHistory[] } };
    issues.set(issue.id, issue);
    addHistories(issue.id, changelog?.histories ?? []);
  }
  for (const { data, url } of fixtureRows("_raw_jira_api_issue_changelogs.csv")) {
    const issueId = /\/issue\/([^/]+)\/changelog/.exec(url)?.[1];
    if (!issueId) throw new Error(`cannot tell the issue of changelog ${url}`);
    addHistories(issueId, [data as JiraHistory]);
  }
  const statuses = new Map(fixtureRows("_raw_jira_api_status.csv").map(({ data }) => [(data as RecordedStatus).id, data as RecordedStatus]));
  return {
    issues: [...issues.values()],
    changelogs: new Map([...changelogs].map(([issueId, histories]) => [issueId, [...histories.values()]])),
    statuses: [...statuses.values()],
  };
}

const fixtureCache = new Map<string, ReturnType<typeof readDevLakeCsv>>();

function fixtureRows(file: string): ReturnType<typeof readDevLakeCsv> {
  if (!fixtureCache.has(file)) fixtureCache.set(file, readDevLakeCsv(join(JIRA_FIXTURES, file)));
  return structuredClone(fixtureCache.get(file)!);
}

/** Content items a changelog may carry; `customfield_10999` is a custom field that happens to be named "status". */
const CONTENT_ITEMS: readonly Pick<JiraChangeItem, "field" | "fieldId">[] = [
  { field: "summary", fieldId: "summary" },
  { field: "description", fieldId: "description" },
  { field: "environment", fieldId: "environment" },
  { field: "Comment", fieldId: "comment" },
  { field: "Attachment", fieldId: "attachment" },
  { field: "Link" },
  { field: "RemoteIssueLink" },
  { field: "status", fieldId: "customfield_10999" },
];

/**
 * Writes `canary` into every content field: summary, description (ADF), environment and
 * comments of each issue, and one change item per content field into each history.
 */
export function injectCanaries(fixtures: JiraFixtures, canary: string): JiraFixtures {
  const text = (where: string) => `${canary} ${where}`;
  for (const issue of fixtures.issues) {
    issue.fields.summary = text(`summary of ${issue.key}`);
    issue.fields.description = adf(text(`description of ${issue.key}`));
    issue.fields.environment = text(`environment of ${issue.key}`);
    issue.fields.comment = { comments: [{ id: "1", body: adf(text(`comment on ${issue.key}`)) }], total: 1 };
  }
  for (const histories of fixtures.changelogs.values()) {
    for (const history of histories) {
      for (const item of CONTENT_ITEMS) {
        history.items.push({ ...item, from: null, fromString: text(`old ${item.field}`), to: text(`new ${item.field} id`), toString: text(`new ${item.field}`) });
      }
    }
  }
  return fixtures;
}

const adf = (text: string) => ({ type: "doc", version: 1, content: [{ type: "paragraph", content: [{ type: "text", text }] }] });

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Answers a request instead of the fake (a 429, a 500, …), or returns undefined to let it through. */
export type FaultInjector = (request: RecordedRequest) => FakeReply | undefined;

/** Basic (API token), one fixed Bearer token, or the Bearer tokens the fake Atlassian issues (checked for their scopes). */
export type FakeJiraAuth = { email: string; token: string } | { accessToken: string } | { tokens: AtlassianTokens };

export interface FakeJiraOptions {
  issues?: RecordedIssue[];
  changelogs?: ReadonlyMap<string, readonly JiraHistory[]>;
  statuses?: RecordedStatus[];
  /** The most a page holds whatever the client asks, as Jira caps maxResults. */
  pageSize?: { search?: number; changelog?: number; statuses?: number };
  /** Jira filters change items by `fieldIds`; false returns every item, to test the client's own filter. */
  honourFieldIds?: boolean;
  /** The credentials a request must carry. */
  auth: FakeJiraAuth;
}

export interface FakeJira {
  url: string;
  requests: RecordedRequest[];
  setFault(fault: FaultInjector | null): void;
  /** Milliseconds to wait before answering a request (a slow Jira); null for none. */
  setLatency(latency: ((request: RecordedRequest) => number) | null): void;
  close(): Promise<void>;
}

/** The fake's account, as `/myself` shows it. */
export const FAKE_ACCOUNT = { accountId: "5f0000000000000000fake01", displayName: "Scan Account", timeZone: "UTC" };

/**
 * A local Jira Cloud speaking the v3 endpoints the connector uses, served from the recorded
 * fixtures. Like Jira, it returns whatever fields it is asked for, content included.
 */
export async function startFakeJira(options: FakeJiraOptions): Promise<FakeJira> {
  const fixtures = options.issues && options.changelogs && options.statuses ? null : loadJiraFixtures();
  const jira = new FakeJiraApi({
    issues: options.issues ?? fixtures!.issues,
    changelogs: options.changelogs ?? fixtures!.changelogs,
    statuses: options.statuses ?? fixtures!.statuses,
    pageSize: { search: 100, changelog: 10_000, statuses: 200, ...options.pageSize },
    honourFieldIds: options.honourFieldIds ?? true,
  });
  const refusal = authorization(options.auth);
  const requests: RecordedRequest[] = [];
  let fault: FaultInjector | null = null;
  let latency: ((request: RecordedRequest) => number) | null = null;

  const server = createServer((incoming, response) => {
    void (async () => {
      const request = await recordedRequest(incoming);
      requests.push(request);
      const reply = fault?.(request) ?? refusal(request) ?? jira.answer(request);
      await new Promise((resolve) => setTimeout(resolve, latency?.(request) ?? 0));
      send(response, reply);
    })().catch((err: unknown) => send(response, { status: 500, body: { errorMessages: [String(err)] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFault(next) {
      fault = next;
    },
    setLatency(next) {
      latency = next;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

async function recordedRequest(incoming: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  const url = new URL(incoming.url ?? "/", "http://fake.invalid");
  return {
    method: incoming.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    body: text === "" ? undefined : (JSON.parse(text) as unknown),
    headers: incoming.headers,
  };
}

function send(response: ServerResponse, reply: FakeReply): void {
  response.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
  response.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
}

interface FakeJiraData {
  issues: readonly RecordedIssue[];
  changelogs: ReadonlyMap<string, readonly JiraHistory[]>;
  statuses: readonly RecordedStatus[];
  pageSize: { search: number; changelog: number; statuses: number };
  honourFieldIds: boolean;
}

interface SearchParams {
  jql?: unknown;
  fields?: unknown;
  maxResults?: unknown;
  nextPageToken?: unknown;
}

const badRequest = (message: string): FakeReply => ({ status: 400, body: { errorMessages: [message] } });

/** The statuses/search endpoint names the category, not the category object of /rest/api/2/status. */
const STATUS_CATEGORY: Readonly<Record<string, string>> = { new: "TODO", indeterminate: "IN_PROGRESS", done: "DONE" };

/** The 401 Jira answers a request without valid credentials, or undefined when they are valid. */
function authorization(auth: FakeJiraAuth): (request: RecordedRequest) => FakeReply | undefined {
  const unauthenticated: FakeReply = { status: 401, body: { errorMessages: ["Client must be authenticated to access this resource."] } };
  if ("tokens" in auth) {
    return (request) => {
      const scopes = auth.tokens.scopesOf(request.headers.authorization);
      if (!scopes) return unauthenticated;
      const needed = request.method === "POST" && request.path === "/rest/api/3/issue" ? "write:jira-work" : "read:jira-work";
      return scopes.includes(needed) ? undefined : { status: 401, body: { code: 401, message: "Unauthorized; scope does not match" } };
    };
  }
  const expected = "accessToken" in auth ? `Bearer ${auth.accessToken}` : `Basic ${Buffer.from(`${auth.email}:${auth.token}`).toString("base64")}`;
  return (request) => (request.headers.authorization === expected ? undefined : unauthenticated);
}

class FakeJiraApi {
  private nextIssueNumber = 1000;

  constructor(private readonly data: FakeJiraData) {}

  answer(request: RecordedRequest): FakeReply {
    const route = `${request.method} ${request.path}`;
    switch (route) {
      case "POST /rest/api/3/search/jql":
        return this.search((request.body ?? {}) as SearchParams);
      case "GET /rest/api/3/search/jql":
        return this.search({ ...request.query, fields: request.query.fields?.split(","), maxResults: Number(request.query.maxResults) });
      case "POST /rest/api/3/changelog/bulkfetch":
        return this.bulkChangelogs((request.body ?? {}) as Record<string, unknown>);
      case "GET /rest/api/3/statuses/search":
        return this.statuses(request.query);
      case "GET /rest/api/3/myself":
        return { status: 200, body: { ...FAKE_ACCOUNT, emailAddress: "scanner@example.com", active: true, accountType: "atlassian" } };
      case "POST /rest/api/3/issue":
        return this.createIssue(request.body);
      default:
        return { status: 404, body: { errorMessages: [`No ${route} here`] } };
    }
  }

  /** Create issue: a project key, an issue type, a summary and, if any, an ADF description. */
  private createIssue(body: unknown): FakeReply {
    const fields = ((body ?? {}) as { fields?: Record<string, unknown> }).fields ?? {};
    const project = (fields.project as { key?: unknown } | undefined)?.key;
    const issueType = (fields.issuetype as { name?: unknown } | undefined)?.name;
    const description = fields.description as { type?: unknown; version?: unknown } | undefined;
    const errors: Record<string, string> = {};
    if (typeof project !== "string" || !/^[A-Z][A-Z0-9_]+$/.test(project)) errors.project = "Specify a valid project ID or key";
    if (typeof issueType !== "string" || issueType === "") errors.issuetype = "Specify an issue type";
    if (typeof fields.summary !== "string" || fields.summary.trim() === "") errors.summary = "You must specify a summary of the issue.";
    if (description !== undefined && (description.type !== "doc" || description.version !== 1)) errors.description = "Operation value must be an Atlassian Document";
    if (Object.keys(errors).length > 0) return { status: 400, body: { errorMessages: [], errors } };
    const id = String(this.nextIssueNumber++);
    return { status: 201, body: { id, key: `${String(project)}-${id}`, self: `https://fake.invalid/rest/api/3/issue/${id}` } };
  }

  /** Enhanced search: bounded JQL, `updated` ascending, pages chained by nextPageToken. */
  private search(params: SearchParams): FakeReply {
    const jql = typeof params.jql === "string" ? params.jql : "";
    const filter = parseJql(jql);
    if (!filter) return badRequest("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.");
    const matching = this.data.issues
      .filter((issue) => issue.fields.project.key === filter.project && (!filter.updatedFrom || updatedAt(issue) >= filter.updatedFrom.getTime()))
      .sort((a, b) => updatedAt(a) - updatedAt(b) || Number(a.id) - Number(b.id));
    const offset = readToken(params.nextPageToken, jql);
    if (offset === null) return badRequest("The nextPageToken is not valid for this query.");
    if (outOfRange(params.maxResults, SEARCH_MAX_RESULTS)) return badRequest("The max results parameter has to be between 1 and 5,000.");
    const end = offset + pageSizeOf(params.maxResults, 50, this.data.pageSize.search);
    const fields = Array.isArray(params.fields) ? params.fields.map(String) : ["id"];
    return {
      status: 200,
      body: {
        issues: matching.slice(offset, end).map((issue) => withFields(issue, fields)),
        ...(end < matching.length && { nextPageToken: writeToken(end, jql) }),
        isLast: end >= matching.length,
      },
    };
  }

  /** All changelogs of up to 1000 issues, oldest first, then by issue id; items filtered by fieldIds. */
  private bulkChangelogs(body: Record<string, unknown>): FakeReply {
    const wanted = body.issueIdsOrKeys;
    if (!Array.isArray(wanted) || wanted.length === 0 || wanted.length > 1000) return badRequest("issueIdsOrKeys must list 1 to 1000 issues.");
    const fieldIds = Array.isArray(body.fieldIds) ? new Set(body.fieldIds.map(String)) : null;
    if (fieldIds && fieldIds.size > 10) return badRequest("fieldIds can name at most 10 fields.");
    const entries = [...new Set(wanted.map((idOrKey) => this.issueId(String(idOrKey))))]
      .flatMap((issueId) => (this.data.changelogs.get(issueId) ?? []).map((history) => ({ issueId, history: this.filtered(history, fieldIds) })))
      .filter(({ history }) => history.items.length > 0)
      .sort((a, b) => parseJiraTime(a.history.created).getTime() - parseJiraTime(b.history.created).getTime() || Number(a.issueId) - Number(b.issueId));
    const token = JSON.stringify(wanted);
    const offset = readToken(body.nextPageToken, token);
    if (offset === null) return badRequest("The nextPageToken is not valid for these issues.");
    if (outOfRange(body.maxResults, CHANGELOG_MAX_RESULTS)) return badRequest("maxResults must be between 1 and 10000.");
    const end = offset + pageSizeOf(body.maxResults, 1000, this.data.pageSize.changelog);
    const byIssue = new Map<string, JiraHistory[]>();
    for (const { issueId, history } of entries.slice(offset, end)) byIssue.set(issueId, [...(byIssue.get(issueId) ?? []), history]);
    return {
      status: 200,
      body: {
        issueChangeLogs: [...byIssue].map(([issueId, changeHistories]) => ({ issueId, changeHistories })),
        ...(end < entries.length && { nextPageToken: writeToken(end, token) }),
      },
    };
  }

  private statuses(query: Record<string, string>): FakeReply {
    const startAt = Math.max(0, Number(query.startAt ?? 0) || 0);
    const maxResults = pageSizeOf(Number(query.maxResults), 200, this.data.pageSize.statuses);
    const values = this.data.statuses.slice(startAt, startAt + maxResults).map((status) => ({
      id: status.id,
      name: status.name,
      description: status.description ?? "",
      statusCategory: STATUS_CATEGORY[status.statusCategory.key] ?? "TODO",
    }));
    const isLast = startAt + values.length >= this.data.statuses.length;
    return { status: 200, body: { startAt, maxResults, total: this.data.statuses.length, isLast, values } };
  }

  private issueId(idOrKey: string): string {
    return this.data.issues.find((issue) => issue.key === idOrKey)?.id ?? idOrKey;
  }

  private filtered(history: JiraHistory, fieldIds: ReadonlySet<string> | null): JiraHistory {
    if (!fieldIds || !this.data.honourFieldIds) return history;
    return { ...history, items: history.items.filter((item) => item.fieldId !== undefined && fieldIds.has(item.fieldId)) };
  }
}

/** The two restrictions the connector's JQL uses: `project = "KEY"` and `updated >= "yyyy-MM-dd HH:mm"` (read as UTC). */
function parseJql(jql: string): { project: string; updatedFrom: Date | null } | null {
  const project = /\bproject\s*=\s*"?([A-Za-z][A-Za-z0-9_]*)"?/i.exec(jql)?.[1];
  if (!project) return null;
  const updated = /\bupdated\s*>=\s*"(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}))?"/i.exec(jql);
  return { project: project.toUpperCase(), updatedFrom: updated ? new Date(`${updated[1]}T${updated[2] ?? "00:00"}:00Z`) : null };
}

const updatedAt = (issue: RecordedIssue) => parseJiraTime(issue.fields.updated).getTime();

/** `*all` and `*navigable` mean every field, `-name` leaves one out; anything else is a field name. */
function withFields(issue: RecordedIssue, fields: readonly string[]): Record<string, unknown> {
  const everything = fields.includes("*all") || fields.includes("*navigable");
  const excluded = new Set(fields.filter((name) => name.startsWith("-")).map((name) => name.slice(1)));
  const picked = Object.entries(issue.fields).filter(([name]) => !excluded.has(name) && (everything || fields.includes(name)));
  const named = fields.some((name) => name !== "id" && name !== "key");
  return { id: issue.id, key: issue.key, ...(named && { fields: Object.fromEntries(picked) }) };
}

/** The bounds Jira's API schema sets on maxResults: asking for more is a 400, not a smaller page. */
const SEARCH_MAX_RESULTS = 5000;
const CHANGELOG_MAX_RESULTS = 10_000;

function outOfRange(requested: unknown, max: number): boolean {
  if (requested === undefined || requested === null || Number.isNaN(requested)) return false;
  return typeof requested !== "number" || !Number.isInteger(requested) || requested < 1 || requested > max;
}

function pageSizeOf(requested: unknown, fallback: number, cap: number): number {
  const size = typeof requested === "number" && Number.isInteger(requested) && requested > 0 ? requested : fallback;
  return Math.min(size, cap);
}

/** Opaque to the client; bound to the query it continues, as Jira's are. */
function writeToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ offset, query })).toString("base64url");
}

function readToken(token: unknown, query: string): number | null {
  if (token === undefined || token === null) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), "base64url").toString("utf8")) as { offset?: unknown; query?: unknown };
    return parsed.query === query && typeof parsed.offset === "number" ? parsed.offset : null;
  } catch {
    return null;
  }
}

/** One person as the fixtures show them once canaries are planted: every field of theirs holds the canary. */
interface CanaryPerson {
  accountId: string;
  displayName: string;
  emailAddress: string;
}

/** Each user object in `value` (anything with a string `accountId`: assignee, reporter, creator, authors…). */
function eachUser(value: unknown, visit: (user: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const entry of value) eachUser(entry, visit);
  } else if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record.accountId === "string") visit(record);
    for (const entry of Object.values(record)) eachUser(entry, visit);
  }
}

const isAssigneeItem = (item: JiraChangeItem) => item.fieldId === "assignee" || item.field === "assignee";

/**
 * Writes `canary` into everything that says who a person is: the account id, display name and
 * email address of every user object of the issues and histories (assignee, reporter, creator,
 * changelog and comment authors, …), and the account ids and names an assignee change item
 * holds. One person keeps one identity everywhere, so the scan still sees the same people.
 */
export function injectPersonCanaries(fixtures: JiraFixtures, canary: string): JiraFixtures {
  const byAccount = new Map<string, CanaryPerson>();
  const byName = new Map<string, CanaryPerson>();
  let people = 0;
  const personOf = (accountId: string | null | undefined, displayName: string | null | undefined): CanaryPerson => {
    const known = (accountId ? byAccount.get(accountId) : undefined) ?? (displayName ? byName.get(displayName) : undefined);
    if (known) return known;
    const number = ++people;
    const person = {
      accountId: `${canary}-account-${number}`,
      displayName: `${displayName ?? `Person ${number}`} ${canary}`,
      emailAddress: `person-${number}.${canary}@example.com`,
    };
    if (accountId) byAccount.set(accountId, person);
    if (displayName) byName.set(displayName, person);
    // A user object met again once rewritten stays the same person.
    byAccount.set(person.accountId, person);
    byName.set(person.displayName, person);
    return person;
  };
  const histories = [...fixtures.changelogs.values()].flat();
  const items = histories.flatMap((history) => history.items).filter(isAssigneeItem) as (JiraChangeItem & Record<string, unknown>)[];
  // Everyone with an account id first, so that a name seen alone later resolves to the same person.
  eachUser([fixtures.issues, histories], (user) => personOf(user.accountId as string, user.displayName as string | undefined));
  for (const item of items) {
    if (item.from) personOf(item.from, item.fromString);
    if (item.to) personOf(item.to, item.toString);
  }
  eachUser([fixtures.issues, histories], (user) => {
    const person = personOf(user.accountId as string, user.displayName as string | undefined);
    Object.assign(user, person, { self: `https://fake.invalid/rest/api/3/user?accountId=${person.accountId}` });
    if (user.avatarUrls) user.avatarUrls = { "48x48": `https://fake.invalid/avatar/${person.accountId}.png` };
  });
  for (const item of items) {
    for (const [idField, nameField, tmpField] of [
      ["from", "fromString", "tmpFromAccountId"],
      ["to", "toString", "tmpToAccountId"],
    ] as const) {
      const accountId = item[idField];
      const name = item[nameField];
      if (!accountId && !name) continue;
      const person = personOf(accountId, name);
      item[idField] = accountId ? person.accountId : null;
      item[nameField] = name ? person.displayName : null;
      if (typeof item[tmpField] === "string") item[tmpField] = person.accountId;
    }
  }
  return fixtures;
}

/**
 * Writes `canary` into the ids Jira's format leaves free: every issue id and change history id
 * becomes a string holding it. Keys stay as recorded (`EE-24`): projects are read from them.
 * Issues and histories are first put in the order Jira gives them (time, then numeric id),
 * since ids with a canary no longer sort as numbers and the fake then keeps the order held.
 */
export function injectIdCanaries(fixtures: JiraFixtures, canary: string): JiraFixtures {
  const createdAt = (history: JiraHistory) => parseJiraTime(history.created).getTime();
  const issueIds = new Map<string, string>();
  fixtures.issues.sort((a, b) => updatedAt(a) - updatedAt(b) || Number(a.id) - Number(b.id));
  for (const issue of fixtures.issues) {
    issueIds.set(issue.id, `${canary}-issue-${issue.id}`);
    issue.id = issueIds.get(issue.id)!;
  }
  fixtures.changelogs = new Map(
    [...fixtures.changelogs].map(([issueId, histories]) => [
      issueIds.get(issueId) ?? `${canary}-issue-${issueId}`,
      [...histories].sort((a, b) => createdAt(a) - createdAt(b) || Number(a.id) - Number(b.id)).map((history) => ({ ...history, id: `${canary}-history-${history.id}` })),
    ]),
  );
  return fixtures;
}
