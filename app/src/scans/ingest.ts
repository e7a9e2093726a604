import type { EventLogBatch } from "../connectors/types.js";
import type { PoolClient } from "../platform/db/pool.js";

export interface IngestResult {
  actors: number;
  items: number;
  eventsAdded: number;
}

/**
 * Idempotent upsert of one batch into a connection's event log, inside the caller's
 * tenant transaction. Items are updated to their latest state; events are append-only
 * and keyed by external id, so replaying a batch adds nothing.
 */
export async function ingestBatch(client: PoolClient, connection: { tenantId: string; connectionId: string }, batch: EventLogBatch): Promise<IngestResult> {
  const { tenantId, connectionId } = connection;
  await client.query(
    `INSERT INTO actors (tenant_id, connection_id, external_id, display_name)
     SELECT $1, $2, a.external_id, a.display_name FROM unnest($3::text[], $4::text[]) AS a(external_id, display_name)
     ON CONFLICT (tenant_id, connection_id, external_id) DO UPDATE SET display_name = EXCLUDED.display_name`,
    [tenantId, connectionId, batch.actors.map((a) => a.externalId), batch.actors.map((a) => a.displayName)],
  );
  const items = batch.items;
  await client.query(
    `INSERT INTO work_items (tenant_id, connection_id, external_id, container, item_type, created_at, closed_at, status, priority, assignee_id, labels)
     SELECT $1, $2, i.external_id, i.container, i.item_type, i.created_at, i.closed_at, i.status, i.priority, act.id,
            coalesce((SELECT array_agg(l) FROM jsonb_array_elements_text(i.labels) AS l), '{}')
       FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::jsonb[])
            AS i(external_id, container, item_type, created_at, closed_at, status, priority, assignee, labels)
       LEFT JOIN actors act ON act.connection_id = $2 AND act.external_id = i.assignee
     ON CONFLICT (tenant_id, connection_id, external_id) DO UPDATE SET
       container = EXCLUDED.container, item_type = EXCLUDED.item_type, closed_at = EXCLUDED.closed_at,
       status = EXCLUDED.status, priority = EXCLUDED.priority, assignee_id = EXCLUDED.assignee_id, labels = EXCLUDED.labels`,
    [
      tenantId,
      connectionId,
      items.map((i) => i.externalId),
      items.map((i) => i.container),
      items.map((i) => i.itemType),
      items.map((i) => i.createdAt),
      items.map((i) => i.closedAt),
      items.map((i) => i.status),
      items.map((i) => i.priority),
      items.map((i) => i.assignee),
      items.map((i) => JSON.stringify(i.labels)),
    ],
  );
  const events = batch.events;
  const inserted = await client.query(
    `INSERT INTO events (tenant_id, connection_id, work_item_id, external_id, occurred_at, actor_id, type, field, from_value, to_value)
     SELECT $1, $2, w.id, e.external_id, e.occurred_at, act.id, e.type, e.field, e.from_value, e.to_value
       FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
            AS e(external_id, item_external_id, occurred_at, actor, type, field, from_value, to_value)
       JOIN work_items w ON w.connection_id = $2 AND w.external_id = e.item_external_id
       LEFT JOIN actors act ON act.connection_id = $2 AND act.external_id = e.actor
     ON CONFLICT (tenant_id, connection_id, external_id) DO NOTHING`,
    [
      tenantId,
      connectionId,
      events.map((e) => e.externalId),
      events.map((e) => e.itemExternalId),
      events.map((e) => e.occurredAt),
      events.map((e) => e.actor),
      events.map((e) => e.type),
      events.map((e) => e.field),
      events.map((e) => e.from),
      events.map((e) => e.to),
    ],
  );
  return { actors: batch.actors.length, items: items.length, eventsAdded: inserted.rowCount ?? 0 };
}
