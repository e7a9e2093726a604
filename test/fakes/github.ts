/**
 * A local GitHub REST API serving recorded issues and issue events: the list endpoints a
 * connector reads, with GitHub's paging (`page`, `per_page`, `link`), rate-limit headers and
 * token check. Every request is recorded, so a test can assert what was asked for.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { readDevLakeCsv, FIXTURES_DIR } from "./fixtures.js";

export const FAKE_GITHUB_TOKEN = "ghp_fakeGitHubToken0000000000000000000000";

/** A raw GitHub issue or issue event, as the API sends it. */
export type GitHubJson = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

export interface FaultResponse {
  status: number;
  body?: unknown;
  /** Sent as it is instead of `body` as JSON, e.g. a truncated document. */
  raw?: string;
  headers?: Record<string, string>;
}

/** Returns a response to send instead of the real one, or undefined to answer normally. */
export type Fault = (request: RecordedRequest) => FaultResponse | undefined;

export interface FakeGitHubOptions {
  /** Issues of any repositories, placed by their `repository_url`. Default: the DevLake fixture. */
  issues?: GitHubJson[];
  /** Repository issue events, placed by their embedded issue's `repository_url`. Default: the DevLake fixture. */
  events?: GitHubJson[];
  /** The most a page holds, whatever `per_page` asks (GitHub's cap is 100). */
  pageSize?: number;
  token?: string;
  login?: string;
  /** Sent in `x-oauth-scopes`, as for a classic personal access token. */
  scopes?: string;
  /** How long each answer takes, to keep a scan running long enough to interrupt it. */
  latencyMs?: number;
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  setFault(fault: Fault | null): void;
  close(): Promise<void>;
}

const GITHUB_FIXTURES = join(FIXTURES_DIR, "github");
const GITHUB_MAX_PER_PAGE = 100;
const GITHUB_DEFAULT_PER_PAGE = 30;

/** The 41 distinct issues and pull requests of panjf2000/ants recorded by DevLake. */
export function fixtureIssues(): GitHubJson[] {
  return distinctById(readDevLakeCsv(join(GITHUB_FIXTURES, "_raw_github_api_issues.csv")).map((row) => row.data as GitHubJson));
}

/** The 49 distinct issue events of panjf2000/ants recorded by DevLake. */
export function fixtureEvents(): GitHubJson[] {
  return distinctById(readDevLakeCsv(join(GITHUB_FIXTURES, "_raw_github_api_events.csv")).map((row) => row.data as GitHubJson));
}

/**
 * Copies with `canary` written into every content field GitHub sends: titles, bodies,
 * rename texts, the item's milestone, milestone and label descriptions. None of it may
 * reach a record. (An event's milestone title is kept on purpose and left alone.)
 */
export function withCanaries(records: GitHubJson[], canary: string): GitHubJson[] {
  return records.map((original, index) => {
    const record = structuredClone(original);
    const mark = `${canary}-${index}`;
    const issue = isJson(record.issue) ? record.issue : record;
    issue.title = `${mark} title`;
    issue.body = `${mark} body`;
    if (isJson(issue.milestone)) Object.assign(issue.milestone, { title: `${mark} milestone`, description: `${mark} milestone description` });
    for (const label of Array.isArray(issue.labels) ? issue.labels : []) if (isJson(label)) label.description = `${mark} label description`;
    if (isJson(record.rename)) record.rename = { from: `${mark} old title`, to: `${mark} new title` };
    if (record !== issue && isJson(record.milestone)) record.milestone.description = `${mark} milestone description`;
    return record;
  });
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const token = options.token ?? FAKE_GITHUB_TOKEN;
  const repositories = new Repositories(options.issues ?? fixtureIssues(), options.events ?? fixtureEvents());
  const requests: RecordedRequest[] = [];
  const rateLimit = { limit: 5000, used: 0, reset: Math.floor(Date.now() / 1000) + 3600 };
  let fault: Fault | null = null;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-github.invalid");
    const request: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: headersOf(req),
    };
    requests.push(request);
    rateLimit.used += 1;
    const common = {
      "content-type": "application/json; charset=utf-8",
      "x-github-media-type": "github.v3; format=json",
      "x-oauth-scopes": options.scopes ?? "repo",
      "x-ratelimit-limit": String(rateLimit.limit),
      "x-ratelimit-remaining": String(Math.max(0, rateLimit.limit - rateLimit.used)),
      "x-ratelimit-reset": String(rateLimit.reset),
      "x-ratelimit-used": String(rateLimit.used),
      "x-ratelimit-resource": "core",
    };
    const answer = fault?.(request) ?? route(request, token, repositories, options, `http://${req.headers.host}`);
    const text = "raw" in answer && answer.raw !== undefined ? answer.raw : answer.body === undefined ? "" : JSON.stringify(answer.body);
    setTimeout(() => send(res, answer.status, text, { ...common, ...answer.headers }), options.latencyMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFault(next) {
      fault = next;
    },
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Issues and events per repository, with the numeric id GitHub writes into its `link` headers. */
class Repositories {
  private readonly byName = new Map<string, { id: number; issues: GitHubJson[]; events: GitHubJson[] }>();

  constructor(issues: GitHubJson[], events: GitHubJson[]) {
    for (const issue of issues) this.entry(repositoryOf(issue)).issues.push(issue);
    for (const event of events) this.entry(repositoryOf(event.issue)).events.push(event);
  }

  find(owner: string, repo: string) {
    return this.byName.get(`${owner}/${repo}`.toLowerCase());
  }

  findById(id: number) {
    return [...this.byName.values()].find((entry) => entry.id === id);
  }

  private entry(name: string) {
    const key = name.toLowerCase();
    let entry = this.byName.get(key);
    if (!entry) this.byName.set(key, (entry = { id: 500_000_000 + this.byName.size, issues: [], events: [] }));
    return entry;
  }
}

function route(request: RecordedRequest, token: string, repositories: Repositories, options: FakeGitHubOptions, origin: string): FaultResponse {
  if (request.headers.authorization !== `Bearer ${token}`) {
    return { status: 401, body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" } };
  }
  const notFound = { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
  if (request.method !== "GET") return notFound;
  if (request.path === "/user") return { status: 200, body: { login: options.login ?? "twinflow-reader", id: 9_000_001, type: "User" } };
  // GitHub answers both the /repos/{owner}/{repo} form and the /repositories/{id} form its links use.
  const match = /^\/(?:repos\/([^/]+)\/([^/]+)|repositories\/(\d+))\/issues(\/events)?$/.exec(request.path);
  if (!match) return notFound;
  const [, owner, repo, id, events] = match;
  const repository = id !== undefined ? repositories.findById(Number(id)) : repositories.find(owner!, repo!);
  if (!repository) return notFound;
  const list = events ? eventsNewestFirst(repository.events) : listIssues(repository.issues, request.query);
  return paginate(list, request.query, `${origin}/repositories/${repository.id}/issues${events ?? ""}`, options.pageSize);
}

/** GitHub's filters and order for `GET /repos/{owner}/{repo}/issues`. */
function listIssues(issues: GitHubJson[], query: Record<string, string>): GitHubJson[] {
  const state = query.state ?? "open";
  const since = query.since === undefined ? null : Date.parse(query.since);
  const sortField = query.sort === "updated" ? "updated_at" : query.sort === "comments" ? "comments" : "created_at";
  const direction = query.direction === "asc" ? 1 : -1;
  return issues
    .filter((issue) => state === "all" || issue.state === state)
    .filter((issue) => since === null || Date.parse(String(issue.updated_at)) >= since)
    .sort((a, b) => direction * (sortValue(a[sortField]) - sortValue(b[sortField])) || direction * (Number(a.number) - Number(b.number)));
}

function eventsNewestFirst(events: GitHubJson[]): GitHubJson[] {
  return [...events].sort((a, b) => Date.parse(String(b.created_at)) - Date.parse(String(a.created_at)) || Number(b.id) - Number(a.id));
}

/** One page, with GitHub's `link` header: prev, next, last and first, on the /repositories/{id} form. */
function paginate(list: GitHubJson[], query: Record<string, string>, linkBase: string, pageSize = GITHUB_MAX_PER_PAGE): FaultResponse {
  const perPage = Math.min(positive(query.per_page) ?? GITHUB_DEFAULT_PER_PAGE, pageSize, GITHUB_MAX_PER_PAGE);
  const page = positive(query.page) ?? 1;
  const lastPage = Math.max(1, Math.ceil(list.length / perPage));
  const pageUrl = (number: number) => {
    const params = new URLSearchParams({ ...query, per_page: String(perPage), page: String(number) });
    return `<${linkBase}?${params}>`;
  };
  const links = [
    ...(page > 1 ? [`${pageUrl(page - 1)}; rel="prev"`] : []),
    ...(page < lastPage ? [`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(lastPage)}; rel="last"`] : []),
    ...(page > 1 ? [`${pageUrl(1)}; rel="first"`] : []),
  ];
  return { status: 200, body: list.slice((page - 1) * perPage, page * perPage), headers: links.length > 0 ? { link: links.join(", ") } : {} };
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

function headersOf(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]));
}

function repositoryOf(issue: unknown): string {
  const url = isJson(issue) ? issue.repository_url : undefined;
  const name = typeof url === "string" ? /\/repos\/([^/]+\/[^/]+)$/.exec(url)?.[1] : undefined;
  if (name === undefined) throw new Error("a fake GitHub issue needs a repository_url such as https://api.github.com/repos/owner/repo");
  return name;
}

/** The DevLake tables hold a few records twice (re-collected pages). */
function distinctById(records: GitHubJson[]): GitHubJson[] {
  return [...new Map(records.map((record) => [record.id, record])).values()];
}

function sortValue(value: unknown): number {
  return typeof value === "number" ? value : Date.parse(String(value));
}

function positive(value: string | undefined): number | null {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : null;
}

function isJson(value: unknown): value is GitHubJson {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
