import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { checkRedis } from "../../app/src/platform/service-checks.js";
import { freePort } from "./net.js";

export interface PasswordRedis {
  port: number;
  password: string;
  /** redis://:password@127.0.0.1:port/0 */
  url: string;
  stop(): Promise<void>;
}

/**
 * A Redis server of the test's own that requires a password, as compose and production
 * run it (the machine's shared Redis has none). Nothing is kept on disk.
 */
export async function startPasswordRedis(): Promise<PasswordRedis> {
  const port = await freePort();
  const password = randomBytes(16).toString("hex");
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--requirepass", password, "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `redis://:${password}@127.0.0.1:${port}/0`;
  await checkRedis(url, "the test Redis", { waitMs: 10_000, retryEveryMs: 100 });
  return {
    port,
    password,
    url,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
