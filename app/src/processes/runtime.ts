import type { Registry } from "prom-client";
import type { Config } from "../config.js";
import { createPool, type Pool } from "../platform/db/pool.js";
import { createLogger, type Logger } from "../platform/log.js";
import { createMetricsRegistry, startMetricsServer, type MetricsServer } from "../platform/metrics.js";
import { createRedis, type Redis } from "../platform/redis.js";

/** The connections every long-running role holds, and one way to let them go. */
export interface Runtime {
  config: Config;
  log: Logger;
  pool: Pool;
  redis: Redis;
  /** This process's metrics, served by `serveMetrics`. */
  metrics: Registry;
  close(): Promise<void>;
}

export function openRuntime(config: Config, role: string): Runtime {
  const log = createLogger({ level: config.logLevel, name: `twinflow-${role}` });
  const pool = createPool({ connectionString: config.databaseUrl, max: config.databasePoolMax, applicationName: `twinflow-${role}`, log });
  const redis = createRedis({ url: config.redisUrl, log });
  return {
    config,
    log,
    pool,
    redis,
    metrics: createMetricsRegistry(),
    async close() {
      await Promise.allSettled([pool.end(), redis.quit()]);
    },
  };
}

/**
 * Serves the role's /metrics and /healthz on METRICS_HOST:METRICS_PORT. Roles start it once
 * they are ready, so a passing health check means the role is doing its work.
 */
export function serveMetrics(runtime: Runtime, status?: () => Promise<unknown>): Promise<MetricsServer> {
  const { config, metrics, log } = runtime;
  return startMetricsServer({ host: config.metricsHost, port: config.metricsPort, registry: metrics, log, status });
}

/**
 * Resolves on the first SIGTERM or SIGINT. Installed once, before a role starts, so a
 * signal that arrives during start-up is never lost to Node's default (kill at once);
 * later signals while shutting down are ignored rather than cutting in-flight work short.
 */
export function watchStopSignals(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => resolve(signal));
  });
}
