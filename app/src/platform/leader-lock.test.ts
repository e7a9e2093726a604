import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { REDIS_URL } from "../../../test/support/services.js";
import { LeaderLock } from "./leader-lock.js";
import { createRedis } from "./redis.js";

const redis = createRedis({ url: REDIS_URL, log: pino({ level: "silent" }), keyPrefix: `test:${randomBytes(6).toString("hex")}:` });

afterAll(async () => {
  await redis.quit();
});

describe("LeaderLock", () => {
  it("lets exactly one of several candidates lead, and the leader renew", async () => {
    const candidates = [0, 1, 2].map(() => new LeaderLock(redis, "leader", 5_000));
    const results = await Promise.all(candidates.map((candidate) => candidate.acquireOrRenew()));
    expect(results.filter(Boolean)).toHaveLength(1);
    const leader = candidates[results.indexOf(true)]!;
    expect(await leader.acquireOrRenew()).toBe(true);
    expect(await candidates.find((c) => c !== leader)!.acquireOrRenew()).toBe(false);
  });

  it("hands over when the leader stops renewing, and a stale leader cannot release its successor's lock", async () => {
    const first = new LeaderLock(redis, "handover", 150);
    const second = new LeaderLock(redis, "handover", 5_000);
    expect(await first.acquireOrRenew()).toBe(true);
    expect(await second.acquireOrRenew()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await second.acquireOrRenew()).toBe(true);
    await first.release();
    expect(await first.acquireOrRenew()).toBe(false);
    await second.release();
    expect(await first.acquireOrRenew()).toBe(true);
  });
});
