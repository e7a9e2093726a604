import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assetUrl, fingerprint, loadStaticAssets } from "./static-files.js";

const dirs: string[] = [];

function staticDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "twinflow-static-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("fingerprint", () => {
  it("is the first 12 hex digits of the content's sha256", () => {
    const content = Buffer.from("body { color: black; }");
    expect(fingerprint(content)).toBe(createHash("sha256").update(content).digest("hex").slice(0, 12));
    expect(fingerprint(content)).toMatch(/^[0-9a-f]{12}$/);
  });

  it("changes when the content does", () => {
    expect(fingerprint(Buffer.from("body { color: black; }"))).not.toBe(fingerprint(Buffer.from("body { color: navy; }")));
  });
});

describe("static assets", () => {
  it("serves each file under its plain name and its fingerprinted name, the latter cached for good", () => {
    const css = "main { margin: 0; }";
    const assets = loadStaticAssets(staticDir({ "app.css": css, "chart.min.js": "void 0;", "notes.txt": "not served" }));
    const url = assets.url("app.css");
    expect(url).toBe(`/static/app.${fingerprint(Buffer.from(css))}.css`);
    expect(assets.url("chart.min.js")).toMatch(/^\/static\/chart\.min\.[0-9a-f]{12}\.js$/);
    expect(assets.file(url)).toEqual({ type: "text/css; charset=utf-8", body: Buffer.from(css), cacheControl: "public, max-age=31536000, immutable" });
    expect(assets.file("/static/app.css")).toEqual({ type: "text/css; charset=utf-8", body: Buffer.from(css), cacheControl: "public, max-age=3600" });
    expect(assets.file("/static/notes.txt")).toBeUndefined();
    expect(() => assets.url("notes.txt")).toThrow(/no static file named "notes.txt"/);
  });

  it("gives a changed file a new name, and the old name serves nothing", () => {
    const before = loadStaticAssets(staticDir({ "app.css": "a { color: red; }" }));
    const after = loadStaticAssets(staticDir({ "app.css": "a { color: blue; }" }));
    expect(after.url("app.css")).not.toBe(before.url("app.css"));
    expect(after.file(before.url("app.css"))).toBeUndefined();
  });

  it("resolves the shipped files, and refuses a misspelt name", () => {
    expect(assetUrl("app.css")).toMatch(/^\/static\/app\.[0-9a-f]{12}\.css$/);
    expect(assetUrl("favicon.svg")).toMatch(/^\/static\/favicon\.[0-9a-f]{12}\.svg$/);
    expect(() => assetUrl("app.cs")).toThrow(/no static file named "app.cs"/);
  });
});
