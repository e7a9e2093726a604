import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Pool, PoolClient, Queryable } from "../platform/db/pool.js";
import { withTenant, withUser } from "../platform/db/tenant.js";
import { recordAudit } from "../platform/audit.js";
import { badRequest, conflict } from "../platform/errors.js";
import { hashPassword, passwordProblem } from "./passwords.js";
import type { Role } from "./principal.js";

export interface SignUp {
  tenantName: string;
  displayName: string;
  email: string;
  password: string;
}

export interface Membership {
  tenantId: string;
  tenantName: string;
  role: Role;
}

/** Sign-up: a new tenant and its owner, in one transaction. */
export async function provisionTenant(pool: Pool, input: SignUp): Promise<{ tenantId: string; userId: string }> {
  const tenantName = requiredText(input.tenantName, "organization name");
  const displayName = requiredText(input.displayName, "name");
  const problem = passwordProblem(input.password);
  if (problem) throw badRequest("weak_password", problem);
  const passwordHash = await hashPassword(input.password);
  const tenantId = randomUUID();
  return withTenant(pool, tenantId, async (client) => {
    const userId = await insertUser(client, { email: input.email, displayName, passwordHash });
    await client.query("INSERT INTO tenants (id, name) VALUES ($1, $2)", [tenantId, tenantName]);
    await client.query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')", [tenantId, userId]);
    await recordAudit(client, { tenantId, actorUserId: userId, action: "tenant.created", targetType: "tenant", targetId: tenantId });
    return { tenantId, userId };
  });
}

export async function insertUser(
  client: PoolClient,
  user: { email: string; displayName: string; passwordHash: string },
): Promise<string> {
  // The id is made here: a new account is not yet visible to RETURNING under RLS.
  const id = randomUUID();
  try {
    await client.query("INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4)", [
      id,
      user.email,
      user.displayName,
      user.passwordHash,
    ]);
    return id;
  } catch (err) {
    if (err instanceof pg.DatabaseError && err.code === "23505") {
      throw conflict("email_taken", "An account with this email already exists. Sign in instead.");
    }
    throw err;
  }
}

export async function findAccount(db: Queryable, email: string): Promise<{ id: string; passwordHash: string | null } | null> {
  const { rows } = await db.query<{ id: string; password_hash: string | null }>("SELECT id, password_hash FROM account_for_sign_in($1)", [email]);
  const row = rows[0];
  return row ? { id: row.id, passwordHash: row.password_hash } : null;
}

/** The person's tenants, oldest membership first. */
export function membershipsOf(pool: Pool, userId: string): Promise<Membership[]> {
  return withUser(pool, userId, async (client) => {
    const { rows } = await client.query<{ tenant_id: string; role: Role }>(
      "SELECT tenant_id, role FROM memberships WHERE user_id = $1 ORDER BY created_at, tenant_id",
      [userId],
    );
    const memberships: Membership[] = [];
    for (const row of rows) {
      // The tenant row is visible only inside its own context.
      await client.query("SELECT set_config('app.tenant_id', $1, true)", [row.tenant_id]);
      const tenant = await client.query<{ name: string }>("SELECT name FROM tenants WHERE id = $1", [row.tenant_id]);
      memberships.push({ tenantId: row.tenant_id, tenantName: tenant.rows[0]?.name ?? "", role: row.role });
    }
    return memberships;
  });
}

export function requiredText(raw: unknown, what: string, maxLength = 200): string {
  const text = typeof raw === "string" ? raw.trim() : "";
  if (text.length === 0) throw badRequest("missing_field", `Enter a ${what}.`);
  if (text.length > maxLength) throw badRequest("field_too_long", `The ${what} can be at most ${maxLength} characters.`);
  return text;
}
