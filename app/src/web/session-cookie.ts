import { SESSION_COOKIE } from "../auth/authenticator.js";
import { signSessionToken } from "../auth/session-token.js";
import { startSession } from "../auth/sessions.js";
import type { Config } from "../config.js";
import type { Pool } from "../platform/db/pool.js";
import { withTenant } from "../platform/db/tenant.js";
import type { WebContext } from "./page.js";

/** Starts a fresh server-side session and hands the browser its signed token. */
export async function beginSession(ctx: WebContext, pool: Pool, config: Config, member: { tenantId: string; userId: string }): Promise<void> {
  const session = await withTenant(pool, member.tenantId, (client) => startSession(client, member, config.sessionMaxAgeSeconds));
  const token = await signSessionToken({ sessionId: session.id, userId: member.userId, tenantId: member.tenantId }, config.sessionSecret, {
    issuer: config.publicUrl,
    maxAgeSeconds: config.sessionMaxAgeSeconds,
  });
  ctx.cookies.set(SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: "lax",
    path: "/",
    expires: session.expiresAt,
    overwrite: true,
  });
}

export function endSessionCookie(ctx: WebContext): void {
  ctx.cookies.set(SESSION_COOKIE, null, { httpOnly: true, secure: true, sameSite: "lax", path: "/", overwrite: true });
}
