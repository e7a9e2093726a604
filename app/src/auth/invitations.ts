import { createHash, randomBytes } from "node:crypto";
import type { Pool, PoolClient } from "../platform/db/pool.js";
import { withTenant } from "../platform/db/tenant.js";
import { recordAudit } from "../platform/audit.js";
import { badRequest, conflict, forbidden, notFound } from "../platform/errors.js";
import { isUuid } from "../platform/ids.js";
import { findAccount, insertUser, requiredText } from "./accounts.js";
import { hashPassword, passwordProblem, verifyPassword } from "./passwords.js";
import { hasRole, type Principal } from "./principal.js";

const INVITATION_DAYS = 7;
const INVALID_LINK = "This invitation link is not valid. Ask for a new one.";

/** The link carries the tenant (to pick the RLS context) and a secret; only its hash is stored. */
export interface InvitationLink {
  tenantId: string;
  secret: string;
}

export function formatInvitation(link: InvitationLink): string {
  return `${link.tenantId}.${link.secret}`;
}

export function parseInvitation(raw: string): InvitationLink {
  const [tenantId, secret, extra] = raw.split(".");
  if (!isUuid(tenantId) || !secret || !/^[A-Za-z0-9_-]{43}$/.test(secret) || extra !== undefined) throw notFound(INVALID_LINK);
  return { tenantId, secret };
}

const hashSecret = (secret: string) => createHash("sha256").update(secret).digest();

export async function createInvitation(
  client: PoolClient,
  by: Principal,
  invite: { email: string; role: "admin" | "member" },
): Promise<InvitationLink> {
  if (!hasRole(by, "admin")) throw forbidden("Only owners and admins can invite members.");
  const existing = await client.query("SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1", [invite.email]);
  if ((existing.rowCount ?? 0) > 0) throw conflict("already_member", `${invite.email} is already a member.`);
  // A new link for the same person replaces the earlier one: one open invitation per email.
  await client.query("DELETE FROM invitations WHERE email = $1 AND accepted_at IS NULL", [invite.email]);
  const secret = randomBytes(32).toString("base64url");
  await client.query(
    `INSERT INTO invitations (tenant_id, email, role, token_hash, invited_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6))`,
    [by.tenantId, invite.email, invite.role, hashSecret(secret), by.userId, INVITATION_DAYS],
  );
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "member.invited", details: { role: invite.role } });
  return { tenantId: by.tenantId, secret };
}

export interface OpenInvitation {
  id: string;
  email: string;
  role: "admin" | "member";
  expiresAt: Date;
}

/** Invitations of the current tenant that can still be accepted. */
export async function listOpenInvitations(client: PoolClient): Promise<OpenInvitation[]> {
  const { rows } = await client.query<{ id: string; email: string; role: "admin" | "member"; expires_at: Date }>(
    "SELECT id, email, role, expires_at FROM invitations WHERE accepted_at IS NULL AND expires_at > now() ORDER BY created_at",
  );
  return rows.map((row) => ({ id: row.id, email: row.email, role: row.role, expiresAt: row.expires_at }));
}

export async function revokeInvitation(client: PoolClient, by: Principal, invitationId: string): Promise<void> {
  if (!hasRole(by, "admin")) throw forbidden("Only owners and admins can revoke invitations.");
  const deleted = await client.query("DELETE FROM invitations WHERE id = $1 AND accepted_at IS NULL", [invitationId]);
  if (deleted.rowCount === 0) throw notFound("That invitation does not exist or was already used.");
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "member.invitation_revoked", targetType: "invitation", targetId: invitationId });
}

export interface PendingInvitation {
  id: string;
  email: string;
  role: "admin" | "member";
  accountExists: boolean;
}

export async function findInvitation(client: PoolClient, link: InvitationLink): Promise<PendingInvitation> {
  const { rows } = await client.query<{ id: string; email: string; role: "admin" | "member"; account_exists: boolean }>(
    `SELECT i.id, i.email, i.role, EXISTS (SELECT 1 FROM account_for_sign_in(i.email)) AS account_exists
       FROM invitations i
      WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > now()`,
    [hashSecret(link.secret)],
  );
  const row = rows[0];
  if (!row) throw notFound(INVALID_LINK);
  return { id: row.id, email: row.email, role: row.role, accountExists: row.account_exists };
}

/**
 * Accepts an invitation: a new account sets its name and password; an existing
 * account proves itself with its password. Returns the member's user id.
 */
export function acceptInvitation(
  pool: Pool,
  link: InvitationLink,
  answer: { displayName?: string; password: string },
): Promise<string> {
  return withTenant(pool, link.tenantId, async (client) => {
    const invitation = await findInvitation(client, link);
    const userId = invitation.accountExists
      ? await existingAccount(client, invitation.email, answer.password)
      : await newAccount(client, invitation.email, answer);
    await client.query("UPDATE invitations SET accepted_at = now() WHERE id = $1", [invitation.id]);
    await client.query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
      link.tenantId,
      userId,
      invitation.role,
    ]);
    await recordAudit(client, { tenantId: link.tenantId, actorUserId: userId, action: "member.joined", details: { role: invitation.role } });
    return userId;
  });
}

async function existingAccount(client: PoolClient, email: string, password: string): Promise<string> {
  const account = await findAccount(client, email);
  if (!account?.passwordHash || !(await verifyPassword(password, account.passwordHash))) {
    throw badRequest("wrong_password", "That password is not right for this account.");
  }
  return account.id;
}

async function newAccount(client: PoolClient, email: string, answer: { displayName?: string; password: string }): Promise<string> {
  const displayName = requiredText(answer.displayName, "name");
  const problem = passwordProblem(answer.password);
  if (problem) throw badRequest("weak_password", problem);
  return insertUser(client, { email, displayName, passwordHash: await hashPassword(answer.password) });
}
