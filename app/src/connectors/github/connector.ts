import type { Logger } from "pino";
import { badRequest } from "../../platform/errors.js";
import type { Connector, JsonValue, ScanContext, ScanPage, StatusCategory } from "../connector.js";
import type { ConnectorHttp } from "../http/client.js";
import { githubManifest, REPOSITORY_NAME } from "./manifest.js";
import { BatchBuilder, parseIssue, parseIssueEvent, type GitHubIssueEvent } from "./map.js";

export const DEFAULT_API_BASE_URL = "https://api.github.com";
const API_VERSION = "2022-11-28";
const MAX_REPOSITORIES = 50;
const PER_PAGE = 100;
/** `updated_at` has one-second resolution and GitHub's clocks are not one clock: re-read a little. */
const UPDATED_OVERLAP_MS = 5 * 60_000;

export type GitHubSettings = { repositories: string[]; apiBaseUrl?: string };
type StreamKind = "issues" | "events";
type Query = Record<string, string>;

/**
 * GitHub Issues: issues and pull requests with their label, assignee, milestone, close and
 * reopen history, read through a personal access token. Each repository has two streams:
 * `issues:<owner>/<repo>` (item state, by last update) and `events:<owner>/<repo>` (history).
 */
/** GitHub issues are open or closed (and why closed, as the mapper names it); nothing says "in progress". */
const GITHUB_STATUS_CATEGORIES: Readonly<Record<string, StatusCategory>> = {
  open: "todo",
  closed: "done",
  "closed:not_planned": "done",
  "closed:duplicate": "done",
};

export const githubConnector: Connector = {
  provider: "github",
  manifest: githubManifest,
  statusCategories: async () => ({ ...GITHUB_STATUS_CATEGORIES }),
  parseSettings: parseGitHubSettings,
  baseUrl: (settings) => parseGitHubSettings(settings).apiBaseUrl ?? DEFAULT_API_BASE_URL,
  authHeaders(credentials) {
    return {
      authorization: `Bearer ${personalAccessToken(credentials)}`,
      // Lower case, so they replace the HTTP client's default `accept` instead of joining it.
      accept: "application/vnd.github+json",
      "x-github-api-version": API_VERSION,
    };
  },
  async verifyCredentials(http) {
    const { login, scopes } = await validateToken(http);
    return `GitHub account ${login}; token scopes: ${scopes.length > 0 ? scopes.join(", ") : "none listed (fine-grained tokens list none)"}`;
  },
  streams: (settings) => parseGitHubSettings(settings).repositories.flatMap((repository) => [`issues:${repository}`, `events:${repository}`]),
  async *scan(stream, cursor, context) {
    const settings = parseGitHubSettings(context.settings);
    const { kind, repository } = parseStream(stream, settings);
    const apiBase = new URL(settings.apiBaseUrl ?? DEFAULT_API_BASE_URL);
    if (kind === "issues") yield* scanIssues(repository, cursor, context, apiBase);
    else yield* scanEvents(repository, cursor, context, apiBase);
  },
};

/** The token's account and, for classic tokens, its scopes (GitHub's `x-oauth-scopes` header). */
export async function validateToken(http: ConnectorHttp): Promise<{ login: string; scopes: string[] }> {
  const response = await http.request<{ login?: unknown } | undefined>({ method: "GET", path: "/user" });
  const login = response.body?.login;
  if (typeof login !== "string") throw new Error("GitHub's /user answer has no login");
  const scopes = (response.headers.get("x-oauth-scopes") ?? "")
    .split(",")
    .map((scope) => scope.trim())
    .filter((scope) => scope !== "");
  return { login, scopes };
}

// ---------------------------------------------------------------- settings

const invalidSettings = (message: string) => badRequest("invalid_settings", message);

export function parseGitHubSettings(raw: unknown): GitHubSettings {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw invalidSettings("GitHub settings need a list of repositories, such as { \"repositories\": [\"octocat/hello-world\"] }.");
  }
  const { repositories, apiBaseUrl } = raw as { repositories?: unknown; apiBaseUrl?: unknown };
  const settings: GitHubSettings = { repositories: parseRepositories(repositories) };
  if (apiBaseUrl !== undefined && apiBaseUrl !== null && apiBaseUrl !== "") settings.apiBaseUrl = parseApiBaseUrl(apiBaseUrl);
  return settings;
}

function parseRepositories(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw invalidSettings(`List 1 to ${MAX_REPOSITORIES} repositories, each as owner/repo.`);
  const unique = new Map<string, string>();
  for (const entry of raw) {
    const name = typeof entry === "string" ? entry.trim() : "";
    if (!REPOSITORY_NAME.test(name)) {
      throw invalidSettings(`"${String(entry).slice(0, 120)}" is not a repository; write each one as owner/repo, such as octocat/hello-world.`);
    }
    // GitHub names are case-insensitive; the same repository twice would be read twice.
    if (!unique.has(name.toLowerCase())) unique.set(name.toLowerCase(), name);
  }
  if (unique.size > MAX_REPOSITORIES) {
    throw invalidSettings(`A GitHub connection reads at most ${MAX_REPOSITORIES} repositories; this one lists ${unique.size}. Split them over several connections.`);
  }
  return [...unique.values()];
}

/** GitHub Enterprise Server serves its API below a path, e.g. https://github.example.com/api/v3. */
function parseApiBaseUrl(raw: unknown): string {
  const url = typeof raw === "string" && URL.canParse(raw) ? new URL(raw) : null;
  if (!url || !["http:", "https:"].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw invalidSettings("The GitHub API URL must be a plain http(s) address, such as https://github.example.com/api/v3.");
  }
  return url.href.replace(/\/+$/, "");
}

function personalAccessToken(credentials: Readonly<Record<string, string>>): string {
  const token = credentials.token ?? "";
  if (token === "") throw badRequest("missing_token", "Enter a GitHub personal access token.");
  // A stray space or line break would make an invalid header, and the error could quote it.
  if (!/^[\x21-\x7e]+$/.test(token)) throw badRequest("invalid_token", "The GitHub token has spaces or line breaks in it; paste it again.");
  return token;
}

function parseStream(stream: string, settings: GitHubSettings): { kind: StreamKind; repository: string } {
  const match = /^(issues|events):(.+)$/.exec(stream);
  const repository = match?.[2];
  if (!match || repository === undefined || !settings.repositories.includes(repository)) {
    throw new Error(`"${stream}" is not a stream of this GitHub connection`);
  }
  return { kind: match[1] as StreamKind, repository };
}

// ---------------------------------------------------------------- issues stream

/**
 * Issues and pull requests updated since the watermark, oldest update first, so each page's
 * cursor (the latest `updated_at` so far) lets a restarted scan continue after it.
 */
async function* scanIssues(repository: string, cursor: JsonValue | null, context: ScanContext, apiBase: URL): AsyncGenerator<ScanPage> {
  const stream = `issues:${repository}`;
  let watermark = readIssuesCursor(cursor, context.log, stream);
  const since = watermark ? new Date(watermark.getTime() - UPDATED_OVERLAP_MS) : context.backfillFrom;
  const query = { state: "all", sort: "updated", direction: "asc", per_page: String(PER_PAGE), since: since.toISOString() };
  for await (const page of pages(context, apiBase, `/repos/${repository}/issues`, query)) {
    const batch = new BatchBuilder();
    for (const raw of page.records) {
      const issue = parseIssue(raw);
      batch.addIssue(repository, issue);
      if (!watermark || issue.updatedAt > watermark) watermark = issue.updatedAt;
    }
    context.log.debug({ stream, items: page.records.length, rateLimitRemaining: page.rateLimitRemaining }, "github page read");
    yield { batch: batch.build(), cursor: watermark ? { updatedSince: watermark.toISOString() } : null };
  }
}

function readIssuesCursor(cursor: JsonValue | null, log: Logger, stream: string): Date | null {
  const updatedSince = isObject(cursor) ? cursor.updatedSince : undefined;
  const watermark = typeof updatedSince === "string" ? new Date(updatedSince) : null;
  if (watermark && !Number.isNaN(watermark.getTime())) return watermark;
  if (cursor !== null) log.warn({ stream }, "unreadable cursor; reading from the backfill start again");
  return null;
}

// ---------------------------------------------------------------- events stream

/**
 * The repository's issue events, which GitHub lists newest first only: the walk goes back
 * until it meets an event the last scan saw (id ≤ maxEventId) or, on the first scan, one
 * older than the backfill start. The cursor can therefore only advance once the walk is
 * complete: pages are yielded as they arrive carrying the previous cursor, and only the
 * last page carries the new highest id. A scan that stops half-way walks again from the
 * top next time; ingest is idempotent, so the pages it re-reads add nothing.
 */
async function* scanEvents(repository: string, cursor: JsonValue | null, context: ScanContext, apiBase: URL): AsyncGenerator<ScanPage> {
  const stream = `events:${repository}`;
  const previousMax = readEventsCursor(cursor, context.log, stream);
  const isUnseen =
    previousMax === null ? (event: GitHubIssueEvent) => event.createdAt >= context.backfillFrom : (event: GitHubIssueEvent) => event.id > previousMax;
  let newMax = previousMax;
  const query = { per_page: String(PER_PAGE) };
  for await (const page of pages(context, apiBase, `/repos/${repository}/issues/events`, query)) {
    const events = page.records.map(parseIssueEvent);
    const unseen = events.filter(isUnseen);
    const batch = new BatchBuilder();
    let kept = 0;
    for (const event of unseen) {
      if (batch.addIssueEvent(repository, event)) kept += 1;
      if (newMax === null || event.id > newMax) newMax = event.id;
    }
    const walkDone = unseen.length < events.length || page.isLast;
    context.log.debug({ stream, events: events.length, kept, rateLimitRemaining: page.rateLimitRemaining }, "github page read");
    yield { batch: batch.build(), cursor: eventsCursor(walkDone ? newMax : previousMax) };
    if (walkDone) return;
  }
}

function readEventsCursor(cursor: JsonValue | null, log: Logger, stream: string): number | null {
  const maxEventId = isObject(cursor) ? cursor.maxEventId : undefined;
  if (typeof maxEventId === "number" && Number.isSafeInteger(maxEventId)) return maxEventId;
  if (cursor !== null) log.warn({ stream }, "unreadable cursor; reading from the backfill start again");
  return null;
}

const eventsCursor = (maxEventId: number | null): JsonValue => (maxEventId === null ? null : { maxEventId });

// ---------------------------------------------------------------- paging

interface Page {
  records: unknown[];
  isLast: boolean;
  rateLimitRemaining: string | null;
}

/** The pages of a list request, following GitHub's `link: <…>; rel="next"`. */
async function* pages(context: ScanContext, apiBase: URL, path: string, firstQuery: Query): AsyncGenerator<Page> {
  let query: Query | null = firstQuery;
  while (query) {
    context.signal.throwIfAborted();
    const response = await context.http.request<unknown>({ method: "GET", path, query });
    if (!Array.isArray(response.body)) throw new Error(`GET ${path} did not answer with a list`);
    const next = nextPageQuery(response.headers.get("link"), apiBase, path);
    if (next && sameQuery(next, query)) throw new Error(`GitHub's next-page link for ${path} points at the page just read`);
    yield { records: response.body, isLast: next === null, rateLimitRemaining: response.headers.get("x-ratelimit-remaining") };
    query = next;
  }
}

/**
 * The query string of the `rel="next"` link, to send to `path` itself. The link must stay on
 * the API's origin and below its base path, at `path` or at GitHub's own alias for it
 * (`/repositories/{id}/…`, which GitHub writes into these links): the request still goes to
 * the allowlisted path, so a link header never chooses where the connector connects.
 */
export function nextPageQuery(linkHeader: string | null, apiBase: URL, path: string): Query | null {
  const target = nextLink(linkHeader);
  if (target === null) return null;
  const url = URL.canParse(target) ? new URL(target) : null;
  const basePath = apiBase.pathname.replace(/\/+$/, "");
  const linkPath = url?.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : null;
  if (!url || url.origin !== apiBase.origin || linkPath === null || !isSameList(linkPath, path)) {
    throw new Error(`GitHub's next-page link for ${path} leads elsewhere; it was not followed`);
  }
  return Object.fromEntries(url.searchParams);
}

function nextLink(header: string | null): string | null {
  for (const [, target, params] of (header ?? "").matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";,]*)"?/i.exec(params ?? "")?.[1] ?? "";
    if (target !== undefined && rel.split(/\s+/).includes("next")) return target;
  }
  return null;
}

function isSameList(linkPath: string, path: string): boolean {
  if (linkPath === path) return true;
  const listPath = /^\/repos\/[^/]+\/[^/]+(\/.+)$/.exec(path)?.[1];
  const aliasPath = /^\/repositories\/\d+(\/.+)$/.exec(linkPath)?.[1];
  return listPath !== undefined && listPath === aliasPath;
}

function sameQuery(a: Query, b: Query): boolean {
  return new URLSearchParams(a).toString() === new URLSearchParams(b).toString();
}

function isObject(value: JsonValue | null): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
