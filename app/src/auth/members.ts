import type { PoolClient } from "../platform/db/pool.js";
import { recordAudit } from "../platform/audit.js";
import { badRequest, forbidden, notFound } from "../platform/errors.js";
import { hasRole, type Principal, type Role } from "./principal.js";

export interface Member {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  joinedAt: Date;
}

/** Members of the current tenant (the client runs inside withTenant). */
export async function listMembers(client: PoolClient): Promise<Member[]> {
  const { rows } = await client.query<{ user_id: string; email: string; display_name: string; role: Role; created_at: Date }>(
    `SELECT m.user_id, u.email, u.display_name, m.role, m.created_at
       FROM memberships m JOIN users u ON u.id = m.user_id
      ORDER BY m.created_at, u.email`,
  );
  return rows.map((row) => ({
    userId: row.user_id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    joinedAt: row.created_at,
  }));
}

/**
 * Removes a member; their sessions go with the membership (foreign key cascade),
 * so they are signed out on their next request.
 */
export async function removeMember(client: PoolClient, by: Principal, userId: string): Promise<void> {
  if (!hasRole(by, "admin")) throw forbidden("Only owners and admins can remove members.");
  const { rows } = await client.query<{ role: Role }>("SELECT role FROM memberships WHERE user_id = $1", [userId]);
  const target = rows[0];
  if (!target) throw notFound("That person is not a member of this organization.");
  if (target.role === "owner" && by.role !== "owner") throw forbidden("Only an owner can remove an owner.");
  if (target.role === "owner") {
    const owners = await client.query("SELECT 1 FROM memberships WHERE role = 'owner'");
    if ((owners.rowCount ?? 0) <= 1) throw badRequest("last_owner", "An organization needs an owner: make someone else an owner first.");
  }
  await client.query("DELETE FROM memberships WHERE user_id = $1", [userId]);
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "member.removed", targetType: "user", targetId: userId });
}
