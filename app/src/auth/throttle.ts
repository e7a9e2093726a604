import { createHash } from "node:crypto";
import type { Redis } from "../platform/redis.js";

export interface ThrottleRule {
  name: string;
  limit: number;
  windowSeconds: number;
}

export const SIGN_IN_PER_ACCOUNT: ThrottleRule = { name: "signin:account", limit: 5, windowSeconds: 15 * 60 };
export const SIGN_IN_PER_IP: ThrottleRule = { name: "signin:ip", limit: 20, windowSeconds: 15 * 60 };
export const SIGN_UP_PER_IP: ThrottleRule = { name: "signup:ip", limit: 10, windowSeconds: 60 * 60 };

/**
 * Fixed-window failure counters in Redis. Subjects are hashed so e-mail addresses
 * and IPs never sit in Redis in the clear.
 */
export class Throttle {
  constructor(private readonly redis: Redis) {}

  /** Seconds until the subject may try again, or 0 when it is not blocked. */
  async blockedFor(rule: ThrottleRule, subject: string): Promise<number> {
    const key = keyOf(rule, subject);
    const count = Number((await this.redis.get(key)) ?? 0);
    if (count < rule.limit) return 0;
    const ttl = await this.redis.ttl(key);
    return ttl > 0 ? ttl : rule.windowSeconds;
  }

  async recordFailure(rule: ThrottleRule, subject: string): Promise<void> {
    const key = keyOf(rule, subject);
    await this.redis.multi().incr(key).expire(key, rule.windowSeconds, "NX").exec();
  }

  async reset(rule: ThrottleRule, subject: string): Promise<void> {
    await this.redis.del(keyOf(rule, subject));
  }
}

function keyOf(rule: ThrottleRule, subject: string): string {
  return `throttle:${rule.name}:${createHash("sha256").update(subject.toLowerCase()).digest("base64url")}`;
}
