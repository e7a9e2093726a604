import cron from "node-cron";
import type { Config } from "../config.js";
import { LeaderLock } from "../platform/leader-lock.js";
import type { Logger } from "../platform/log.js";
import { requeueStalledScans, scheduleDueScans } from "../scans/enqueue.js";
import { registerQueueDepth } from "../scans/queue-metrics.js";
import { queueOptionsFrom, ScanQueues } from "../scans/queue.js";
import { CONNECTORS } from "../scans/registry.js";
import { openRuntime, serveMetrics, watchStopSignals, type Runtime } from "./runtime.js";

const LEADER_KEY = "scheduler:leader";
const LEADER_TTL_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

interface SchedulerRuntime extends Runtime {
  queues: ScanQueues;
}

interface ScheduledTask {
  name: string;
  cron: string;
  run(runtime: SchedulerRuntime): Promise<void>;
}

/** What the scheduler does on its clock; it only enqueues and tidies, workers do the work. */
const TASKS: ScheduledTask[] = [
  {
    name: "enqueue-due-scans",
    cron: "* * * * *",
    async run({ pool, queues, log }) {
      const enqueued = await scheduleDueScans(pool, queues);
      if (enqueued > 0) log.info({ enqueued }, "due scans enqueued");
    },
  },
  {
    name: "requeue-stalled-scans",
    cron: "*/5 * * * *",
    async run({ pool, queues, log }) {
      const requeued = await requeueStalledScans(pool, queues);
      if (requeued > 0) log.warn({ requeued }, "stalled scans handed to the queue again");
    },
  },
  {
    name: "purge-ended-sessions",
    cron: "17 * * * *",
    async run({ pool, log }) {
      const { rows } = await pool.query<{ purged: number }>("SELECT purge_ended_sessions() AS purged");
      log.info({ purged: rows[0]?.purged ?? 0 }, "ended sessions purged");
    },
  },
];

export async function runScheduler(config: Config): Promise<void> {
  const stopRequested = watchStopSignals();
  const base = openRuntime(config, "scheduler");
  const runtime: SchedulerRuntime = { ...base, queues: new ScanQueues(queueOptionsFrom(config, base.log)) };
  const { log, redis } = runtime;
  registerQueueDepth(runtime.metrics, runtime.queues, [...CONNECTORS.keys()], log);
  const lock = new LeaderLock(redis, LEADER_KEY, LEADER_TTL_MS);
  let leader: boolean | undefined;
  const renew = async () => {
    const nowLeader = await lock.acquireOrRenew().catch((err: unknown) => {
      log.warn({ err }, "leader lock could not be renewed; standing by");
      return false;
    });
    if (nowLeader !== leader) log.info({ leader: nowLeader }, nowLeader ? "scheduler is the leader" : "scheduler is standing by");
    leader = nowLeader;
  };
  await renew();
  const renewal = setInterval(() => void renew(), RENEW_EVERY_MS);
  const jobs = TASKS.map((task) => cron.schedule(task.cron, () => (leader ? runTask(task, runtime, log) : undefined), { name: task.name }));
  const metricsServer = await serveMetrics(runtime);
  const signal = await stopRequested;
  log.info({ signal }, "shutting down");
  await metricsServer.close();
  clearInterval(renewal);
  await Promise.all(jobs.map((job) => job.stop()));
  if (leader === true) await lock.release().catch((err: unknown) => log.warn({ err }, "leader lock release failed; it will expire"));
  await runtime.queues.close();
  await runtime.close();
  log.info("scheduler stopped");
}

async function runTask(task: ScheduledTask, runtime: SchedulerRuntime, log: Logger): Promise<void> {
  try {
    await task.run(runtime);
  } catch (err) {
    log.error({ err, task: task.name }, "scheduled task failed");
  }
}
