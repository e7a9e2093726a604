import { PassThrough } from "node:stream";
import type { WebContext } from "./page.js";

/** A server-sent events response: named events with JSON data, written as they happen. */
export interface EventStream {
  send(event: string, data: unknown): void;
  end(): void;
}

/** Whether the browser asked for the answer as a stream (the page's script does; a plain form post does not). */
export function wantsEventStream(ctx: WebContext): boolean {
  return (ctx.get("accept") ?? "").split(",").some((type) => type.trim().startsWith("text/event-stream"));
}

export function openEventStream(ctx: WebContext): EventStream {
  const body = new PassThrough();
  ctx.status = 200;
  ctx.type = "text/event-stream";
  ctx.set("Cache-Control", "no-store");
  // nginx would otherwise hold the events back until its buffer fills.
  ctx.set("X-Accel-Buffering", "no");
  ctx.body = body;
  return {
    send(event, data) {
      if (!body.writableEnded) body.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      body.end();
    },
  };
}
