import { z } from "zod";
import type { StepCategory, WaitClass } from "../analysis/classify.js";
import type { EventLog, LogEvent, LogEventKind, LogItem } from "../analysis/event-log.js";
import { computeScanOutput, type ScanOutput } from "../analysis/scan-output.js";
import type { PoolClient } from "../platform/db/pool.js";

interface ConnectionRef {
  tenantId: string;
  connectionId: string;
}

export const connectionScope = (connectionId: string): string => `connection:${connectionId}`;

const EVENT_KIND: Readonly<Record<string, LogEventKind>> = {
  created: "created",
  status_changed: "step",
  assigned: "assigned",
  priority_changed: "priority",
  labeled: "labeled",
  unlabeled: "unlabeled",
  closed: "closed",
  reopened: "reopened",
};

const STEP_CLASSES = z.record(
  z.string(),
  z.object({
    category: z.enum(["todo", "in_progress", "waiting", "done"]),
    waitClass: z.enum(["team_queue", "active_work", "external_wait", "automation_wait", "finished"]),
  }),
);

/**
 * Recomputes a connection's scan output from its whole event log and stores it as a new
 * version tied to the scan, with drift against the version before. Runs in the caller's
 * tenant transaction.
 */
export async function refreshScanOutput(client: PoolClient, ref: ConnectionRef, scanId: string | null, now: Date): Promise<ScanOutput> {
  const log = await loadEventLog(client, ref.connectionId, now);
  const previous = await latestScanOutput(client, ref.connectionId);
  const output = computeScanOutput(log, { classifier: { overrides: await stepClassesOf(client, ref.connectionId) }, previous, computedAt: now.getTime() });
  await client.query("INSERT INTO scan_outputs (tenant_id, connection_id, scan_id, scope, computed_at, output) VALUES ($1, $2, $3, $4, $5, $6)", [
    ref.tenantId,
    ref.connectionId,
    scanId,
    connectionScope(ref.connectionId),
    now,
    JSON.stringify(output),
  ]);
  return output;
}

export async function latestScanOutput(client: PoolClient, connectionId: string): Promise<ScanOutput | null> {
  const { rows } = await client.query<{ output: ScanOutput }>(
    "SELECT output FROM scan_outputs WHERE connection_id = $1 ORDER BY computed_at DESC LIMIT 1",
    [connectionId],
  );
  return rows[0]?.output ?? null;
}

async function stepClassesOf(client: PoolClient, connectionId: string): Promise<Record<string, { category: StepCategory; waitClass: WaitClass }>> {
  const { rows } = await client.query<{ step_classes: unknown }>("SELECT step_classes FROM connections WHERE id = $1", [connectionId]);
  // Stored only through validated settings; an unreadable value is not worth failing the analysis over.
  const parsed = STEP_CLASSES.safeParse(rows[0]?.step_classes ?? {});
  return parsed.success ? parsed.data : {};
}

/**
 * A connection's work items and events as an analysis log. People are the actors' row ids
 * (assignment events name the provider's ids, which are mapped to the same row ids), so
 * nothing that names a person leaves the database in the output.
 */
export async function loadEventLog(client: PoolClient, connectionId: string, asOf: Date): Promise<EventLog> {
  const actors = await client.query<[string, string]>({
    text: "SELECT external_id, id FROM actors WHERE connection_id = $1",
    values: [connectionId],
    rowMode: "array",
  });
  const actorId = new Map(actors.rows);
  const person = (external: string | null) => (external === null ? null : (actorId.get(external) ?? null));
  const items = await client.query<[string, Date, string, string | null, string[], string, string | null]>({
    text: "SELECT id, created_at, item_type, priority, labels, status, assignee_id FROM work_items WHERE connection_id = $1",
    values: [connectionId],
    rowMode: "array",
  });
  const logItems: LogItem[] = items.rows.map(([key, createdAt, type, priority, labels, status, assignee]) => ({
    key,
    createdAt: createdAt.getTime(),
    type,
    priority,
    labels,
    currentStep: status,
    currentAssignee: assignee,
  }));
  const events = await client.query<[string, Date, string, string | null, string | null, string | null]>({
    text: "SELECT work_item_id, occurred_at, type, from_value, to_value, actor_id FROM events WHERE connection_id = $1 ORDER BY work_item_id, occurred_at, id",
    values: [connectionId],
    rowMode: "array",
  });
  const logEvents: LogEvent[] = events.rows.map(([item, at, type, from, to, actor]) => {
    // The events table admits only these types (a CHECK constraint).
    const kind = EVENT_KIND[type]!;
    const people = kind === "assigned";
    return { item, at: at.getTime(), kind, from: people ? person(from) : from, to: people ? person(to) : to, actor };
  });
  return { stepSource: "status", items: logItems, events: logEvents, asOf: asOf.getTime() };
}
