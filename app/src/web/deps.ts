import type { Logger } from "pino";
import type { AssistantDeps } from "../ai/assistant.js";
import { ClaudeClient } from "../ai/claude-client.js";
import { AssistantLimits } from "../ai/usage-limits.js";
import type { Registry } from "prom-client";
import { createAuthenticator, type Authenticator } from "../auth/authenticator.js";
import { Throttle } from "../auth/throttle.js";
import type { Config } from "../config.js";
import type { Pool } from "../platform/db/pool.js";
import type { Redis } from "../platform/redis.js";
import { Vault } from "../platform/vault.js";
import { queueOptionsFrom, ScanQueues } from "../scans/queue.js";
import { CONNECTORS, type ConnectorRegistry } from "../scans/registry.js";
import { WholeLogAnalyses } from "./whole-log-analyses.js";
import { createRenderer, type Renderer } from "./render.js";

/** What the web process hands its routes. */
export interface WebDeps {
  config: Config;
  log: Logger;
  pool: Pool;
  redis: Redis;
  /** The process's metrics registry, which the request metrics join. */
  metrics: Registry;
  authenticator: Authenticator;
  throttle: Throttle;
  render: Renderer;
  vault: Vault;
  queues: ScanQueues;
  connectors: ConnectorRegistry;
  /** Analyses of whole logs in this process (filtered views, recomputes after a settings change): one at a time. */
  wholeLogAnalyses: WholeLogAnalyses;
  /** Claude, the organizations' limits on it, and what a request may carry. */
  assistant: AssistantDeps;
}

/** The web process's parts, built from its connections; the caller closes `queues`. */
export function assembleWebDeps(base: { config: Config; log: Logger; pool: Pool; redis: Redis; metrics: Registry }): WebDeps {
  const { config, pool, redis } = base;
  return {
    ...base,
    authenticator: createAuthenticator(config, pool),
    throttle: new Throttle(redis),
    render: createRenderer(),
    vault: Vault.fromSpec(config.vaultKeys),
    queues: new ScanQueues(queueOptionsFrom(config, base.log)),
    connectors: CONNECTORS,
    wholeLogAnalyses: new WholeLogAnalyses(),
    assistant: {
      pool,
      claude: new ClaudeClient({ config: config.ai, log: base.log }),
      limits: new AssistantLimits(redis, config.ai),
      contextTokens: config.ai.contextTokens,
    },
  };
}
