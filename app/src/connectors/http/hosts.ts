/**
 * Where a connection may send requests: its tool's public API hosts over https, as the
 * connector's manifest names them, and the hosts the operator allows in configuration
 * (CONNECTOR_EXTRA_HOSTS: GitHub Enterprise, a Jira proxy). Anything else an admin types as
 * an address is refused before a request is made, so a connection cannot be pointed at the
 * server's own network.
 */

/** `api.github.com`, or `*.atlassian.net` for any of its subdomains (not the domain itself). */
function matchesPattern(hostname: string, pattern: string): boolean {
  if (!pattern.startsWith("*.")) return hostname === pattern;
  const suffix = pattern.slice(1);
  return hostname.endsWith(suffix) && hostname.length > suffix.length;
}

/** `host` or `host:port` as the operator wrote it; a host without a port allows any port. */
function matchesExtra(url: URL, extra: string): boolean {
  return extra.includes(":") ? url.host === extra : url.hostname === extra;
}

export function hostAllowed(url: URL, connectorHosts: readonly string[], extraHosts: readonly string[]): boolean {
  const hostname = url.hostname.toLowerCase();
  const publicApi = url.protocol === "https:" && url.port === "" && connectorHosts.some((pattern) => matchesPattern(hostname, pattern));
  return publicApi || extraHosts.some((extra) => matchesExtra(url, extra.toLowerCase()));
}
