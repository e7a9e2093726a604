import type { Queryable } from "./db/pool.js";

export interface AuditEntry {
  tenantId: string;
  actorUserId: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, string | number | boolean>;
}

/** Appends to the tenant's audit log; the runtime role can insert and read, never change. */
export async function recordAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (tenant_id, actor_user_id, action, target_type, target_id, details)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [entry.tenantId, entry.actorUserId, entry.action, entry.targetType ?? null, entry.targetId ?? null, entry.details ?? {}],
  );
}
