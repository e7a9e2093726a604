import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, serializeError } from "./log.js";
import { ADMIN_DATABASE_URL } from "../../../test/support/services.js";

/**
 * Every secret in these tests contains "canary" and no piece of legitimate context
 * does, so a single `not.toContain("canary")` over the whole output catches any leak.
 */
function captureLogs(name?: string) {
  const lines: string[] = [];
  const logger = createLogger({ level: "trace", name, destination: { write: (line: string) => void lines.push(line) } });
  return {
    logger,
    output: () => lines.join(""),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const SECRET_FIELD_NAMES = [
  "password",
  "passwordHash",
  "token",
  "accessToken",
  "refreshToken",
  "access_token",
  "refresh_token",
  "idToken",
  "id_token",
  "clientSecret",
  "client_secret",
  "secret",
  "apiKey",
  "api_key",
  "sessionId",
  "session",
  "cookie",
  "authorization",
  "credentials",
];

const CALLBACK_URL = "/oauth/callback?code=canary-code-7f3a&state=canary-state-1b9c&page=2";

describe("createLogger", () => {
  it("writes ISO timestamps and the service name", () => {
    const { logger, records } = captureLogs("twinflow-web");
    logger.info("started");
    const [record] = records();
    expect(record).toMatchObject({ service: "twinflow-web", msg: "started", level: 30 });
    expect(new Date(String(record?.time)).toISOString()).toBe(record?.time);
  });

  it("redacts credential headers in request and response objects", () => {
    const { logger, output, records } = captureLogs();
    logger.info(
      {
        reqId: "req-42",
        req: {
          method: "GET",
          url: "/api/flows",
          headers: {
            authorization: "Bearer canary-token-7f3a",
            cookie: "sid=canary-session-2c1d",
            "x-api-key": "canary-api-key-88aa",
            accept: "application/json",
          },
        },
        res: { statusCode: 200, headers: { "set-cookie": ["sid=canary-session-9e0f; HttpOnly"] } },
      },
      "request completed",
    );
    expect(output()).not.toContain("canary");
    expect(records()[0]).toMatchObject({
      reqId: "req-42",
      msg: "request completed",
      req: {
        url: "/api/flows",
        headers: {
          authorization: "[REDACTED]",
          cookie: "[REDACTED]",
          "x-api-key": "[REDACTED]",
          accept: "application/json",
        },
      },
      res: { statusCode: 200, headers: { "set-cookie": "[REDACTED]" } },
    });
  });

  it("reduces a raw Node request the same way", () => {
    const { logger, output } = captureLogs();
    const req = new IncomingMessage(new Socket());
    req.method = "GET";
    req.url = CALLBACK_URL;
    req.headers = { authorization: "Bearer canary-token-5d6e", cookie: "sid=canary-session-3f4a" };
    logger.info(req, "incoming");
    expect(output()).not.toContain("canary");
    expect(output()).toContain("/oauth/callback?code=[REDACTED]&state=[REDACTED]&page=2");
  });

  it.each(SECRET_FIELD_NAMES)("redacts %s at the top level and nested", (name) => {
    const { logger, output } = captureLogs();
    logger.info({
      tenantId: "tenant-7",
      [name]: "canary-top",
      user: { id: "user-3", [name]: "canary-one-down" },
      provider: { oauth: { [name]: "canary-two-down" } },
      sync: { job: { step: { [name]: "canary-three-down" } } },
      upper: { [name.toUpperCase()]: "canary-upper-case" },
    });
    expect(output()).not.toContain("canary");
    expect(output()).toContain("tenant-7");
    expect(output()).toContain("user-3");
  });

  it("does not modify the caller's object", () => {
    const { logger } = captureLogs();
    const payload = { user: { password: "canary-password" }, url: CALLBACK_URL };
    logger.info(payload);
    expect(payload).toEqual({ user: { password: "canary-password" }, url: CALLBACK_URL });
  });

  it("scrubs sensitive query parameters in URL fields, the message and error messages", () => {
    const { logger, output } = captureLogs();
    logger.info(
      { url: CALLBACK_URL, path: CALLBACK_URL, href: CALLBACK_URL, location: CALLBACK_URL, referer: CALLBACK_URL },
      `redirecting to ${CALLBACK_URL}`,
    );
    logger.error({ err: new Error(`callback ${CALLBACK_URL} rejected`) }, "login failed");
    logger.warn(new Error(`callback ${CALLBACK_URL} expired`));

    const text = output();
    expect(text).not.toContain("canary");
    // five fields, the message, then message and stack header of each error plus the second's derived message
    expect(text.match(/\/oauth\/callback\?code=\[REDACTED\]&state=\[REDACTED\]&page=2/g)).toHaveLength(11);
  });

  it("scrubs interpolation values and child logger bindings", () => {
    const { logger, output } = captureLogs();
    const requestLogger = logger.child({ reqId: "req-77", url: CALLBACK_URL, session: "canary-session-0a1b" });
    requestLogger.child({ step: "exchange" }).info("GET %s with %j", CALLBACK_URL, {
      headers: { authorization: "Bearer canary-token-6c7d" },
      next: "/home?sid=canary-sid-2e3f",
    });
    requestLogger.setBindings({ referer: "https://idp.example/?token=canary-token-4a5b" });
    requestLogger.info("bindings replaced");

    const text = output();
    expect(text).not.toContain("canary");
    expect(text).toContain("req-77");
    expect(text).toContain('"step":"exchange"');
    expect(text).toContain("page=2");
    expect(text).toContain("https://idp.example/?token=[REDACTED]");
  });

  it("scrubs JWTs and bearer tokens in free text", () => {
    const { logger, output } = captureLogs();
    const payload = Buffer.from('{"sub":"canary-user"}').toString("base64url");
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${payload}.canary-signature`;
    logger.warn({ detail: `provider echoed ${jwt}` }, "upstream answered 401 to Bearer canary-token-8b9c");

    const text = output();
    expect(text).not.toContain("canary");
    expect(text).not.toContain(payload);
    expect(text).toContain("provider echoed [REDACTED_JWT]");
    expect(text).toContain("upstream answered 401 to Bearer [REDACTED]");
  });

  it("bounds the depth it walks without letting deep secrets through", () => {
    const { logger, output } = captureLogs();
    let deep: Record<string, unknown> = { note: "/cb?code=canary-deep" };
    for (let level = 0; level < 20; level += 1) deep = { level, deep };
    const cyclic: Record<string, unknown> = { name: "cyclic" };
    cyclic.self = cyclic;
    logger.info({ deep, cyclic });

    expect(output()).not.toContain("canary");
    expect(output()).toContain("[Truncated]");
    expect(output()).toContain('"name":"cyclic"');
  });
});

describe("serializeError", () => {
  it("scrubs cause chains and drops properties carrying SQL or parameters", () => {
    const { logger, output, records } = captureLogs();
    const inner = Object.assign(new Error("refresh via https://idp.example/token?refresh_token=canary-rt failed"), {
      code: "ETOKEN",
      query: "SELECT canary_sql FROM sessions",
      sql: "SELECT canary_sql",
      text: "SELECT canary_sql",
      values: ["canary-value"],
      parameters: ["canary-parameter"],
      params: { id: "canary-param" },
    });
    const outer = new Error("sync of tenant-9 failed", { cause: new Error("connector error", { cause: inner }) });
    logger.error({ err: outer }, "sync failed");

    expect(output()).not.toContain("canary");
    const err = records()[0]?.err as Record<string, unknown>;
    expect(err).toMatchObject({
      type: "Error",
      message: "sync of tenant-9 failed",
      cause: {
        message: "connector error",
        cause: {
          code: "ETOKEN",
          message: "refresh via https://idp.example/token?refresh_token=[REDACTED] failed",
        },
      },
    });
    expect(String(err.stack)).toMatch(/^Error: sync of tenant-9 failed\n\s+at /);
  });

  it("keeps the stack frames but rewrites a multi-line header", () => {
    const err = new Error("fetch failed\nfor https://api.example/v1?api_key=canary-key");
    const stack = String(serializeError(err).stack);
    expect(stack).not.toContain("canary");
    expect(stack).toMatch(/^Error: fetch failed\nfor https:\/\/api\.example\/v1\?api_key=\[REDACTED\]\n\s+at /);
  });

  it("stops following a cyclic cause chain", () => {
    const err = new Error("loop");
    err.cause = err;
    let depth = 0;
    for (let link: unknown = serializeError(err); link; link = (link as { cause?: unknown }).cause) depth += 1;
    expect(depth).toBeLessThan(10);
  });

  it("serializes thrown non-errors without their contents", () => {
    expect(serializeError("canary-string")).toEqual({ type: "string", message: "non-error thrown" });
    expect(serializeError({ message: "canary-object", query: "SELECT 1" })).toEqual({
      type: "object",
      message: "non-error thrown",
    });
    const { logger, output } = captureLogs();
    logger.error({ error: { password: "canary-pw" } }, "rejected");
    expect(output()).not.toContain("canary");
    expect(output()).toContain("non-error thrown");
  });
});

describe("Postgres errors", () => {
  const client = new pg.Client({
    connectionString: ADMIN_DATABASE_URL,
  });

  beforeAll(async () => {
    await client.connect();
    await client.query(
      "CREATE TEMP TABLE log_probe_users (email text CONSTRAINT log_probe_users_email_key UNIQUE)",
    );
  });

  afterAll(async () => {
    await client.end();
  });

  async function failingQuery(sql: string, params: unknown[]): Promise<pg.DatabaseError> {
    try {
      await client.query(sql, params);
    } catch (err) {
      if (err instanceof pg.DatabaseError) return err;
      throw err;
    }
    throw new Error("expected the statement to fail");
  }

  it("logs an invalid parameter by SQLSTATE only", async () => {
    const err = await failingQuery("SELECT $1::uuid AS canary_sql_alias", ["canary-param-5c2e"]);
    // pg's own message quotes the parameter; the logger must not use it.
    expect(err.message).toContain("canary-param-5c2e");

    const { logger, output, records } = captureLogs();
    logger.error({ err }, "query failed");
    logger.error(err);

    const text = output();
    expect(text).not.toContain("canary");
    expect(text).not.toContain("invalid input syntax");
    expect(records()).toMatchObject([
      { msg: "query failed", err: { type: "DatabaseError", code: "22P02", condition: "invalid_text_representation" } },
      { msg: "database error: invalid_text_representation", err: { code: "22P02" } },
    ]);
  });

  it("logs a unique violation by SQLSTATE and constraint, without the duplicated value", async () => {
    const insert = "INSERT INTO log_probe_users (email) VALUES ($1) RETURNING email AS canary_sql_alias";
    await client.query(insert, ["canary-email@example.com"]);
    const err = await failingQuery(insert, ["canary-email@example.com"]);
    expect(err.detail).toContain("canary-email@example.com");

    const { logger, output, records } = captureLogs();
    logger.error({ err }, "query failed");
    logger.error({ err: new Error("could not add member", { cause: err }), outcome: { failure: err } }, "invite failed");

    const text = output();
    expect(text).not.toContain("canary");
    expect(text).not.toContain("Key (email)");
    expect(text).not.toContain("duplicate key value");
    const dbError = {
      type: "DatabaseError",
      code: "23505",
      condition: "unique_violation",
      table: "log_probe_users",
      constraint: "log_probe_users_email_key",
      message: "database error: unique_violation (table log_probe_users, constraint log_probe_users_email_key)",
    };
    expect(records()).toEqual([
      expect.objectContaining({ msg: "query failed", err: dbError }),
      expect.objectContaining({
        msg: "invite failed",
        err: expect.objectContaining({ message: "could not add member", cause: dbError }),
        outcome: { failure: dbError },
      }),
    ]);
  });

  it("names the SQLSTATE class of codes outside the condition map", () => {
    const err = Object.assign(new Error('value "canary" is odd'), { severity: "ERROR", code: "2201B" });
    expect(serializeError(err)).toEqual({
      type: "DatabaseError",
      code: "2201B",
      condition: "class 22",
      table: undefined,
      constraint: undefined,
      column: undefined,
      message: "database error: class 22",
    });
  });
});
