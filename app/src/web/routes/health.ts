import Router from "@koa/router";
import type { Logger } from "pino";
import type { Config } from "../../config.js";
import type { Pool } from "../../platform/db/pool.js";
import type { Redis } from "../../platform/redis.js";

const CHECK_TIMEOUT_MS = 2_000;

export function healthRoutes(deps: { pool: Pool; redis: Redis; config: Config; log: Logger }): Router {
  const router = new Router();
  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });
  router.get("/readyz", async (ctx) => {
    const [postgres, redis] = await Promise.all([
      probe("postgres", () => deps.pool.query("SELECT 1"), deps.log),
      probe("redis", () => deps.redis.ping(), deps.log),
    ]);
    const ready = postgres && redis;
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? "ready" : "unavailable", postgres: postgres ? "ok" : "unavailable", redis: redis ? "ok" : "unavailable" };
  });
  router.get("/.well-known/security.txt", (ctx) => {
    ctx.type = "text/plain; charset=utf-8";
    ctx.body = securityTxt(deps.config, new Date());
  });
  return router;
}

/** RFC 9116; Expires is kept within a year by computing it from now. */
export function securityTxt(config: Config, now: Date): string {
  const expires = new Date(now.getTime() + 180 * 24 * 3600 * 1000);
  const lines = [
    `Contact: ${config.securityContact}`,
    `Expires: ${expires.toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    `Canonical: ${config.publicUrl}/.well-known/security.txt`,
    "Preferred-Languages: en",
  ];
  if (config.securityPolicyUrl) lines.push(`Policy: ${config.securityPolicyUrl}`);
  return `${lines.join("\n")}\n`;
}

async function probe(name: string, check: () => Promise<unknown>, log: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => true), timeout]);
  } catch (err) {
    log.warn({ err, check: name }, "readiness check failed");
    return false;
  } finally {
    clearTimeout(timer);
  }
}
