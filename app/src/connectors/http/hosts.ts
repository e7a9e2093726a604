/**
 * Where a connection may send requests: its tool's public API hosts over https, as the
 * connector's manifest names them, and the hosts the operator allows in configuration
 * (CONNECTOR_EXTRA_HOSTS: GitHub Enterprise, a Jira proxy). Anything else an admin types as
 * an address is refused before a request is made, so a connection cannot be pointed at the
 * server's own network.
 */
import { badRequest } from "../../platform/errors.js";
import type { DataManifest } from "../connector.js";

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

/**
 * Refuses, saying how to allow it, the address a connection's settings lead to when it is
 * neither its tool's nor an allowed host. A connector that sends no requests (demo data)
 * reaches nothing, wherever its settings point.
 */
export function requireAllowedHost(manifest: Pick<DataManifest, "provider" | "requests" | "hosts">, baseUrl: string, extraHosts: readonly string[]): void {
  const url = new URL(baseUrl);
  if (manifest.requests.length === 0 || hostAllowed(url, manifest.hosts, extraHosts)) return;
  throw badRequest(
    "host_not_allowed",
    `This instance lets ${manifest.provider} connections reach ${manifest.hosts.join(", ")} over https, not ${url.hostname}. ` +
      "To connect to your own server, ask the operator to add it to CONNECTOR_EXTRA_HOSTS.",
  );
}
