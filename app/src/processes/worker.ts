import type { Config } from "../config.js";
import type { Provider } from "../connectors/connector.js";
import { atlassianOAuthClient, jiraTokenRefresher } from "../connectors/jira/oauth.js";
import type { TokenRefresher } from "../connectors/token-renewal.js";
import { Vault } from "../platform/vault.js";
import { registerQueueDepth } from "../scans/queue-metrics.js";
import { queueOptionsFrom, ScanQueues, startScanWorkers } from "../scans/queue.js";
import { CONNECTORS } from "../scans/registry.js";
import { scanJobHandler } from "../scans/scan-job.js";
import { scanMetrics } from "../scans/scan-metrics.js";
import { LiveOutputs } from "../scans/scan-output-store.js";
import { openRuntime, serveMetrics, watchStopSignals } from "./runtime.js";

/** Runs scan jobs from the queue, each provider with its own concurrency limit. */
export async function runWorker(config: Config): Promise<void> {
  const stopRequested = watchStopSignals();
  const runtime = openRuntime(config, "worker");
  const { log, pool, metrics } = runtime;
  await pool.query("SELECT 1");
  await runtime.redis.ping();
  const atlassian = atlassianOAuthClient(config.atlassian);
  const refreshers = new Map<Provider, TokenRefresher>(atlassian ? [["jira", jiraTokenRefresher(atlassian, log)]] : []);
  const deps = { pool, vault: Vault.fromSpec(config.vaultKeys), log, connectors: CONNECTORS, extraHosts: config.connectorExtraHosts, renewal: { redis: runtime.redis, refreshers }, liveOutputs: new LiveOutputs() };
  const providers = [...CONNECTORS.keys()];
  const queueOptions = queueOptionsFrom(config, log);
  // Only read, for the queue depth on /metrics.
  const queues = new ScanQueues(queueOptions);
  registerQueueDepth(metrics, queues, providers, log);
  const workers = startScanWorkers(queueOptions, providers, scanJobHandler(deps, scanMetrics(metrics)));
  log.info({ providers }, "worker ready");
  const metricsServer = await serveMetrics(runtime);
  const signal = await stopRequested;
  log.info({ signal }, "shutting down");
  await metricsServer.close();
  // Running scans stop after their current page; the next scan resumes from the saved cursors.
  await workers.close();
  await queues.close();
  await runtime.close();
  log.info("worker stopped");
}
