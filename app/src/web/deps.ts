import type { Logger } from "pino";
import type { Authenticator } from "../auth/authenticator.js";
import type { Throttle } from "../auth/throttle.js";
import type { Config } from "../config.js";
import type { Pool } from "../platform/db/pool.js";
import type { Redis } from "../platform/redis.js";
import type { ScanQueues } from "../scans/queue.js";
import type { ConnectorRegistry } from "../scans/registry.js";
import type { Vault } from "../platform/vault.js";
import type { Renderer } from "./render.js";

/** What the web process hands its routes. */
export interface WebDeps {
  config: Config;
  log: Logger;
  pool: Pool;
  redis: Redis;
  authenticator: Authenticator;
  throttle: Throttle;
  render: Renderer;
  vault: Vault;
  queues: ScanQueues;
  connectors: ConnectorRegistry;
}
