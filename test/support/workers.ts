import { Registry } from "prom-client";
import { createLogger } from "../../app/src/platform/log.js";
import { Vault } from "../../app/src/platform/vault.js";
import { queueOptionsFrom, startScanWorkers, type ScanWorkers } from "../../app/src/scans/queue.js";
import { CONNECTORS } from "../../app/src/scans/registry.js";
import { scanJobHandler } from "../../app/src/scans/scan-job.js";
import { scanMetrics } from "../../app/src/scans/scan-metrics.js";
import type { TestDatabase } from "./database.js";
import { LogCapture, type TestWeb } from "./web.js";

export interface TestWorkers extends ScanWorkers {
  logs: LogCapture;
}

/** In-process scan workers on the test web app's queues, running the worker process's job handler and logging to a capture. */
export function startTestWorkers(web: TestWeb, db: TestDatabase): TestWorkers {
  const logs = new LogCapture();
  const log = createLogger({ level: "info", destination: logs });
  const deps = { pool: db.runtime, vault: Vault.fromSpec(web.config.vaultKeys), log, connectors: CONNECTORS, extraHosts: web.config.connectorExtraHosts };
  const workers = startScanWorkers(queueOptionsFrom(web.config, log), [...CONNECTORS.keys()], scanJobHandler(deps, scanMetrics(new Registry())));
  return { logs, close: () => workers.close() };
}
