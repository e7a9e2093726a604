import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/net.js";
import { createRedis, type Redis } from "./redis.js";

const PASSWORD = randomBytes(12).toString("hex");
const servers: ChildProcess[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of servers.splice(0)) server.kill("SIGKILL");
});


/** A private Redis that requires a password, as deployed. */
async function startRedis(port: number): Promise<ChildProcess> {
  const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--requirepass", PASSWORD, "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Ready to accept connections")) resolve();
    });
    server.once("exit", (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return server;
}

function client(url: string): Redis {
  const redis = createRedis({ url, log: pino({ level: "silent" }) });
  clients.push(redis);
  return redis;
}

describe("redis client", () => {
  it("authenticates with the configured password and is refused without it", async () => {
    const port = await freePort();
    await startRedis(port);
    expect(await client(`redis://:${PASSWORD}@127.0.0.1:${port}/0`).ping()).toBe("PONG");
    await expect(client(`redis://127.0.0.1:${port}/0`).ping()).rejects.toThrow(/NOAUTH|Authentication/i);
    await expect(client(`redis://:wrong-password@127.0.0.1:${port}/0`).ping()).rejects.toThrow(/WRONGPASS|invalid password/i);
  });

  it("reconnects with backoff after Redis restarts", async () => {
    const port = await freePort();
    const first = await startRedis(port);
    const redis = client(`redis://:${PASSWORD}@127.0.0.1:${port}/0`);
    await redis.set("k", "before");
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    await expect(redis.get("k")).rejects.toThrow();
    await startRedis(port);
    await new Promise<void>((resolve) => redis.once("ready", () => resolve()));
    expect(await redis.ping()).toBe("PONG");
  });
});
