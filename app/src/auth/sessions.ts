import type { PoolClient } from "../platform/db/pool.js";
import type { Role } from "./principal.js";

export interface StartedSession {
  id: string;
  expiresAt: Date;
}

/** Every sign-in gets a fresh session id; the row is the server-side truth a token points to. */
export async function startSession(
  client: PoolClient,
  member: { tenantId: string; userId: string },
  maxAgeSeconds: number,
): Promise<StartedSession> {
  const { rows } = await client.query<{ id: string; expires_at: Date }>(
    `INSERT INTO sessions (tenant_id, user_id, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3))
     RETURNING id, expires_at`,
    [member.tenantId, member.userId, maxAgeSeconds],
  );
  const row = rows[0]!;
  return { id: row.id, expiresAt: row.expires_at };
}

/**
 * The member's role when the session is live: not revoked, within its absolute
 * lifetime, used within the idle window, and the membership still exists. Refreshes
 * last_seen_at (at most once a minute, to keep reads cheap).
 */
export async function touchLiveSession(
  client: PoolClient,
  session: { id: string; userId: string },
  idleSeconds: number,
): Promise<Role | null> {
  const { rows } = await client.query<{ role: Role }>(
    `WITH live AS (
       SELECT s.id, m.role, s.last_seen_at
         FROM sessions s
         JOIN memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL
          AND s.expires_at > now()
          AND s.last_seen_at > now() - make_interval(secs => $3)
     ), touched AS (
       UPDATE sessions SET last_seen_at = now()
        WHERE id IN (SELECT id FROM live WHERE last_seen_at < now() - interval '1 minute')
     )
     SELECT role FROM live`,
    [session.id, session.userId, idleSeconds],
  );
  return rows[0]?.role ?? null;
}

export async function revokeSession(client: PoolClient, sessionId: string): Promise<void> {
  await client.query("UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", [sessionId]);
}
