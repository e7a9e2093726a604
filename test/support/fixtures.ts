import { randomUUID } from "node:crypto";
import type pg from "pg";

export interface TenantGraph {
  tenantId: string;
  userId: string;
  connectionId: string;
  workItemId: string;
  sessionId: string;
}

/**
 * One row in every tenant table, written as the owner (which bypasses RLS), so a
 * test can ask what another tenant's context may see of it.
 */
export async function seedTenantGraph(owner: pg.Pool, name: string): Promise<TenantGraph> {
  const tenantId = randomUUID();
  const suffix = randomUUID().slice(0, 8);
  await owner.query("INSERT INTO tenants (id, name) VALUES ($1, $2)", [tenantId, name]);
  const user = await owner.query<{ id: string }>(
    "INSERT INTO users (email, display_name, password_hash) VALUES ($1, $2, 'scrypt$x') RETURNING id",
    [`${name.toLowerCase()}-${suffix}@example.com`, name],
  );
  const userId = user.rows[0]!.id;
  await owner.query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')", [tenantId, userId]);
  const session = await owner.query<{ id: string }>(
    "INSERT INTO sessions (tenant_id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour') RETURNING id",
    [tenantId, userId],
  );
  await owner.query(
    "INSERT INTO invitations (tenant_id, email, role, token_hash, expires_at) VALUES ($1, $2, 'member', $3, now() + interval '1 day')",
    [tenantId, `invitee-${suffix}@example.com`, Buffer.from(randomUUID())],
  );
  const connection = await owner.query<{ id: string }>(
    "INSERT INTO connections (tenant_id, provider, label) VALUES ($1, 'demo', $2) RETURNING id",
    [tenantId, `${name} board`],
  );
  const connectionId = connection.rows[0]!.id;
  await owner.query("INSERT INTO scans (tenant_id, connection_id, status) VALUES ($1, $2, 'succeeded')", [tenantId, connectionId]);
  await owner.query("INSERT INTO scan_cursors (tenant_id, connection_id, stream, cursor) VALUES ($1, $2, 'log', '{}')", [tenantId, connectionId]);
  const actor = await owner.query<{ id: string }>(
    "INSERT INTO actors (tenant_id, connection_id, external_id, display_name) VALUES ($1, $2, 'a-1', 'Ada') RETURNING id",
    [tenantId, connectionId],
  );
  const item = await owner.query<{ id: string }>(
    `INSERT INTO work_items (tenant_id, connection_id, external_id, container, item_type, created_at, status, assignee_id)
     VALUES ($1, $2, 'ITEM-1', 'ENG', 'story', now(), 'To Do', $3) RETURNING id`,
    [tenantId, connectionId, actor.rows[0]!.id],
  );
  const workItemId = item.rows[0]!.id;
  await owner.query(
    `INSERT INTO events (tenant_id, connection_id, work_item_id, external_id, occurred_at, actor_id, type, to_value)
     VALUES ($1, $2, $3, 'ITEM-1#1', now(), $4, 'created', 'To Do')`,
    [tenantId, connectionId, workItemId, actor.rows[0]!.id],
  );
  await owner.query("INSERT INTO scan_outputs (tenant_id, scope, output) VALUES ($1, 'all', '{}')", [tenantId]);
  await owner.query("INSERT INTO audit_log (tenant_id, actor_user_id, action) VALUES ($1, $2, 'tenant.created')", [tenantId, userId]);
  await owner.query(
    "INSERT INTO created_tickets (tenant_id, connection_id, idempotency_key, issue_key, created_by) VALUES ($1, $2, $3, 'ENG-1', $4)",
    [tenantId, connectionId, randomUUID(), userId],
  );
  const request = await owner.query<{ id: string }>(
    "INSERT INTO ai_requests (tenant_id, user_id, purpose, model, request_body) VALUES ($1, $2, 'chat', 'claude-test', '{}') RETURNING id",
    [tenantId, userId],
  );
  const conversation = await owner.query<{ id: string }>(
    "INSERT INTO ai_conversations (tenant_id, user_id, connection_id, scope, title) VALUES ($1, $2, $3, '', 'Why?') RETURNING id",
    [tenantId, userId, connectionId],
  );
  await owner.query("INSERT INTO ai_messages (tenant_id, user_id, conversation_id, role, content, request_id) VALUES ($1, $2, $3, 'user', 'Why?', $4)", [
    tenantId,
    userId,
    conversation.rows[0]!.id,
    request.rows[0]!.id,
  ]);
  await owner.query("INSERT INTO ai_pseudonyms (tenant_id, person_key, number) VALUES ($1, $2, 1)", [tenantId, actor.rows[0]!.id]);
  return { tenantId, userId, connectionId, workItemId, sessionId: session.rows[0]!.id };
}

export interface ConnectionRef {
  tenantId: string;
  connectionId: string;
}

/** A new tenant with one empty demo connection, written as the owner. */
export async function seedConnection(owner: pg.Pool, tenantName: string): Promise<ConnectionRef> {
  const tenantId = randomUUID();
  await owner.query("INSERT INTO tenants (id, name) VALUES ($1, $2)", [tenantId, tenantName]);
  const { rows } = await owner.query<{ id: string }>("INSERT INTO connections (tenant_id, provider, label) VALUES ($1, 'demo', 'board') RETURNING id", [tenantId]);
  return { tenantId, connectionId: rows[0]!.id };
}
