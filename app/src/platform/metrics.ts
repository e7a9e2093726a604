/**
 * Operations metrics: one Prometheus registry per process, served with a liveness check on
 * a port of its own, so nothing here is ever reachable through nginx and the public web port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { Logger } from "./log.js";

/** A registry with Node's own metrics (memory, event loop lag, GC, handles). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "twinflow_" });
  return registry;
}

export interface MetricsServer {
  /** The port actually bound (differs from the one asked for when that was 0). */
  port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  log: Logger;
  /** Served as JSON at /status: operations facts for operators on the internal network (e.g. backups). */
  status?: () => Promise<unknown>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { log } = options;
  const server = createServer((req, res) => {
    void answer(req, res, options);
  });
  // Scrapes and health checks are tiny; a slow client is cut off early.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info({ host: options.host, port }, "metrics listening");
  return {
    port,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, { registry, log, status }: MetricsServerOptions): Promise<void> {
  const path = new URL(req.url ?? "/", "http://metrics").pathname;
  const readable = req.method === "GET" || req.method === "HEAD";
  if (readable && path === "/healthz") return send(res, 200, "text/plain; charset=utf-8", "ok");
  if (readable && path === "/status" && status) return answerWith(res, log, "status", async () => ["application/json", JSON.stringify(await status())]);
  if (!readable || path !== "/metrics") return send(res, 404, "text/plain; charset=utf-8", "not found");
  return answerWith(res, log, "metrics", async () => [registry.contentType, await registry.metrics()]);
}

async function answerWith(res: ServerResponse, log: Logger, what: string, produce: () => Promise<[string, string]>): Promise<void> {
  try {
    const [type, body] = await produce();
    send(res, 200, type, body);
  } catch (err) {
    log.error({ err }, `${what} could not be collected`);
    send(res, 500, "text/plain; charset=utf-8", `${what} could not be collected`);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
  res.end(body);
}
