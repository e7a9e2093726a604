import { Queue, Worker, type Job } from "bullmq";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Provider } from "../connectors/connector.js";
import { createRedis, type Redis } from "../platform/redis.js";

export interface ScanJob {
  tenantId: string;
  connectionId: string;
  scanId: string;
}

/** How many scans of one provider a worker runs at once (provider rate limits are per token, not per process). */
export const PROVIDER_CONCURRENCY: Record<Provider, number> = {
  demo: 2,
  jira: 2,
  github: 2,
  linear: 2,
  gmail: 2,
  salesforce: 2,
  zendesk: 1,
};

export interface QueueOptions {
  redisUrl: string;
  /** Key prefix in Redis; tests use their own. */
  prefix: string;
  /** A job whose worker stops renewing this lock (it died) is handed to another worker. */
  lockDurationMs: number;
  log: Logger;
}

export function queueOptionsFrom(config: Config, log: Logger): QueueOptions {
  return { redisUrl: config.redisUrl, prefix: config.queuePrefix, lockDurationMs: config.scanLockMs, log };
}

const queueName = (provider: Provider) => `scans-${provider}`;

/** The job states worth watching: the backlog, work in hand, jobs held for later, and failures. */
const WATCHED_JOB_STATES = ["waiting", "active", "delayed", "failed"] as const;

export interface QueueJobCounts {
  /** The queue's name, such as scans-demo. */
  queue: string;
  /** Jobs per watched state, every state present. */
  counts: Record<string, number>;
}

/** BullMQ needs connections that never give up on a command; outages are logged like any Redis client's. */
function queueConnection(options: QueueOptions): Redis {
  return createRedis({ url: options.redisUrl, log: options.log, waitThroughOutages: true });
}

export class ScanQueues {
  private readonly connection: Redis;
  private readonly queues = new Map<Provider, Queue<ScanJob>>();

  constructor(private readonly options: QueueOptions) {
    this.connection = queueConnection(options);
  }

  /** The job id is the scan id, so enqueuing the same scan twice is one job. */
  async enqueue(provider: Provider, job: ScanJob): Promise<void> {
    await this.queue(provider).add("scan", job, { jobId: job.scanId, removeOnComplete: 1000, removeOnFail: 1000 });
  }

  /** How many jobs each provider's queue holds in each watched state. */
  async jobCounts(providers: readonly Provider[]): Promise<QueueJobCounts[]> {
    return Promise.all(
      providers.map(async (provider) => ({ queue: queueName(provider), counts: await this.queue(provider).getJobCounts(...WATCHED_JOB_STATES) })),
    );
  }

  private queue(provider: Provider): Queue<ScanJob> {
    let queue = this.queues.get(provider);
    if (!queue) {
      queue = new Queue<ScanJob>(queueName(provider), { connection: this.connection, prefix: this.options.prefix });
      this.queues.set(provider, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await this.connection.quit();
  }
}

export interface ScanWorkers {
  /** Stops taking jobs and waits for the running ones to finish (or stop at their next page). */
  close(): Promise<void>;
}

/** Runs one job taken from the queue of `provider`. */
export type ScanJobRunner = (job: ScanJob, signal: AbortSignal, provider: Provider) => Promise<void>;

export function startScanWorkers(options: QueueOptions, providers: readonly Provider[], run: ScanJobRunner): ScanWorkers {
  const stopping = new AbortController();
  // BullMQ leaves connections it was handed open; these are ours to close.
  const connections: Redis[] = [];
  const workers = providers.map((provider) => {
    const connection = queueConnection(options);
    connections.push(connection);
    return new Worker<ScanJob>(queueName(provider), (job: Job<ScanJob>) => run(job.data, stopping.signal, provider), {
      connection,
      prefix: options.prefix,
      concurrency: PROVIDER_CONCURRENCY[provider],
      lockDuration: options.lockDurationMs,
      stalledInterval: Math.max(1_000, Math.floor(options.lockDurationMs / 2)),
    });
  });
  return {
    async close() {
      stopping.abort();
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all(connections.map((connection) => connection.quit()));
    },
  };
}
