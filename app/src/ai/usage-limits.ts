import type { AiConfig } from "../config.js";
import { AppError } from "../platform/errors.js";
import type { Redis } from "../platform/redis.js";

const MINUTE_MS = 60_000;
/** A month's counter outlives the month by a few days, for the usage shown early in the next one. */
const MONTH_KEY_SECONDS = 40 * 24 * 3600;

export interface MonthUsage {
  used: number;
  limit: number;
  /** The first moment of the next month (UTC), when the count starts again. */
  resetsAt: Date;
}

/**
 * Each organization's share of Claude: requests per minute (a fixed window) and tokens per
 * calendar month (UTC), counted in Redis so every web process sees the same numbers.
 */
export class AssistantLimits {
  constructor(
    private readonly redis: Redis,
    private readonly limits: Pick<AiConfig, "requestsPerMinute" | "monthlyTokens">,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request against the minute and refuses it when the minute or the month is used up. */
  async admit(tenantId: string, estimatedTokens: number): Promise<void> {
    const usage = await this.month(tenantId);
    if (usage.used + estimatedTokens > usage.limit) {
      const resets = usage.resetsAt.toISOString().slice(0, 10);
      throw new AppError(
        "ai_budget_exhausted",
        429,
        `Your organization has used ${usage.used.toLocaleString("en")} of its ${usage.limit.toLocaleString("en")} assistant tokens this month, so nothing was sent. The count starts again on ${resets}; an operator can raise AI_MONTHLY_TOKENS.`,
      );
    }
    const key = `ai:rate:${tenantId}:${Math.floor(this.now() / MINUTE_MS)}`;
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, 120).exec()) as [[Error | null, number]];
    if (count > this.limits.requestsPerMinute) {
      throw new AppError(
        "ai_rate_limit",
        429,
        `Your organization has asked the assistant ${this.limits.requestsPerMinute} times in the last minute, its limit, so nothing was sent. Wait a minute and ask again.`,
      );
    }
  }

  /** Adds the tokens a request used (sent and received) to the organization's month. */
  async record(tenantId: string, tokens: number): Promise<void> {
    const key = this.monthKey(tenantId);
    await this.redis.multi().incrby(key, tokens).expire(key, MONTH_KEY_SECONDS).exec();
  }

  async month(tenantId: string): Promise<MonthUsage> {
    const used = Number((await this.redis.get(this.monthKey(tenantId))) ?? 0);
    const today = new Date(this.now());
    return { used, limit: this.limits.monthlyTokens, resetsAt: new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1)) };
  }

  private monthKey(tenantId: string): string {
    return `ai:tokens:${tenantId}:${new Date(this.now()).toISOString().slice(0, 7)}`;
  }
}
