import type { DataManifest } from "../connector.js";
import type { AllowedRequest } from "../http/allowlist.js";
import { CHANGELOG_FIELDS, ISSUE_FIELDS } from "./map.js";

/**
 * Everything the Jira connector may ask for. No `GET /rest/api/3/issue/{id}` (it returns
 * descriptions and comments whatever fields are named), no comments, no attachments.
 */
export const JIRA_REQUESTS: readonly AllowedRequest[] = [
  {
    method: "POST",
    path: /^\/rest\/api\/3\/search\/jql$/,
    purpose:
      "Issue search (JQL) for metadata fields. A read: POST only puts the JQL and the field list in the body, " +
      "where no URL length limit applies and the query stays out of proxy logs; it changes nothing in Jira.",
  },
  { method: "GET", path: /^\/rest\/api\/3\/search\/jql$/, purpose: "Issue search (JQL) for metadata fields" },
  {
    method: "POST",
    path: /^\/rest\/api\/3\/changelog\/bulkfetch$/,
    purpose: "Read-only bulk fetch of the change history of up to 1000 issues, filtered to the kept fields; changes nothing in Jira.",
  },
  { method: "GET", path: /^\/rest\/api\/3\/statuses\/search$/, purpose: "Status names and their categories (to do, in progress, done)" },
  { method: "GET", path: /^\/rest\/api\/3\/myself$/, purpose: "Checks the credentials: the account id they belong to" },
];

const prefixed = (prefix: string, fields: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(fields).map(([name, why]) => [`${prefix}${name}`, why]));

export const jiraManifest: DataManifest = {
  provider: "jira",
  requests: JIRA_REQUESTS,
  // A site's own address (API tokens), and Atlassian's gateway (OAuth sign-in).
  hosts: ["*.atlassian.net", "api.atlassian.com"],
  fieldsKept: {
    id: "the issue id, to fetch its change history",
    key: "the issue key, e.g. PROJ-12: the work item's id",
    ...ISSUE_FIELDS,
    "changelog.id": "the change's id: the event's id",
    "changelog.created": "when the change happened",
    "changelog.author": "who made the change: account id and display name",
    ...prefixed("changelog.", CHANGELOG_FIELDS),
  },
  fieldsDropped: [
    "summary",
    "description",
    "environment",
    "comment",
    "attachment",
    "worklog",
    "issuelinks",
    "changelog.summary",
    "changelog.description",
    "changelog.environment",
    "changelog.comment",
    "changelog.Attachment",
    "changelog.Link",
    "changelog.RemoteIssueLink",
    "changelog.issuetype",
    "changelog: every other field, with its fromString/toString",
    "statuses: description",
  ],
};
