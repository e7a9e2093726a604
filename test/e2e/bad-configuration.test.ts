import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { freePort } from "../support/net.js";
import { runTwinflow } from "../support/process.js";
import { startPasswordRedis, type PasswordRedis } from "../support/redis-server.js";
import { testEnv } from "../support/web.js";

let db: TestDatabase;
let redis: PasswordRedis;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await startPasswordRedis();
});

afterAll(async () => {
  await Promise.all([db.drop(), redis.stop()]);
});

/** The URL with its password replaced. */
function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/** The lines a process wrote; a service problem is one line, not a stack trace. */
const linesOf = (output: string) => output.split("\n").filter(Boolean);

describe("a process that cannot sign in to its services stops with one line naming the setting", () => {
  // This machine's Postgres trusts loopback connections, so it refuses a role, not a password.
  it("web: a database role that does not exist", async () => {
    const port = await freePort();
    const wrongRole = new URL(withPassword(db.runtimeUrl, "not-the-password"));
    wrongRole.username = "twinflow_no_such_role";
    const env = testEnv(db, { PORT: String(port), REDIS_URL: redis.url, DATABASE_URL: wrongRole.toString() });
    const result = await runTwinflow(["web"], env);
    expect(result.code).toBe(69);
    expect(linesOf(result.output)).toEqual([expect.stringMatching(/^twinflow web: DATABASE_URL: Postgres at 127\.0\.0\.1:5432 refused role twinflow_no_such_role \(.*does not exist\)/)]);
    expect(result.output).not.toContain("not-the-password");
    // It never started listening.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it("worker: a database that does not exist", async () => {
    const missing = new URL(db.runtimeUrl);
    missing.pathname = "/twinflow_no_such_database";
    const result = await runTwinflow(["worker"], testEnv(db, { REDIS_URL: redis.url, DATABASE_URL: missing.toString() }));
    expect(result.code).toBe(69);
    expect(linesOf(result.output)).toEqual([expect.stringContaining("database twinflow_no_such_database does not exist on 127.0.0.1:5432: run `twinflow prepare-db`")]);
  });

  it("scheduler: a wrong Redis password, and no password at all", async () => {
    for (const url of [withPassword(redis.url, "wrong-redis-password"), `redis://127.0.0.1:${redis.port}/0`]) {
      const result = await runTwinflow(["scheduler"], testEnv(db, { REDIS_URL: url }));
      expect(result.code).toBe(69);
      expect(linesOf(result.output)).toEqual([`twinflow scheduler: REDIS_URL: Redis at 127.0.0.1:${redis.port} refused the password: set the password Redis requires (REDIS_PASSWORD)`]);
      expect(result.output).not.toContain("wrong-redis-password");
    }
  });

  it("a weak secret is refused before anything starts", async () => {
    const result = await runTwinflow(["web"], testEnv(db, { REDIS_URL: redis.url, SESSION_SECRET: "c2hvcnQ=" }));
    expect(result.code).toBe(78);
    expect(result.output).toContain("SESSION_SECRET is invalid (must be at least 32 bytes of base64");
  });
});
