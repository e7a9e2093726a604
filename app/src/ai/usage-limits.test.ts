import { randomBytes, randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { REDIS_URL } from "../../../test/support/services.js";
import { createRedis } from "../platform/redis.js";
import { AssistantLimits } from "./usage-limits.js";

const redis = createRedis({ url: REDIS_URL, log: pino({ level: "silent" }), keyPrefix: `test:${randomBytes(6).toString("hex")}:` });

afterAll(async () => {
  await redis.quit();
});

/** Limits whose clock the test sets. */
function limitsAt(start: string, limits = { requestsPerMinute: 2, monthlyTokens: 1_000 }) {
  let now = Date.parse(start);
  return { limits: new AssistantLimits(redis, limits, () => now), set: (at: string) => (now = Date.parse(at)) };
}

describe("an organization's assistant limits", () => {
  it("counts tokens by calendar month in UTC, and starts again on the first", async () => {
    const tenant = randomUUID();
    const { limits, set } = limitsAt("2026-12-31T23:59:00Z");
    await limits.record(tenant, 900);
    expect(await limits.month(tenant)).toEqual({ used: 900, limit: 1_000, resetsAt: new Date("2027-01-01T00:00:00Z") });
    await expect(limits.admit(tenant, 200)).rejects.toMatchObject({ code: "ai_budget_exhausted", status: 429, message: expect.stringContaining("starts again on 2027-01-01") });
    await limits.admit(tenant, 100);
    set("2027-01-01T00:00:01Z");
    expect((await limits.month(tenant)).used).toBe(0);
    await limits.admit(tenant, 1_000);
  });

  it("admits so many requests a minute, and more the next minute", async () => {
    const tenant = randomUUID();
    const { limits, set } = limitsAt("2026-11-30T10:00:05Z");
    await limits.admit(tenant, 1);
    await limits.admit(tenant, 1);
    await expect(limits.admit(tenant, 1)).rejects.toMatchObject({ code: "ai_rate_limit", status: 429 });
    set("2026-11-30T10:01:00Z");
    await limits.admit(tenant, 1);
  });

  it("keeps organizations apart", async () => {
    const [one, other] = [randomUUID(), randomUUID()];
    const { limits } = limitsAt("2026-11-30T10:00:00Z");
    await limits.record(one, 1_000);
    await expect(limits.admit(one, 1)).rejects.toMatchObject({ code: "ai_budget_exhausted" });
    await limits.admit(other, 1_000);
  });
});
