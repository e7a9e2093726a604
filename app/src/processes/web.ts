import { createServer } from "node:http";
import type { Config } from "../config.js";
import { createWebApp } from "../web/app.js";
import { assembleWebDeps } from "../web/deps.js";
import { registerBackupStatus } from "../../../backup/src/status-metrics.js";
import { backupStatus } from "../../../backup/src/runs.js";
import { openRuntime, serveMetrics, watchStopSignals } from "./runtime.js";

export async function runWeb(config: Config): Promise<void> {
  const stopRequested = watchStopSignals();
  const runtime = openRuntime(config, "web");
  const { log, pool, redis, metrics } = runtime;
  const deps = assembleWebDeps({ config, log, pool, redis, metrics });
  const app = createWebApp(deps);
  const server = createServer(app.callback());
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  log.info({ url: config.publicUrl, host: config.host, port: config.port }, "web listening");
  // Web always runs, so its metrics carry the backup gauges even while the backup service is down.
  registerBackupStatus(metrics, pool, log);
  const metricsServer = await serveMetrics(runtime, () => backupStatus(pool));
  const signal = await stopRequested;
  log.info({ signal }, "shutting down");
  await metricsServer.close();
  // Stop accepting, let in-flight requests finish, then release the pools.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await closed;
  await deps.queues.close();
  await runtime.close();
  log.info("web stopped");
}
