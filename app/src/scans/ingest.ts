import type { ActorRecord, EventLogBatch, EventRecord, WorkItemRecord } from "../connectors/types.js";
import type { PoolClient } from "../platform/db/pool.js";

export interface IngestResult {
  actors: number;
  items: number;
  eventsAdded: number;
  /** The connection's data_revision this page committed as; the items it touched carry it. */
  revision: number;
}

interface ConnectionRef {
  tenantId: string;
  connectionId: string;
}

/** Row ids by external id, of one connection's actors or work items. */
type RowIds = Map<string, string>;

/**
 * Idempotent upsert of one batch into a connection's event log, inside the caller's
 * tenant transaction. Items are updated to their latest state; events are append-only
 * and keyed by external id, so replaying a batch adds nothing. An event whose item is
 * unknown is skipped; an actor that is unknown is left empty. This is the only writer of
 * events, and it keeps their link to an item that the database no longer checks per event
 * (migration 0015): every item id it writes was upserted or updated in this transaction.
 *
 * Each page raises its connection's data_revision and stamps the items it upserts or adds
 * events to with the new value (migration 0016), so a reader that has seen a revision can
 * ask for exactly the items changed since.
 *
 * The upserts return the row ids of the batch's actors and items, and only keys the batch
 * does not carry are looked up. Joining the events to work_items on the key makes Postgres
 * read every item of the connection for each page (a hash join, or a scan of the container
 * index while the table has no statistics), so a backfill would slow down with every page.
 */
export async function ingestBatch(client: PoolClient, connection: ConnectionRef, batch: EventLogBatch): Promise<IngestResult> {
  const revision = await nextRevision(client, connection);
  const actorIds = await upsertActors(client, connection, batch.actors);
  await addStoredActorIds(client, connection, actorIds, [...batch.items.map((i) => i.assignee), ...batch.events.map((e) => e.actor)]);
  const itemIds = await upsertItems(client, connection, batch.items, actorIds, revision);
  await addStoredItemIds(client, connection, itemIds, batch.events.map((e) => e.itemExternalId), revision);
  const eventsAdded = await insertEvents(client, connection, batch.events, itemIds, actorIds);
  return { actors: batch.actors.length, items: batch.items.length, eventsAdded, revision };
}

/**
 * The page's revision. The update holds the connection's row lock until the page commits, so
 * one connection's pages commit one after another, in the order of their revisions: a reader
 * never sees a revision while a smaller one is still to commit.
 */
async function nextRevision(client: PoolClient, { tenantId, connectionId }: ConnectionRef): Promise<number> {
  const { rows } = await client.query<{ data_revision: string }>(
    "UPDATE connections SET data_revision = data_revision + 1 WHERE tenant_id = $1 AND id = $2 RETURNING data_revision",
    [tenantId, connectionId],
  );
  if (rows.length === 0) throw new Error(`connection ${connectionId} does not exist in tenant ${tenantId}`);
  // bigint arrives as text; revisions stay far below 2^53.
  return Number(rows[0]!.data_revision);
}

async function upsertActors(client: PoolClient, { tenantId, connectionId }: ConnectionRef, actors: readonly ActorRecord[]): Promise<RowIds> {
  const { rows } = await client.query<{ id: string; external_id: string }>(
    `INSERT INTO actors (tenant_id, connection_id, external_id, display_name)
     SELECT $1, $2, a.external_id, a.display_name FROM unnest($3::text[], $4::text[]) AS a(external_id, display_name)
     ON CONFLICT (tenant_id, connection_id, external_id) DO UPDATE SET display_name = EXCLUDED.display_name
     RETURNING id, external_id`,
    [tenantId, connectionId, actors.map((a) => a.externalId), actors.map((a) => a.displayName)],
  );
  return rowIds(rows);
}

async function upsertItems(client: PoolClient, { tenantId, connectionId }: ConnectionRef, items: readonly WorkItemRecord[], actorIds: RowIds, revision: number): Promise<RowIds> {
  const { rows } = await client.query<{ id: string; external_id: string }>(
    `INSERT INTO work_items (tenant_id, connection_id, external_id, container, item_type, created_at, closed_at, status, priority, assignee_id, labels, revision)
     SELECT $1, $2, i.external_id, i.container, i.item_type, i.created_at, i.closed_at, i.status, i.priority, i.assignee_id,
            i.labels::text[], $12
       FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[], $10::uuid[], $11::text[])
            AS i(external_id, container, item_type, created_at, closed_at, status, priority, assignee_id, labels)
     ON CONFLICT (tenant_id, connection_id, external_id) DO UPDATE SET
       container = EXCLUDED.container, item_type = EXCLUDED.item_type, closed_at = EXCLUDED.closed_at,
       status = EXCLUDED.status, priority = EXCLUDED.priority, assignee_id = EXCLUDED.assignee_id, labels = EXCLUDED.labels,
       revision = EXCLUDED.revision
     RETURNING id, external_id`,
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
      items.map((i) => idOf(actorIds, i.assignee)),
      items.map((i) => textArrayLiteral(i.labels)),
      revision,
    ],
  );
  return rowIds(rows);
}

/**
 * A page's events name few distinct items and actors: each event carries the position of its
 * item's and actor's id in a short list sent once, and its time as epoch milliseconds, so
 * neither the worker nor Postgres writes and parses a uuid and a timestamp text per event.
 */
async function insertEvents(client: PoolClient, { tenantId, connectionId }: ConnectionRef, events: readonly EventRecord[], itemIds: RowIds, actorIds: RowIds): Promise<number> {
  const known = events.filter((e) => itemIds.has(e.itemExternalId));
  const items = new IdList();
  const actors = new IdList();
  const itemPositions = known.map((e) => items.positionOf(itemIds.get(e.itemExternalId)!));
  const actorPositions = known.map((e) => actors.positionOf(idOf(actorIds, e.actor)));
  const inserted = await client.query(
    `INSERT INTO events (tenant_id, connection_id, work_item_id, external_id, occurred_at, actor_id, type, field, from_value, to_value)
     SELECT $1, $2, ($3::uuid[])[e.item], e.external_id, to_timestamp(e.epoch_ms / 1000.0), ($4::uuid[])[e.actor], e.type, e.field, e.from_value, e.to_value
       FROM unnest($5::int[], $6::text[], $7::float8[], $8::int[], $9::text[], $10::text[], $11::text[], $12::text[])
            AS e(item, external_id, epoch_ms, actor, type, field, from_value, to_value)
     ON CONFLICT (tenant_id, connection_id, external_id) DO NOTHING`,
    [
      tenantId,
      connectionId,
      items.ids,
      actors.ids,
      itemPositions,
      known.map((e) => e.externalId),
      known.map((e) => e.occurredAt.getTime()),
      actorPositions,
      known.map((e) => e.type),
      known.map((e) => e.field),
      known.map((e) => e.from),
      known.map((e) => e.to),
    ],
  );
  return inserted.rowCount ?? 0;
}

/** Distinct ids in the order first asked for, by their 1-based position (Postgres arrays start at 1). */
class IdList {
  readonly ids: string[] = [];
  private readonly positions = new Map<string, number>();

  positionOf(id: string | null): number | null {
    if (id === null) return null;
    let position = this.positions.get(id);
    if (position === undefined) {
      position = this.ids.push(id);
      this.positions.set(id, position);
    }
    return position;
  }
}

/** Adds the ids of actors stored by earlier pages. */
async function addStoredActorIds(client: PoolClient, { tenantId, connectionId }: ConnectionRef, ids: RowIds, keys: readonly (string | null)[]): Promise<void> {
  const missing = missingKeys(ids, keys);
  if (missing.length === 0) return;
  const { rows } = await client.query<{ id: string; external_id: string }>(
    "SELECT id, external_id FROM actors WHERE tenant_id = $1 AND connection_id = $2 AND external_id = ANY($3::text[])",
    [tenantId, connectionId, missing],
  );
  for (const row of rows) ids.set(row.external_id, row.id);
}

/**
 * Adds the ids of items stored by earlier pages (a GitHub events page refers to items of the
 * issues stream), and stamps them with the page's revision, since the page adds events to them.
 * The update's row lock is stronger than the FOR KEY SHARE a foreign key's check would take:
 * an item cannot be deleted between this lookup and the commit of the events that name it.
 */
async function addStoredItemIds(client: PoolClient, { tenantId, connectionId }: ConnectionRef, ids: RowIds, keys: readonly (string | null)[], revision: number): Promise<void> {
  const missing = missingKeys(ids, keys);
  if (missing.length === 0) return;
  const { rows } = await client.query<{ id: string; external_id: string }>(
    `UPDATE work_items SET revision = $4 WHERE tenant_id = $1 AND connection_id = $2 AND external_id = ANY($3::text[])
     RETURNING id, external_id`,
    [tenantId, connectionId, missing, revision],
  );
  for (const row of rows) ids.set(row.external_id, row.id);
}

const missingKeys = (ids: RowIds, keys: readonly (string | null)[]): string[] => [...new Set(keys)].filter((key): key is string => key !== null && !ids.has(key));

const rowIds = (rows: readonly { id: string; external_id: string }[]): RowIds => new Map(rows.map((row) => [row.external_id, row.id]));

const idOf = (ids: RowIds, key: string | null): string | null => (key === null ? null : (ids.get(key) ?? null));

/** Postgres's array literal for a list of texts, so a list per item travels as one text of a text[]. */
function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
}
