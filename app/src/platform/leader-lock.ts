import { randomUUID } from "node:crypto";
import type { Redis } from "./redis.js";

/** Take the lock when free, or extend it when we already hold it; 1 when we hold it after. */
const ACQUIRE_OR_RENEW = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return 1 end
return 0`;

/** Delete only our own lock, never one a successor took after ours expired. */
const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`;

/**
 * One leader among several replicas, by a Redis key with a TTL. A leader that stops
 * renewing (crash, partition) loses the lock after ttlMs and another takes over.
 */
export class LeaderLock {
  readonly holderId = randomUUID();

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {}

  async acquireOrRenew(): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE_OR_RENEW, 1, this.key, this.holderId, String(this.ttlMs))) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.holderId);
  }
}
