import type { Provider } from "../connectors/connector.js";
import type { Credentials } from "../connectors/credentials.js";
import { badRequest } from "../platform/errors.js";

/** What the "connect" form of one provider collects: settings (validated by the connector) and credentials. */
export interface ConnectForm {
  provider: Provider;
  title: string;
  read(field: (name: string) => string, now: Date): { settings: unknown; credentials: Credentials };
}

const lines = (text: string) => text.split(/[\s,]+/).map((part) => part.trim()).filter(Boolean);

function required(value: string, what: string): string {
  if (!value.trim()) throw badRequest("missing_field", `Enter ${what}.`);
  return value.trim();
}

/** `acme` from https://acme.atlassian.net; any other address is used as the API base as it is. */
function jiraSite(address: string): { name: string; apiBaseUrl?: string } {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//i.test(address) ? address : `https://${address}`);
  } catch {
    throw badRequest("invalid_settings", "Enter the Jira site address, like https://acme.atlassian.net.");
  }
  const cloud = /^([a-z0-9-]+)\.atlassian\.net$/i.exec(url.hostname);
  if (cloud) return { name: cloud[1]!.toLowerCase() };
  return { name: url.hostname.split(".")[0]!.toLowerCase(), apiBaseUrl: url.origin };
}

export const CONNECT_FORMS: readonly ConnectForm[] = [
  {
    provider: "github",
    title: "GitHub Issues",
    read: (field) => ({
      settings: { repositories: lines(field("repositories")), ...(field("apiBaseUrl") ? { apiBaseUrl: field("apiBaseUrl").trim() } : {}) },
      credentials: { token: required(field("token"), "a personal access token") },
    }),
  },
  {
    provider: "jira",
    title: "Jira Cloud",
    read: (field) => {
      const site = jiraSite(required(field("siteUrl"), "your Jira site address, like https://acme.atlassian.net"));
      return {
        settings: { projects: lines(field("projects")), ...(site.apiBaseUrl ? { apiBaseUrl: site.apiBaseUrl } : {}) },
        credentials: { kind: "api_token", site: site.name, email: required(field("email"), "the email of the Jira account"), token: required(field("token"), "an API token") },
      };
    },
  },
  {
    provider: "demo",
    title: "Demo data",
    read: (_field, now) => ({
      settings: { seed: 42, days: 90, start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 90)).toISOString() },
      credentials: {},
    }),
  },
];

export function connectFormFor(provider: string): ConnectForm {
  const form = CONNECT_FORMS.find((candidate) => candidate.provider === provider);
  if (!form) throw badRequest("unknown_provider", `Choose a tool to connect: ${CONNECT_FORMS.map((f) => f.provider).join(", ")}.`);
  return form;
}
