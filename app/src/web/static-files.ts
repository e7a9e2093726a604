import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Middleware } from "koa";

const STATIC = fileURLToPath(new URL("./static", import.meta.url));
const TYPES: Record<string, string> = { ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml" };

/** A plain name keeps its URL when the content changes, so browsers check back within the hour. */
const PLAIN_CACHE = "public, max-age=3600";
/** A fingerprinted name changes with the content, so what a browser holds under it is never stale. */
const FINGERPRINTED_CACHE = "public, max-age=31536000, immutable";

export interface StaticFile {
  type: string;
  body: Buffer;
  cacheControl: string;
}

export interface StaticAssets {
  /** The fingerprinted URL of a file, by its plain name; throws for a name that is not there. */
  url(name: string): string;
  /** The file served at a request path, under its plain or its fingerprinted name. */
  file(requestPath: string): StaticFile | undefined;
}

/** The first 12 hex digits of the content's sha256: plenty to tell a few files' versions apart. */
export function fingerprint(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 12);
}

/** Reads the servable files of `dir` once; each is served as /static/<name> and /static/<stem>.<fingerprint><ext>. */
export function loadStaticAssets(dir: string): StaticAssets {
  const files = new Map<string, StaticFile>();
  const fingerprinted = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    const extension = path.extname(name);
    const type = TYPES[extension];
    if (!type) continue;
    const body = readFileSync(path.join(dir, name));
    const url = `/static/${path.basename(name, extension)}.${fingerprint(body)}${extension}`;
    files.set(`/static/${name}`, { type, body, cacheControl: PLAIN_CACHE });
    files.set(url, { type, body, cacheControl: FINGERPRINTED_CACHE });
    fingerprinted.set(name, url);
  }
  return {
    url(name) {
      const url = fingerprinted.get(name);
      if (!url) throw new Error(`there is no static file named "${name}" in app/src/web/static`);
      return url;
    },
    file: (requestPath) => files.get(requestPath),
  };
}

/** The files shipped with the app, read once when the web process starts. */
const shipped = loadStaticAssets(STATIC);

/** The URL pages use for a shipped file, e.g. assetUrl("app.css"); a misspelt name throws. */
export function assetUrl(name: string): string {
  return shipped.url(name);
}

/**
 * Serves the few files in ./static from memory, by exact name: nothing from the
 * request ever becomes a file path.
 */
export function staticFiles(): Middleware {
  return async (ctx, next) => {
    const file = ctx.method === "GET" || ctx.method === "HEAD" ? shipped.file(ctx.path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set("Cache-Control", file.cacheControl);
    ctx.body = file.body;
  };
}
