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

const ROLES: readonly Role[] = ["owner", "admin", "member"];

export function parseRole(raw: string): Role {
  const role = ROLES.find((candidate) => candidate === raw);
  if (!role) throw badRequest("invalid_role", "Choose a role: owner, admin or member.");
  return role;
}

/** Owners may grant any role; admins may move people between admin and member, never touch owners. */
export async function changeRole(client: PoolClient, by: Principal, userId: string, role: Role): Promise<void> {
  if (!hasRole(by, "admin")) throw forbidden("Only owners and admins can change roles.");
  const current = await roleOf(client, userId);
  if ((current === "owner" || role === "owner") && by.role !== "owner") throw forbidden("Only an owner can make or unmake an owner.");
  if (current === "owner" && role !== "owner") await assertAnotherOwner(client);
  await client.query("UPDATE memberships SET role = $2 WHERE user_id = $1", [userId, role]);
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "member.role_changed", targetType: "user", targetId: userId, details: { from: current, to: role } });
}

async function roleOf(client: PoolClient, userId: string): Promise<Role> {
  const { rows } = await client.query<{ role: Role }>("SELECT role FROM memberships WHERE user_id = $1", [userId]);
  if (!rows[0]) throw notFound("That person is not a member of this organization.");
  return rows[0].role;
}

async function assertAnotherOwner(client: PoolClient): Promise<void> {
  const owners = await client.query("SELECT 1 FROM memberships WHERE role = 'owner'");
  if ((owners.rowCount ?? 0) <= 1) throw badRequest("last_owner", "An organization needs an owner: make someone else an owner first.");
}

/**
 * Removes a member; their sessions go with the membership (foreign key cascade),
 * so they are signed out on their next request.
 */
export async function removeMember(client: PoolClient, by: Principal, userId: string): Promise<void> {
  if (!hasRole(by, "admin")) throw forbidden("Only owners and admins can remove members.");
  const role = await roleOf(client, userId);
  if (role === "owner" && by.role !== "owner") throw forbidden("Only an owner can remove an owner.");
  if (role === "owner") await assertAnotherOwner(client);
  await client.query("DELETE FROM memberships WHERE user_id = $1", [userId]);
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "member.removed", targetType: "user", targetId: userId });
}
