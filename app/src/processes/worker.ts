import type { Config } from "../config.js";
import type { Provider } from "../connectors/connector.js";
import { atlassianOAuthClient, jiraTokenRefresher } from "../connectors/jira/oauth.js";
import type { TokenRefresher } from "../connectors/token-renewal.js";
import { Vault } from "../platform/vault.js";
import { queueOptionsFrom, startScanWorkers } from "../scans/queue.js";
import { CONNECTORS } from "../scans/registry.js";
import { scanAndAnalyze } from "../scans/scan-job.js";
import { openRuntime, watchStopSignals } from "./runtime.js";

/** Runs scan jobs from the queue, each provider with its own concurrency limit. */
export async function runWorker(config: Config): Promise<void> {
  const stopRequested = watchStopSignals();
  const runtime = openRuntime(config, "worker");
  const { log, pool } = runtime;
  await pool.query("SELECT 1");
  await runtime.redis.ping();
  const atlassian = atlassianOAuthClient(config.atlassian);
  const refreshers = new Map<Provider, TokenRefresher>(atlassian ? [["jira", jiraTokenRefresher(atlassian, log)]] : []);
  const deps = { pool, vault: Vault.fromSpec(config.vaultKeys), log, connectors: CONNECTORS, renewal: { redis: runtime.redis, refreshers } };
  const workers = startScanWorkers(queueOptionsFrom(config, log), [...CONNECTORS.keys()], async (job, signal) => {
    await scanAndAnalyze(deps, job, signal);
  });
  log.info({ providers: [...CONNECTORS.keys()] }, "worker ready");
  const signal = await stopRequested;
  log.info({ signal }, "shutting down");
  // Running scans stop after their current page; the next scan resumes from the saved cursors.
  await workers.close();
  await runtime.close();
  log.info("worker stopped");
}
