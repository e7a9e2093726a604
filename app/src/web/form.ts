import type { Context } from "koa";
import type {} from "@koa/bodyparser";

/** A submitted field as a string ("" when absent or not a string). */
export function field(ctx: Context, name: string): string {
  const body = ctx.request.body;
  const value = body && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === "string" ? value : "";
}
