import type { DataManifest } from "../connector.js";
import type { AllowedRequest } from "../http/allowlist.js";
import { EVENT_FIELDS_KEPT, FIELDS_DROPPED, ISSUE_FIELDS_KEPT } from "./map.js";

/** GitHub's rules for names: owners are letters, digits and single hyphens; repositories also allow `.` and `_`. */
const OWNER = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})";
/** `.` and `..` would turn into path traversal once a URL is resolved. */
const REPO = "(?!\\.\\.?(?:/|$))[A-Za-z0-9._-]{1,100}";

/** `owner/repo`, as the settings list repositories. */
export const REPOSITORY_NAME = new RegExp(`^${OWNER}/${REPO}$`);

const repositoryPath = (suffix: string) => new RegExp(`^/repos/${OWNER}/${REPO}${suffix}$`);

/** Everything the GitHub connector may ask for: three reads, no writes. */
export const GITHUB_REQUESTS: readonly AllowedRequest[] = [
  {
    method: "GET",
    path: repositoryPath("/issues"),
    purpose: "Lists a repository's issues and pull requests by last update: state, dates, people and labels.",
  },
  {
    method: "GET",
    path: repositoryPath("/issues/events"),
    purpose: "Lists a repository's issue events, newest first: label, assignee, milestone, close and reopen changes.",
  },
  { method: "GET", path: /^\/user$/, purpose: "Checks the token when connecting: which account it belongs to and its scopes." },
];

const prefixed = (prefix: string, fields: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(fields).map(([path, why]) => [`${prefix}${path}`, why]));

export const githubManifest: DataManifest = {
  provider: "github",
  requests: GITHUB_REQUESTS,
  hosts: ["api.github.com"],
  fieldsKept: {
    ...prefixed("issue.", ISSUE_FIELDS_KEPT),
    ...prefixed("event.", EVENT_FIELDS_KEPT),
    ...prefixed("event.issue.", ISSUE_FIELDS_KEPT),
    "user.login": "shown once when connecting, to confirm the account; not stored",
    "x-oauth-scopes (header)": "shown once when connecting, to confirm the token's scopes; not stored",
  },
  fieldsDropped: FIELDS_DROPPED,
};
