/**
 * The requests a connector may make, declared as data. Anything not listed is refused
 * before a byte leaves the process: this is how "scans never write" is kept in code.
 */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface AllowedRequest {
  method: HttpMethod;
  /** Matched against the URL path (no query string), anchored. */
  path: RegExp;
  /** What the request reads; for a POST, why it only reads (search, bulk fetch, GraphQL query). */
  purpose: string;
  /** True only for the one user-triggered write (Jira "create ticket"). */
  write?: boolean;
}

export class RequestNotAllowed extends Error {
  override name = "RequestNotAllowed";
  constructor(
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path} is not on this connector's allowlist; the request was not sent`);
  }
}

/**
 * A path the URL parser would rewrite (dot segments, encoded dots or slashes, doubled
 * slashes) could match one pattern here and reach another path there: refuse it.
 */
function isCanonicalPath(path: string): boolean {
  if (!path.startsWith("/") || path.includes("//") || /%2e|%2f|%5c|\\/i.test(path)) return false;
  return !path.split("/").some((segment) => segment === "." || segment === "..");
}

/** The entry that permits this request, or a RequestNotAllowed. Writes need `allowWrites`. */
export function checkAllowed(allowlist: readonly AllowedRequest[], method: string, path: string, allowWrites = false): AllowedRequest {
  if (!isCanonicalPath(path)) throw new RequestNotAllowed(method, path);
  const entry = allowlist.find((candidate) => candidate.method === method && candidate.path.test(path));
  if (!entry || (entry.write && !allowWrites)) throw new RequestNotAllowed(method, path);
  return entry;
}
