import { Redis } from "ioredis";
import type { Logger } from "pino";

export type { Redis };

export interface RedisOptions {
  url: string;
  log: Logger;
  /** Namespaces keys, e.g. per test file. */
  keyPrefix?: string;
  /**
   * For job queues: commands wait through reconnects instead of failing (BullMQ requires
   * it for its blocking reads).
   */
  waitThroughOutages?: boolean;
}

const MAX_BACKOFF_MS = 5_000;

export function createRedis(options: RedisOptions): Redis {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    // Fail a command after two reconnect attempts rather than queueing forever, so
    // readiness and requests report an outage instead of hanging.
    maxRetriesPerRequest: options.waitThroughOutages ? null : 2,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, MAX_BACKOFF_MS),
  });
  let wasDown = false;
  redis.on("error", (err) => {
    if (!wasDown) options.log.warn({ err }, "redis unavailable; reconnecting with backoff");
    wasDown = true;
  });
  redis.on("ready", () => {
    if (wasDown) options.log.info("redis reconnected");
    wasDown = false;
  });
  return redis;
}
