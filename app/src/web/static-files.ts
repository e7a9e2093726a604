import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Middleware } from "koa";

const STATIC = fileURLToPath(new URL("./static", import.meta.url));
const TYPES: Record<string, string> = { ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml" };

/**
 * Serves the few files in ./static from memory, by exact name: nothing from the
 * request ever becomes a file path.
 */
export function staticFiles(): Middleware {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(STATIC)) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(`/static/${name}`, { type, body: readFileSync(path.join(STATIC, name)) });
  }
  return async (ctx, next) => {
    const file = ctx.method === "GET" || ctx.method === "HEAD" ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set("Cache-Control", "public, max-age=3600");
    ctx.body = file.body;
  };
}
