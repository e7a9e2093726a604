import type pg from "pg";
import { seedTenantGraph } from "../support/fixtures.js";

/**
 * A tenant with a row in every tenant table (seedTenantGraph) plus a generated event log:
 * `items` work items with `eventsPerItem` status changes each, their values random so the
 * dump does not compress to nothing.
 */
export async function seedEventLog(owner: pg.Pool, { items, eventsPerItem }: { items: number; eventsPerItem: number }): Promise<{ tenantId: string }> {
  const { tenantId, connectionId } = await seedTenantGraph(owner, "Backup Co");
  await owner.query(
    `INSERT INTO work_items (tenant_id, connection_id, external_id, container, item_type, created_at, status)
     SELECT $1, $2, 'GEN-' || g, 'ENG', 'story', now() - g * interval '1 hour', 'To Do' FROM generate_series(1, $3::int) g`,
    [tenantId, connectionId, items],
  );
  await addEvents(owner, tenantId, eventsPerItem);
  return { tenantId };
}

/** `perItem` more status changes on each generated work item of the tenant. */
export async function addEvents(owner: pg.Pool, tenantId: string, perItem: number): Promise<void> {
  await owner.query(
    `INSERT INTO events (tenant_id, connection_id, work_item_id, external_id, occurred_at, type, field, from_value, to_value)
     SELECT w.tenant_id, w.connection_id, w.id, w.external_id || '#' || gen_random_uuid(), w.created_at + e * interval '1 minute',
            'status_changed', 'status', 'To Do', md5(random()::text)
       FROM work_items w CROSS JOIN generate_series(1, $2::int) e
      WHERE w.tenant_id = $1 AND w.external_id LIKE 'GEN-%'`,
    [tenantId, perItem],
  );
}
