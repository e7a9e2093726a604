import type { DefaultState, Middleware } from "koa";
import { Histogram, type Registry } from "prom-client";

/** From a static file or health check (milliseconds) to a slow page or import (tens of seconds). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Times every request, labelled by route pattern and status class, never by path, tenant
 * or user, so the series stay few. Registered before errorPages, so the status is the one sent.
 */
export function requestMetrics(registry: Registry): Middleware<DefaultState, MatchedRoute> {
  const duration = new Histogram({
    name: "twinflow_http_request_duration_seconds",
    help: "Time from a request's arrival to its response, by method, route pattern and status class.",
    labelNames: ["method", "route", "status"] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  return async (ctx, next) => {
    const stop = duration.startTimer();
    try {
      await next();
    } finally {
      stop({ method: ctx.method, route: routePattern(ctx), status: `${Math.floor(ctx.status / 100)}xx` });
    }
  };
}

/** What @koa/router leaves on the context: the pattern it matched, such as /connections/:id. */
interface MatchedRoute {
  _matchedRoute?: string | RegExp;
}

function routePattern(ctx: MatchedRoute): string {
  const route = ctx._matchedRoute;
  return route === undefined ? "unmatched" : String(route);
}
