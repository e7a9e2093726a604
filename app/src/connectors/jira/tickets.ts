/**
 * "Create ticket": the one write TwinFlow makes, and only when a person clicks it. Its
 * client is the only one built with `allowWrites`, over an allowlist holding this single
 * entry; scans use JIRA_REQUESTS, which does not list it, so they can never send it.
 */
import type { Logger } from "pino";
import { badRequest } from "../../platform/errors.js";
import type { JsonValue } from "../connector.js";
import type { Credentials } from "../credentials.js";
import type { AllowedRequest } from "../http/allowlist.js";
import { createConnectorHttp, type ConnectorHttp } from "../http/client.js";
import { DEFAULT_RETRY_POLICY, MalformedResponse, type RetryPolicy } from "../http/retry.js";
import { jiraConnector, parseJiraCredentials, PROJECT_KEY } from "./connector.js";
import { WRITE_SCOPE } from "./oauth.js";

const CREATE_ISSUE_PATH = "/rest/api/3/issue";

export const CREATE_ISSUE_REQUESTS: readonly AllowedRequest[] = [
  { method: "POST", path: /^\/rest\/api\/3\/issue$/, purpose: "Creates one issue when a person clicks Create ticket; never sent by a scan", write: true },
];

/** A person is waiting (and a database transaction is open): no long waits, and a write that fails in flight is never repeated. */
const CREATE_RETRY_POLICY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 2, maxDelayMs: 2_000, maxProviderWaitMs: 10_000 };
const CREATE_TIMEOUT_MS = 20_000;

/** Jira's limit on a summary. */
const MAX_SUMMARY = 255;
const MAX_DESCRIPTION = 30_000;
const MAX_ISSUE_TYPE = 60;
const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-\d+$/;

export interface NewIssue {
  projectKey: string;
  issueType: string;
  summary: string;
  /** Plain text; sent as a minimal Atlassian Document Format document. */
  description: string;
}

export function parseNewIssue(raw: Record<keyof NewIssue, string>): NewIssue {
  const projectKey = raw.projectKey.trim().toUpperCase();
  if (!PROJECT_KEY.test(projectKey)) throw badRequest("invalid_ticket", "Enter the key of the Jira project to create the ticket in, e.g. PROJ.");
  const issueType = raw.issueType.trim();
  if (!issueType || issueType.length > MAX_ISSUE_TYPE) throw badRequest("invalid_ticket", "Enter the issue type, e.g. Task or Bug.");
  const summary = raw.summary.trim();
  if (!summary || summary.length > MAX_SUMMARY) throw badRequest("invalid_ticket", `Enter a summary of 1 to ${MAX_SUMMARY} characters.`);
  const description = raw.description.trim();
  if (description.length > MAX_DESCRIPTION) throw badRequest("invalid_ticket", `Keep the description under ${MAX_DESCRIPTION.toLocaleString("en-US")} characters.`);
  return { projectKey, issueType, summary, description };
}

/** An API token acts as its account; an OAuth grant must include write:jira-work. */
export function canCreateIssues(credentials: Readonly<Credentials>): boolean {
  const parsed = parseJiraCredentials(credentials);
  return parsed.kind === "api_token" || (credentials.scopes ?? "").split(" ").includes(WRITE_SCOPE);
}

/** The create-ticket client: the connection's Jira, this one write and nothing else. */
export function createIssueHttp(settings: JsonValue, credentials: () => Readonly<Credentials>, log: Logger): ConnectorHttp {
  return createConnectorHttp({
    baseUrl: jiraConnector.baseUrl(settings, credentials()),
    allowlist: CREATE_ISSUE_REQUESTS,
    allowWrites: true,
    authHeaders: async () => jiraConnector.authHeaders(credentials()),
    log,
    retryPolicy: CREATE_RETRY_POLICY,
    timeoutMs: CREATE_TIMEOUT_MS,
  });
}

/** Creates the issue; resolves to its key, e.g. PROJ-123. */
export async function createIssue(http: ConnectorHttp, issue: NewIssue): Promise<string> {
  const fields = {
    project: { key: issue.projectKey },
    issuetype: { name: issue.issueType },
    summary: issue.summary,
    ...(issue.description && { description: plainTextToAdf(issue.description) }),
  };
  const { status, body } = await http.request<{ key?: unknown }>({ method: "POST", path: CREATE_ISSUE_PATH, body: { fields } });
  if (typeof body?.key !== "string" || !ISSUE_KEY.test(body.key)) throw new MalformedResponse("POST", CREATE_ISSUE_PATH, status);
  return body.key;
}

type AdfInline = { type: "text"; text: string } | { type: "hardBreak" };

/** Blank lines separate paragraphs; a single line break stays a line break. */
export function plainTextToAdf(text: string): { type: "doc"; version: 1; content: { type: "paragraph"; content: AdfInline[] }[] } {
  const blocks = text.replace(/\r\n?/g, "\n").split(/\n\s*\n/).map((block) => block.trim()).filter(Boolean);
  return {
    type: "doc",
    version: 1,
    content: blocks.map((block) => ({
      type: "paragraph",
      content: block.split("\n").flatMap((line, index): AdfInline[] => [...(index > 0 ? [{ type: "hardBreak" as const }] : []), ...(line ? [{ type: "text" as const, text: line }] : [])]),
    })),
  };
}
