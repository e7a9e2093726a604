import { atlassianOAuthClient, jiraTokenRefresher } from "../../app/src/connectors/jira/oauth.js";
import { createLogger } from "../../app/src/platform/log.js";
import { Vault } from "../../app/src/platform/vault.js";
import { pino } from "pino";
import { Registry } from "prom-client";
import { queueOptionsFrom, startScanWorkers, type ScanWorkers } from "../../app/src/scans/queue.js";
import { CONNECTORS } from "../../app/src/scans/registry.js";
import { scanJobHandler } from "../../app/src/scans/scan-job.js";
import { scanMetrics } from "../../app/src/scans/scan-metrics.js";
import { AtlassianTokens, startFakeAtlassian, type FakeAtlassian, type FakeSite } from "../fakes/atlassian-auth.js";
import { startFakeJira, type FakeJira } from "../fakes/jira.js";
import type { TestDatabase } from "./database.js";
import { LogCapture, type Browser, type TestWeb } from "./web.js";

export const OAUTH_CLIENT = { clientId: "twinflow-test-client", clientSecret: "twinflow-test-client-secret-0123456789" };

/** Settings that point the web app's Atlassian sign-in at the fake. */
export function atlassianEnv(atlassian: FakeAtlassian): Record<string, string> {
  return {
    JIRA_OAUTH_CLIENT_ID: OAUTH_CLIENT.clientId,
    JIRA_OAUTH_CLIENT_SECRET: OAUTH_CLIENT.clientSecret,
    ATLASSIAN_AUTH_URL: atlassian.url,
    ATLASSIAN_API_URL: atlassian.url,
  };
}

export interface Consent {
  /** Where TwinFlow sent the browser. */
  authorize: URL;
  /** Where Atlassian sends it back: path and query on TwinFlow. */
  callback: string;
}

/** Starts "Sign in with Atlassian" on the connections page and lets the fake's consent screen answer. */
export async function consentWithAtlassian(browser: Browser, form: Record<string, string> = {}): Promise<Consent> {
  await browser.get("/connections");
  const started = await browser.post("/connections/jira/authorize", { label: "Jira via Atlassian", projects: "EE K5", ...form });
  if (started.status !== 302 || !started.location) throw new Error(`authorize answered ${started.status}: ${started.body.slice(0, 300)}`);
  const authorize = new URL(started.location);
  const consent = await fetch(authorize, { redirect: "manual" });
  const back = new URL(consent.headers.get("location") ?? "");
  return { authorize, callback: `${back.pathname}${back.search}` };
}

/** Scan workers for the test app's queues that renew Jira OAuth tokens as the worker process does; their log is captured. */
export function startRenewingWorkers(web: TestWeb, db: TestDatabase): { workers: ScanWorkers; logs: LogCapture } {
  const logs = new LogCapture();
  const log = createLogger({ level: "info", destination: logs });
  const deps = {
    pool: db.runtime,
    vault: Vault.fromSpec(web.config.vaultKeys),
    log,
    connectors: CONNECTORS,
    extraHosts: web.config.connectorExtraHosts,
    renewal: { redis: web.redis, refreshers: new Map([["jira" as const, jiraTokenRefresher(atlassianOAuthClient(web.config.atlassian)!, log)]]) },
  };
  const workers = startScanWorkers(queueOptionsFrom(web.config, pino({ level: "silent" })), [...CONNECTORS.keys()], scanJobHandler(deps, scanMetrics(new Registry())));
  return { workers, logs };
}

/** The page of a connection once its scans have stopped running. */
export async function untilScansSettle(browser: Browser, path: string): Promise<string> {
  for (let attempt = 0; attempt < 150; attempt++) {
    const page = await browser.get(path);
    if (!/<td>(queued|running)<\/td>/.test(page.body)) return page.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("scans did not settle");
}

export const ACME_SITE = { cloudId: "11111111-2222-3333-4444-555555555555", name: "Acme", url: "https://acme.atlassian.net" };

/** Atlassian's sign-in and one Jira site with no issues yet, as fakes: where tickets are created. */
export interface FakeJiraSite {
  jira: FakeJira;
  atlassian: FakeAtlassian;
  /** Settings that point the web app's Atlassian sign-in at the fake. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startEmptyJiraSite(site: Omit<FakeSite, "jiraUrl"> = ACME_SITE): Promise<FakeJiraSite> {
  const tokens = new AtlassianTokens();
  const jira = await startFakeJira({ auth: { tokens }, issues: [], changelogs: new Map(), statuses: [] });
  const atlassian = await startFakeAtlassian({ tokens, ...OAUTH_CLIENT, sites: [{ ...site, jiraUrl: jira.url }] });
  return { jira, atlassian, env: atlassianEnv(atlassian), close: async () => void (await Promise.all([jira.close(), atlassian.close()])) };
}
