import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { Browser, errorOf, invite, joinAsNewMember, signUp, startTestWeb, type TestWeb } from "../support/web.js";

let db: TestDatabase;
let web: TestWeb;

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
});

afterAll(async () => {
  await web.close();
  await db.drop();
});

const canary = (what: string) => `canary-${what}-${randomUUID()}`;

describe("what reaches the log", () => {
  it("never contains an invitation's token, which travels in the link's path", async () => {
    const owner = await signUp(web, { email: "inviter@example.com", tenantName: "Invite Co" });
    const token = await invite(owner, "invitee@example.com");
    await joinAsNewMember(web, token, "Invitee");
    const secret = token.slice(token.lastIndexOf("/") + 1);
    expect(secret.length).toBeGreaterThan(20);
    expect(web.logs.text).not.toContain(secret);
    expect(web.logs.text).toContain("/invite/[REDACTED]");
  });

  it("never contains secrets sent in headers, cookies, query strings or forms", async () => {
    const secrets = {
      bearer: canary("bearer"),
      cookie: canary("cookie"),
      code: canary("code"),
      state: canary("state"),
      accessToken: canary("access"),
      password: canary("password"),
      apiKey: canary("apikey"),
    };
    await fetch(`${web.url}/api/v1/connections?access_token=${secrets.accessToken}`, { headers: { authorization: `Bearer ${secrets.bearer}` } });
    await fetch(`${web.url}/overview?code=${secrets.code}&state=${secrets.state}&page=2`, {
      headers: { cookie: `tf_session=${secrets.cookie}; tf_csrf=${secrets.cookie}`, "x-api-key": secrets.apiKey },
    });
    await fetch(`${web.url}/no-such-page?token=${secrets.accessToken}`, { headers: { cookie: `tf_session=${secrets.cookie}` } });
    const browser = new Browser(web.url);
    await browser.get("/sign-in");
    await browser.post(`/sign-in?state=${secrets.state}`, { email: "nobody@example.com", password: secrets.password });

    const output = web.logs.text;
    for (const [name, value] of Object.entries(secrets)) expect({ name, leaked: output.includes(value) }).toEqual({ name, leaked: false });
    // The log is still useful: one line per request, with the path and non-secret parameters.
    const requests = web.logs.lines().filter((line) => line.msg === "request");
    expect(requests.length).toBeGreaterThanOrEqual(5);
    expect(output).toContain("/overview?code=[REDACTED]&state=[REDACTED]&page=2");
    expect(requests.every((line) => typeof line.reqId === "string")).toBe(true);
  });

  it("logs a failing SQL statement without its text or parameter values, and shows the user only a request id", async () => {
    const owner = await signUp(web, { email: `sql-${randomUUID()}@example.com` });
    const parameter = randomUUID();
    await db.owner.query("ALTER TABLE connections RENAME COLUMN label TO label_renamed");
    let response;
    try {
      response = await owner.get(`/api/v1/connections/${parameter}`);
    } finally {
      await db.owner.query("ALTER TABLE connections RENAME COLUMN label_renamed TO label");
    }
    expect(response.status).toBe(500);
    const body = JSON.parse(response.body) as { error: { message: string; requestId: string } };
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body).not.toMatch(/SELECT|label|column|connections/i);
    expect(response.body).not.toContain(parameter);

    const failure = web.logs.lines().find((line) => line.msg === "unexpected error" && line.reqId === body.error.requestId);
    expect(failure).toBeDefined();
    const logged = JSON.stringify(failure);
    expect(logged).toContain("42703"); // undefined_column: the code survives
    expect(logged).not.toMatch(/SELECT|FROM connections|WHERE id/);
    expect(logged).not.toContain(parameter);
    expect(logged).not.toContain("label");
  });

  it("logs bad input below error level and changes nothing", async () => {
    const before = web.logs.lines().length;
    const malformed = await fetch(`${web.url}/sign-in`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: "{not json" });
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe("malformed_body");
    const tooLarge = await fetch(`${web.url}/sign-up`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: `tenantName=${"x".repeat(200_000)}`,
    });
    expect(tooLarge.status).toBe(413);
    expect((await errorOf(tooLarge)).message).toContain("100 kB");
    const signedIn = await signUp(web, { email: `bad-input-${randomUUID()}@example.com` });
    const badId = await signedIn.get("/api/v1/connections/not-a-uuid");
    expect(badId.status).toBe(400);
    expect(JSON.parse(badId.body).error.message).toContain("must be a UUID");
    const unknownRoute = await signedIn.get("/api/v1/nothing-here");
    expect(unknownRoute.status).toBe(404);
    const lines = web.logs.lines().slice(before);
    expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
    const { rows } = await db.owner.query("SELECT count(*)::int AS n FROM tenants WHERE name LIKE 'xxx%'");
    expect(rows[0]).toEqual({ n: 0 });
  });
});
