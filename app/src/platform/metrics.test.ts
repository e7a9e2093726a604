import { pino } from "pino";
import { Counter } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samplesOf, valueOf } from "../../../test/support/metrics.js";
import { createMetricsRegistry, startMetricsServer, type MetricsServer } from "./metrics.js";

const registry = createMetricsRegistry();
const probes = new Counter({ name: "twinflow_test_probes_total", help: "Counted by this test.", registers: [registry] });
let server: MetricsServer;
let base: string;

beforeAll(async () => {
  server = await startMetricsServer({ host: "127.0.0.1", port: 0, registry, log: pino({ level: "silent" }) });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.close();
});

describe("metrics server", () => {
  it("binds a free port when asked for port 0", () => {
    expect(server.port).toBeGreaterThan(0);
  });

  it("serves the registry as Prometheus text, with Node's own metrics prefixed twinflow_", async () => {
    probes.inc(3);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(valueOf(text, "twinflow_test_probes_total")).toBe(3);
    expect(samplesOf(text, "twinflow_process_resident_memory_bytes")).toHaveLength(1);
    expect(samplesOf(text, "twinflow_nodejs_eventloop_lag_seconds")).toHaveLength(1);
  });

  it("answers the health check with 200 ok", async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
  });

  it("answers 404 to any other path or method", async () => {
    for (const [method, path] of [["GET", "/"], ["GET", "/metrics/extra"], ["GET", "/static/app.css"], ["POST", "/metrics"], ["DELETE", "/healthz"]] as const) {
      const response = await fetch(`${base}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      await response.body?.cancel();
    }
  });

  it("serves a status as JSON when given one, and 500 without details when it fails", async () => {
    const log = pino({ level: "silent" });
    let failing = false;
    const withStatus = await startMetricsServer({
      host: "127.0.0.1",
      port: 0,
      registry,
      log,
      status: async () => {
        if (failing) throw new Error("relation backup_runs does not exist");
        return { lastGood: { backup: { finishedAt: "2026-11-28T02:18:00.000Z" } } };
      },
    });
    try {
      const ok = await fetch(`http://127.0.0.1:${withStatus.port}/status`);
      expect(ok.headers.get("content-type")).toBe("application/json");
      expect(await ok.json()).toEqual({ lastGood: { backup: { finishedAt: "2026-11-28T02:18:00.000Z" } } });
      failing = true;
      const failed = await fetch(`http://127.0.0.1:${withStatus.port}/status`);
      expect(failed.status).toBe(500);
      expect(await failed.text()).toBe("status could not be collected");
    } finally {
      await withStatus.close();
    }
    // Without a status function the path does not exist.
    expect((await fetch(`${base}/status`)).status).toBe(404);
  });
});
