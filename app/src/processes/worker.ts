import type { Config } from "../config.js";
import { openRuntime, watchStopSignals } from "./runtime.js";

/**
 * The background worker. It holds its connections and reports in; scan jobs are
 * registered here when the scan engine lands.
 */
export async function runWorker(config: Config): Promise<void> {
  const stopRequested = watchStopSignals();
  const runtime = openRuntime(config, "worker");
  await runtime.pool.query("SELECT 1");
  await runtime.redis.ping();
  runtime.log.info("worker ready");
  const signal = await stopRequested;
  runtime.log.info({ signal }, "shutting down");
  await runtime.close();
  runtime.log.info("worker stopped");
}
