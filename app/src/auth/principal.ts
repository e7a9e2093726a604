export type Role = "owner" | "admin" | "member";

/** Who is asking, established by a verified token before any tenant query runs. */
export interface Principal {
  tenantId: string;
  userId: string;
  role: Role;
  /** Built-in sessions only; external tokens carry no server-side session. */
  sessionId: string | null;
}

const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

export function hasRole(principal: Principal, atLeast: Role): boolean {
  return RANK[principal.role] >= RANK[atLeast];
}
