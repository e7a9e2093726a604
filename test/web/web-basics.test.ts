import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { errorOf, startTestWeb, type TestWeb } from "../support/web.js";

let db: TestDatabase;
let web: TestWeb;

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db, { SECURITY_CONTACT: "mailto:security@example.com", SECURITY_POLICY_URL: "https://example.com/security" });
});

afterAll(async () => {
  await web.close();
  await db.drop();
});

describe("every response", () => {
  it("carries the security headers, with a CSP that allows no inline script or style", async () => {
    for (const path of ["/sign-in", "/no-such-page", "/healthz"]) {
      const response = await fetch(`${web.url}${path}`);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("permissions-policy")).toContain("camera=()");
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("pages use no inline script or style, so the CSP holds", async () => {
    const page = await (await fetch(`${web.url}/sign-up`)).text();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page).not.toMatch(/\sstyle=|<style/);
    const css = await fetch(`${web.url}/static/app.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
  });

  it("shows a 404 page with a request id and no internals for unknown routes", async () => {
    const page = await fetch(`${web.url}/static/../../package.json`);
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).toContain(page.headers.get("x-request-id")!);
    expect(html).not.toContain("twinflow\",");
    const api = await fetch(`${web.url}/api/v1/nope`, { headers: { accept: "application/json" } });
    expect(api.status).toBe(404);
    expect((await errorOf(api)).code).toBe("not_found");
  });
});

describe("health", () => {
  it("healthz says the process is up", async () => {
    const response = await fetch(`${web.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("readyz reports Postgres and Redis, and 503 when one is unreachable", async () => {
    const ready = await fetch(`${web.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", postgres: "ok", redis: "ok" });

    const broken = await startTestWeb(db, { REDIS_URL: "redis://127.0.0.1:1" });
    try {
      const response = await fetch(`${broken.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "unavailable", postgres: "ok", redis: "unavailable" });
    } finally {
      await broken.close();
    }
  });
});

describe("security.txt", () => {
  it("is served per RFC 9116 from configuration", async () => {
    const response = await fetch(`${web.url}/.well-known/security.txt`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toContain("Contact: mailto:security@example.com");
    expect(text).toContain("Policy: https://example.com/security");
    expect(text).toContain("Canonical: http://127.0.0.1:3000/.well-known/security.txt");
    const expires = new Date(/Expires: (\S+)/.exec(text)![1]!);
    const days = (expires.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(30);
    expect(days).toBeLessThan(366);
  });
});
