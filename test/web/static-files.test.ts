import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { startTestWeb, type TestWeb } from "../support/web.js";

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

const shipped = (name: string) => readFile(new URL(`../../app/src/web/static/${name}`, import.meta.url));

describe("static files", () => {
  it("pages link the stylesheet and icon by fingerprinted names, served with the same bytes and cached for good", async () => {
    const page = await (await fetch(`${web.url}/sign-in`)).text();
    for (const [name, pattern] of [
      ["app.css", /<link rel="stylesheet" href="(\/static\/app\.[0-9a-f]{12}\.css)">/],
      ["favicon.svg", /<link rel="icon" href="(\/static\/favicon\.[0-9a-f]{12}\.svg)"/],
    ] as const) {
      const url = pattern.exec(page)?.[1];
      expect(url, name).toBeDefined();
      const response = await fetch(`${web.url}${url}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(Buffer.from(await response.arrayBuffer())).toEqual(await shipped(name));
    }
    expect(page).not.toContain('href="/static/app.css"');
  });

  it("still serves each file under its plain name, cached for an hour", async () => {
    const response = await fetch(`${web.url}/static/app.css`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/css");
    expect(response.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(Buffer.from(await response.arrayBuffer())).toEqual(await shipped("app.css"));
  });

  it("answers 404 to a fingerprint that is not the current one", async () => {
    const response = await fetch(`${web.url}/static/app.000000000000.css`);
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });
});
