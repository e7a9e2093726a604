import type { ImportResult } from "../analysis/import/result.js";
import type { EventLog, LogEvent } from "../analysis/event-log.js";
import { hasRole, type Principal } from "../auth/principal.js";
import type { EventLogBatch } from "../connectors/types.js";
import { recordAudit } from "../platform/audit.js";
import type { PoolClient } from "../platform/db/pool.js";
import { forbidden } from "../platform/errors.js";
import { ingestBatch } from "./ingest.js";
import { refreshScanOutput } from "./scan-output-store.js";

/** Cases ingested per batch: the scan runner's page size, so one import costs what a scan page does. */
const CASES_PER_BATCH = 1_000;

export interface ImportedLog {
  connectionId: string;
  cases: number;
  events: number;
}

/**
 * Stores an imported process log as a connection of its own: each case a work item, each
 * activity an event (a step change from the case's previous activity), each resource an
 * actor. Everything, the scan output included, lands in the caller's transaction, so a
 * failed import leaves nothing behind.
 */
export async function storeImportedLog(client: PoolClient, by: Principal, label: string, imported: ImportResult, now: Date): Promise<ImportedLog> {
  if (!hasRole(by, "admin")) throw forbidden("Only owners and admins can import event logs.");
  const { log, quality } = imported;
  const config = { format: quality.format, importedAt: now.toISOString(), recordsRead: quality.recordsRead, recordsKept: quality.recordsKept, notes: quality.notes };
  const { rows } = await client.query<{ id: string }>(
    "INSERT INTO connections (tenant_id, provider, label, status, config) VALUES ($1, 'file', $2, 'imported', $3) RETURNING id",
    [by.tenantId, label, JSON.stringify(config)],
  );
  const ref = { tenantId: by.tenantId, connectionId: rows[0]!.id };
  let events = 0;
  for (const batch of importBatches(log, label)) events += (await ingestBatch(client, ref, batch)).eventsAdded;
  await refreshScanOutput(client, ref, null, now);
  await recordAudit(client, {
    tenantId: by.tenantId,
    actorUserId: by.userId,
    action: "connection.imported",
    targetType: "connection",
    targetId: ref.connectionId,
    details: { format: quality.format, cases: log.items.length, events },
  });
  return { connectionId: ref.connectionId, cases: log.items.length, events };
}

/** The log in ingest batches of whole cases. The import hands over each case's events together and in time order. */
function* importBatches(log: EventLog, container: string): Generator<EventLogBatch> {
  const eventsByCase = new Map<string, LogEvent[]>();
  for (const event of log.events) {
    const list = eventsByCase.get(event.item);
    if (list) list.push(event);
    else eventsByCase.set(event.item, [event]);
  }
  for (let start = 0; start < log.items.length; start += CASES_PER_BATCH) {
    const batch: EventLogBatch = { actors: [], items: [], events: [] };
    const actors = new Set<string>();
    for (const item of log.items.slice(start, start + CASES_PER_BATCH)) {
      const events = eventsByCase.get(item.key) ?? [];
      const first = events[0];
      const last = events.at(-1);
      if (!first || !last) continue;
      for (const event of events) if (event.actor !== null) actors.add(event.actor);
      batch.items.push({
        externalId: item.key,
        container,
        itemType: "case",
        createdAt: new Date(first.at),
        closedAt: new Date(last.at),
        status: last.to ?? "",
        priority: null,
        assignee: last.actor,
        labels: [],
      });
      events.forEach((event, index) => {
        batch.events.push({
          externalId: `${item.key}#${index}`,
          itemExternalId: item.key,
          occurredAt: new Date(event.at),
          actor: event.actor,
          type: "status_changed",
          field: "activity",
          from: events[index - 1]?.to ?? null,
          to: event.to,
        });
      });
    }
    batch.actors = [...actors].map((actor) => ({ externalId: actor, displayName: actor }));
    yield batch;
  }
}
