import type { Config } from "../config.js";
import { createPool, type Pool } from "../platform/db/pool.js";
import { createLogger, type Logger } from "../platform/log.js";
import { createRedis, type Redis } from "../platform/redis.js";

/** The connections every long-running role holds, and one way to let them go. */
export interface Runtime {
  config: Config;
  log: Logger;
  pool: Pool;
  redis: Redis;
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
    async close() {
      await Promise.allSettled([pool.end(), redis.quit()]);
    },
  };
}

/** Resolves on the first SIGTERM or SIGINT, so a role can finish in-flight work and close. */
export function untilStopSignal(log: Logger): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "shutting down");
      resolve(signal);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
