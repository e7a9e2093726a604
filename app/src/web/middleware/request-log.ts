import { randomUUID } from "node:crypto";
import type { Middleware } from "koa";
import type { Logger } from "pino";
import type { RequestState } from "../state.js";

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Gives each request an id (kept from nginx when well-formed) and logs one line when it ends. */
export function requestLog(log: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const incoming = ctx.get("x-request-id");
    const requestId = INCOMING_ID.test(incoming) ? incoming : randomUUID();
    const started = process.hrtime.bigint();
    ctx.state.requestId = requestId;
    ctx.state.log = log.child({ reqId: requestId });
    ctx.set("X-Request-Id", requestId);
    try {
      await next();
    } finally {
      const principal = ctx.state.principal;
      const line = {
        method: ctx.method,
        url: ctx.originalUrl,
        status: ctx.status,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        tenantId: principal?.tenantId,
        userId: principal?.userId,
      };
      if (ctx.status >= 500) ctx.state.log.error(line, "request failed");
      else ctx.state.log.info(line, "request");
    }
  };
}
