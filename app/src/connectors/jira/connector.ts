import { badRequest } from "../../platform/errors.js";
import type { Connector, JsonValue, ScanPage, StatusCategory } from "../connector.js";
import type { ConnectorHttp } from "../http/client.js";
import { localMinute } from "../../platform/local-time.js";
import { jiraManifest } from "./manifest.js";
import { CHANGELOG_FIELD_IDS, mapIssues, parseJiraTime, SEARCH_FIELDS, type JiraHistory, type JiraIssue } from "./map.js";

const SEARCH_PATH = "/rest/api/3/search/jql";
const BULK_CHANGELOG_PATH = "/rest/api/3/changelog/bulkfetch";
const STATUSES_PATH = "/rest/api/3/statuses/search";
const MYSELF_PATH = "/rest/api/3/myself";

/**
 * Issues asked for a search page. Jira returns fewer when it chooses (the more fields named,
 * the fewer), and the scan follows nextPageToken whatever the page holds.
 */
const SEARCH_PAGE_SIZE = 1000;
/** The most issues one bulk changelog request may name. */
const CHANGELOG_ISSUES = 1000;
/**
 * Histories a bulk changelog page may hold: the API's maximum (its default is 1000), so the
 * history of 1000 issues usually arrives in one request however few issues a search page held.
 */
const CHANGELOG_PAGE_SIZE = 10_000;
const STATUS_PAGE_SIZE = 200;
/** Re-read this much before the cursor: an issue saved just before the last scan may be indexed after it. */
const OVERLAP_MS = 2 * 60_000;
const MAX_PROJECTS = 50;
/** Jira's project key rule: a capital letter, then capitals, digits or underscores; 2 to 255 long. */
export const PROJECT_KEY = /^[A-Z][A-Z0-9_]{1,254}$/;
const STREAM_PREFIX = "issues:";

interface JiraSettings {
  projects: string[];
  /**
   * Jira reads the dates in JQL in the profile time zone of the account that scans, and
   * JQL has no way to name a zone, so the watermark is written in this zone. If it is east
   * of the account's zone a scan re-reads a little more; if west, it would miss updates.
   */
  timeZone: string;
  /** Replaces the Atlassian URL (tests, proxies); http(s) only. */
  apiBaseUrl?: string;
  /** Where people open the site's issues (https://acme.atlassian.net): known from the OAuth sign-in, which names the site by its cloud id. */
  siteUrl?: string;
}

export type JiraCredentials =
  | { kind: "api_token"; email: string; token: string; site: string }
  | { kind: "oauth"; accessToken: string; cloudId: string };

type IssuesCursor = {
  /** The latest `updated` seen, as ISO time; the next scan starts OVERLAP_MS before it. */
  updatedSince: string;
};

export const jiraConnector: Connector = {
  provider: "jira",
  manifest: jiraManifest,
  parseSettings: (raw) => settingsJson(parseJiraSettings(raw)),
  baseUrl(settings, credentials) {
    const override = parseJiraSettings(settings).apiBaseUrl;
    if (override) return override;
    const parsed = parseJiraCredentials(credentials);
    return parsed.kind === "api_token" ? `https://${parsed.site}.atlassian.net` : `https://api.atlassian.com/ex/jira/${parsed.cloudId}`;
  },
  authHeaders(credentials) {
    const parsed = parseJiraCredentials(credentials);
    const authorization =
      parsed.kind === "api_token" ? `Basic ${Buffer.from(`${parsed.email}:${parsed.token}`).toString("base64")}` : `Bearer ${parsed.accessToken}`;
    return { authorization };
  },
  async verifyCredentials(http) {
    const account = await verifyCredentials(http);
    return `Jira account ${account.displayName}`;
  },
  streams: (settings) => parseJiraSettings(settings).projects.map((project) => `${STREAM_PREFIX}${project}`),
  scan(stream, cursor, context) {
    const settings = parseJiraSettings(context.settings);
    const since = cursorTime(cursor);
    const watermark = since ? new Date(since.getTime() - OVERLAP_MS) : context.backfillFrom;
    const jql = issuesUpdatedSinceJql(projectOf(stream, settings), watermark, settings.timeZone);
    return scanIssues(context.http, jql, since ?? context.backfillFrom);
  },
  async statusCategories(context) {
    const statuses = await fetchStatusCategories(context.http);
    return Object.fromEntries(statuses.flatMap(({ name, category }) => (JIRA_CATEGORY[category] ? [[name, JIRA_CATEGORY[category]]] : [])));
  },
};

const JIRA_CATEGORY: Readonly<Record<string, StatusCategory>> = { TODO: "todo", IN_PROGRESS: "in_progress", DONE: "done" };

/**
 * One scan page per 1000 issues updated since the watermark, oldest first, with their change
 * history fetched by one bulk request, paged: search pages are gathered until a bulk request
 * is full, since fewer, fuller changelog pages are what keeps a scan's request count low.
 * The cursor never moves backwards.
 */
async function* scanIssues(http: ConnectorHttp, jql: string, since: Date): AsyncGenerator<ScanPage> {
  let updatedSince = since;
  for await (const issues of inGroups(searchIssues(http, jql), CHANGELOG_ISSUES)) {
    const histories = await fetchChangelogs(http, issues.map((issue) => issue.id));
    updatedSince = latestUpdate(issues, updatedSince);
    const cursor: IssuesCursor = { updatedSince: updatedSince.toISOString() };
    yield { batch: mapIssues(issues, histories), cursor };
  }
}

/** A bounded JQL query (the search refuses unbounded ones) at the minute precision JQL dates have. */
export function issuesUpdatedSinceJql(project: string, watermark: Date, timeZone: string): string {
  return `project = "${project}" AND updated >= "${localMinute(watermark, timeZone)}" ORDER BY updated ASC`;
}


interface SearchPage {
  issues?: JiraIssue[];
  nextPageToken?: string | null;
}

async function* searchIssues(http: ConnectorHttp, jql: string): AsyncGenerator<JiraIssue[]> {
  let nextPageToken: string | undefined;
  do {
    const { body } = await http.request<SearchPage>({
      method: "POST",
      path: SEARCH_PATH,
      body: { jql, fields: SEARCH_FIELDS, maxResults: SEARCH_PAGE_SIZE, ...(nextPageToken && { nextPageToken }) },
    });
    if (body.issues?.length) yield body.issues;
    nextPageToken = body.nextPageToken ?? undefined;
  } while (nextPageToken);
}

/** Regroups pages of any size into groups of exactly `size` (the last one may be smaller). */
async function* inGroups<T>(pages: AsyncIterable<T[]>, size: number): AsyncGenerator<T[]> {
  let group: T[] = [];
  for await (const page of pages) {
    for (const entry of page) {
      group.push(entry);
      if (group.length === size) {
        yield group;
        group = [];
      }
    }
  }
  if (group.length > 0) yield group;
}

interface BulkChangelogPage {
  issueChangeLogs?: { issueId: string; changeHistories?: JiraHistory[] }[];
  nextPageToken?: string | null;
}

/** The kept fields' history of up to 1000 issues, by issue id; Jira filters the items by field id. */
async function fetchChangelogs(http: ConnectorHttp, issueIds: string[]): Promise<Map<string, JiraHistory[]>> {
  const byIssue = new Map<string, JiraHistory[]>();
  let nextPageToken: string | undefined;
  do {
    const { body } = await http.request<BulkChangelogPage>({
      method: "POST",
      path: BULK_CHANGELOG_PATH,
      body: { issueIdsOrKeys: issueIds, fieldIds: CHANGELOG_FIELD_IDS, maxResults: CHANGELOG_PAGE_SIZE, ...(nextPageToken && { nextPageToken }) },
    });
    for (const { issueId, changeHistories = [] } of body.issueChangeLogs ?? []) {
      byIssue.set(issueId, [...(byIssue.get(issueId) ?? []), ...changeHistories]);
    }
    nextPageToken = body.nextPageToken ?? undefined;
  } while (nextPageToken);
  return byIssue;
}

function latestUpdate(issues: readonly JiraIssue[], since: Date): Date {
  const latest = Math.max(since.getTime(), ...issues.map((issue) => parseJiraTime(issue.fields.updated).getTime()));
  return new Date(latest);
}

export interface JiraStatusCategory {
  statusId: string;
  name: string;
  /** TODO, IN_PROGRESS or DONE. */
  category: string;
}

interface StatusPage {
  values?: { id: string; name: string; statusCategory: string }[];
  isLast?: boolean;
}

/** Every status with its category, for the analytics to tell waiting from working from done. */
export async function fetchStatusCategories(http: ConnectorHttp): Promise<JiraStatusCategory[]> {
  const statuses: JiraStatusCategory[] = [];
  for (;;) {
    const { body } = await http.request<StatusPage>({ method: "GET", path: STATUSES_PATH, query: { startAt: statuses.length, maxResults: STATUS_PAGE_SIZE } });
    const values = body.values ?? [];
    statuses.push(...values.map(({ id, name, statusCategory }) => ({ statusId: id, name, category: statusCategory })));
    if (body.isLast || values.length === 0) return statuses;
  }
}

export interface JiraAccount {
  accountId: string;
  displayName: string;
  /** The zone Jira reads JQL dates in: the natural default for `timeZone` in the settings. */
  timeZone: string;
}

/** Proves the credentials work and says whose they are. */
export async function verifyCredentials(http: ConnectorHttp): Promise<JiraAccount> {
  const { body } = await http.request<JiraAccount>({ method: "GET", path: MYSELF_PATH });
  return { accountId: body.accountId, displayName: body.displayName, timeZone: body.timeZone };
}

// ---------------------------------------------------------------- settings, credentials, cursor

function parseJiraSettings(raw: unknown): JiraSettings {
  if (!isRecord(raw)) throw invalidSettings("Jira settings need a list of projects, e.g. { \"projects\": [\"PROJ\"] }.");
  const settings: JiraSettings = { projects: parseProjects(raw.projects), timeZone: parseTimeZone(raw.timeZone ?? "UTC") };
  if (raw.apiBaseUrl !== undefined) settings.apiBaseUrl = parseHttpUrl(raw.apiBaseUrl, "API base URL");
  if (raw.siteUrl !== undefined) settings.siteUrl = parseHttpUrl(raw.siteUrl, "site URL");
  return settings;
}

function settingsJson({ projects, timeZone, apiBaseUrl, siteUrl }: JiraSettings): JsonValue {
  return { projects, timeZone, ...(apiBaseUrl && { apiBaseUrl }), ...(siteUrl && { siteUrl }) };
}

/** The address of an issue for people, e.g. https://acme.atlassian.net/browse/PROJ-12; null when the site's address is not known. */
export function issueBrowseUrl(settings: JsonValue, credentials: Readonly<Record<string, string>>, issueKey: string): string | null {
  const parsed = parseJiraCredentials(credentials);
  const site = parsed.kind === "api_token" ? `https://${parsed.site}.atlassian.net` : parseJiraSettings(settings).siteUrl;
  return site ? `${site}/browse/${issueKey}` : null;
}

function parseProjects(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_PROJECTS) throw invalidSettings(`Choose 1 to ${MAX_PROJECTS} Jira projects by key, e.g. PROJ.`);
  const keys = raw.map((key) => (typeof key === "string" ? key.trim().toUpperCase() : ""));
  const bad = keys.findIndex((key) => !PROJECT_KEY.test(key));
  if (bad >= 0) {
    throw invalidSettings(`${JSON.stringify(raw[bad])} is not a Jira project key: a key starts with a letter and holds only letters, digits and underscores, e.g. PROJ.`);
  }
  return [...new Set(keys)];
}

function parseTimeZone(raw: unknown): string {
  const problem = invalidSettings(`${JSON.stringify(raw)} is not a time zone: use an IANA name such as Europe/Berlin, the zone set in the scanning Jira account's profile.`);
  if (typeof raw !== "string" || raw.trim() === "") throw problem;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: raw.trim() }).resolvedOptions().timeZone;
  } catch {
    throw problem;
  }
}

function parseHttpUrl(raw: unknown, what: string): string {
  const url = typeof raw === "string" && URL.canParse(raw) ? new URL(raw) : null;
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) {
    throw invalidSettings(`The ${what} must be a plain http(s) URL, e.g. https://jira.example.com.`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

const invalidSettings = (message: string) => badRequest("invalid_settings", message);

/** Credentials are `{ kind: "api_token", email, token, site }` or `{ kind: "oauth", accessToken, cloudId, … }`. */
export function parseJiraCredentials(credentials: Readonly<Record<string, string>>): JiraCredentials {
  const { kind } = credentials;
  if (kind === "api_token") {
    const email = required(credentials, "email");
    const token = required(credentials, "token");
    const site = required(credentials, "site").replace(/\.atlassian\.net$/i, "");
    if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(site)) throw invalidCredentials("The Jira site is the name before .atlassian.net, e.g. acme.");
    return { kind, email, token, site: site.toLowerCase() };
  }
  if (kind === "oauth") {
    const cloudId = required(credentials, "cloudId");
    if (!/^[A-Za-z0-9-]+$/.test(cloudId)) throw invalidCredentials("The Jira cloud id holds only letters, digits and dashes.");
    return { kind, accessToken: required(credentials, "accessToken"), cloudId };
  }
  throw invalidCredentials("Connect Jira with an API token or with Atlassian sign-in.");
}

function required(credentials: Readonly<Record<string, string>>, name: string): string {
  const value = credentials[name];
  if (!value) throw invalidCredentials(`The Jira credentials lack "${name}".`);
  return value;
}

const invalidCredentials = (message: string) => badRequest("invalid_credentials", message);

function projectOf(stream: string, settings: JiraSettings): string {
  const project = stream.startsWith(STREAM_PREFIX) ? stream.slice(STREAM_PREFIX.length) : "";
  if (!settings.projects.includes(project)) throw new Error(`${JSON.stringify(stream)} is not a stream of this Jira connection`);
  return project;
}

function cursorTime(cursor: JsonValue | null): Date | null {
  if (cursor === null) return null;
  const since = isRecord(cursor) && typeof cursor.updatedSince === "string" ? new Date(cursor.updatedSince) : null;
  if (!since || Number.isNaN(since.getTime())) throw new Error(`a Jira issues cursor is { updatedSince: ISO time }, not ${JSON.stringify(cursor)}`);
  return since;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
