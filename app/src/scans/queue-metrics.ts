import { Gauge, type Registry } from "prom-client";
import type { Provider } from "../connectors/connector.js";
import type { Logger } from "../platform/log.js";
import type { ScanQueues } from "./queue.js";

/**
 * Queue connections wait through Redis outages, so a scrape would hang with them; past
 * this the gauge is left out of the scrape instead of holding back every other metric.
 */
const COUNT_TIMEOUT_MS = 2_000;

/** `twinflow_queue_jobs{queue, state}`, read from Redis on every scrape. */
export function registerQueueDepth(registry: Registry, queues: ScanQueues, providers: readonly Provider[], log: Logger): void {
  let unreadable = false;
  new Gauge({
    name: "twinflow_queue_jobs",
    help: "Jobs in each scan queue by state (waiting, active, delayed, failed), read when scraped.",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      // Stale counts would look current; without an answer the gauge reports nothing.
      this.reset();
      try {
        for (const { queue, counts } of await withinTimeout(queues.jobCounts(providers), COUNT_TIMEOUT_MS)) {
          for (const [state, count] of Object.entries(counts)) this.set({ queue, state }, count);
        }
        if (unreadable) log.info("queue depth readable again");
        unreadable = false;
      } catch (err) {
        if (!unreadable) log.warn({ err }, "queue depth could not be read; /metrics leaves it out until Redis answers");
        unreadable = true;
      }
    },
  });
}

function withinTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the queues within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
