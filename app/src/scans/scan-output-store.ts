import { z } from "zod";
import { DEFAULT_CALENDAR, parseCalendar, type WorkingCalendar } from "../analysis/calendar.js";
import type { EventLog, LogEvent, LogEventKind, LogItem, StepSource } from "../analysis/event-log.js";
import { computeScanOutputs, type ScanOutput, type ScopeFilters } from "../analysis/scan-output.js";
import type { PoolClient } from "../platform/db/pool.js";

interface ConnectionRef {
  tenantId: string;
  connectionId: string;
}

const EPOCH_MS = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

const EVENTS_PER_FETCH = 20_000;

export const connectionScope = (connectionId: string): string => `connection:${connectionId}`;
export const containerScope = (connectionId: string, container: string): string => `connection:${connectionId}/container:${container}`;

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

const STATUS_CATEGORIES = z.record(z.string(), z.enum(["todo", "in_progress", "done"]));

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
  const settings = await analysisSettingsOf(client, ref.connectionId);
  const log = await loadEventLog(client, ref.connectionId, settings.provider === "file" ? "activity" : "status", now);
  // A connection reading several projects, repositories or queues also has an output for each.
  const containers = [...new Set(log.items.map((item) => item.container ?? ""))].filter((container) => container !== "").sort();
  const scopes: { name: string; filters: ScopeFilters }[] = [
    { name: connectionScope(ref.connectionId), filters: {} },
    ...(containers.length > 1 ? containers.map((container) => ({ name: containerScope(ref.connectionId, container), filters: { containers: [container] } })) : []),
  ];
  const requests = [];
  for (const scope of scopes) requests.push({ filters: scope.filters, previous: await latestScanOutput(client, scope.name) });
  const outputs = computeScanOutputs(
    log,
    { classifier: { overrides: settings.stepClasses, providerCategories: settings.statusCategories }, calendar: settings.calendar, computedAt: now.getTime() },
    requests,
  );
  for (const [index, output] of outputs.entries()) {
    output.dataQuality.notes.push(...settings.problems);
    await client.query("INSERT INTO scan_outputs (tenant_id, connection_id, scan_id, scope, computed_at, output) VALUES ($1, $2, $3, $4, $5, $6)", [
      ref.tenantId,
      ref.connectionId,
      scanId,
      scopes[index]!.name,
      now,
      JSON.stringify(output),
    ]);
  }
  return outputs[0]!;
}

/** The latest output of a scope: a connection's (connectionScope) or one of its containers' (containerScope). */
export async function latestScanOutput(client: PoolClient, scope: string): Promise<ScanOutput | null> {
  const { rows } = await client.query<{ output: ScanOutput }>("SELECT output FROM scan_outputs WHERE scope = $1 ORDER BY computed_at DESC LIMIT 1", [scope]);
  return rows[0]?.output ?? null;
}

/**
 * The connection's own analysis settings. Both are stored only through validated forms; a
 * value that no longer parses (an older format) falls back to the default, and the output
 * says so, rather than failing every scan's analysis.
 */
async function analysisSettingsOf(client: PoolClient, connectionId: string) {
  const { rows } = await client.query<{ provider: string; step_classes: unknown; status_categories: unknown; calendar: unknown }>(
    "SELECT provider, step_classes, status_categories, calendar FROM connections WHERE id = $1",
    [connectionId],
  );
  const row = rows[0];
  const problems: string[] = [];
  const stepClasses = STEP_CLASSES.safeParse(row?.step_classes ?? {});
  if (!stepClasses.success) problems.push("The connection's step classes could not be read; steps were classified by provider and name. Set them again.");
  let calendar: WorkingCalendar = DEFAULT_CALENDAR;
  if (row?.calendar) {
    try {
      calendar = parseCalendar(row.calendar);
    } catch (err) {
      problems.push(`The connection's working calendar could not be read (${(err as Error).message}); Monday to Friday, 9 to 5, UTC was used.`);
    }
  }
  // Written only by the scan from the provider's answer; anything unreadable is ignored rather than guessed at.
  const statusCategories = STATUS_CATEGORIES.safeParse(row?.status_categories ?? {});
  return {
    provider: row?.provider,
    stepClasses: stepClasses.success ? stepClasses.data : {},
    statusCategories: statusCategories.success ? statusCategories.data : {},
    calendar,
    problems,
  };
}

/**
 * A connection's work items and events as an analysis log, read inside the caller's
 * transaction. People are the actors' row ids
 * (assignment events name the provider's ids, which are mapped to the same row ids), so
 * nothing that names a person leaves the database in the output.
 */
export async function loadEventLog(client: PoolClient, connectionId: string, stepSource: StepSource, asOf: Date): Promise<EventLog> {
  const actors = await client.query<[string, string]>({
    text: "SELECT external_id, id FROM actors WHERE connection_id = $1",
    values: [connectionId],
    rowMode: "array",
  });
  const actorId = new Map(actors.rows);
  const person = (external: string | null) => (external === null ? null : (actorId.get(external) ?? null));
  // Times come as epoch milliseconds (float8, which pg reads as a number): parsing a million
  // timestamps into Dates took longer than the analysis itself.
  const items = await client.query<[string, number, string, string | null, string[], string, string | null, string]>({
    text: `SELECT id, ${EPOCH_MS("created_at")}, item_type, priority, labels, status, assignee_id, container FROM work_items WHERE connection_id = $1`,
    values: [connectionId],
    rowMode: "array",
  });
  const logItems: LogItem[] = items.rows.map(([key, createdAt, type, priority, labels, status, assignee, container]) => ({
    key,
    createdAt,
    type,
    priority,
    labels,
    currentStep: status,
    currentAssignee: assignee,
    container,
  }));
  // Read through a cursor, a chunk at a time, so a million rows are never held twice (as
  // rows and as events) at once. DECLARE takes no parameters; the id is a checked uuid, quoted.
  await client.query(
    `DECLARE analysis_events NO SCROLL CURSOR FOR
       SELECT work_item_id, ${EPOCH_MS("occurred_at")}, type, from_value, to_value, actor_id FROM events
        WHERE connection_id = ${client.escapeLiteral(connectionId)} ORDER BY work_item_id, occurred_at, id`,
  );
  const logEvents: LogEvent[] = [];
  for (;;) {
    const chunk = await client.query<[string, number, string, string | null, string | null, string | null]>({ text: `FETCH ${EVENTS_PER_FETCH} FROM analysis_events`, rowMode: "array" });
    for (const [item, at, type, from, to, actor] of chunk.rows) {
      // The events table admits only these types (a CHECK constraint).
      const kind = EVENT_KIND[type]!;
      const people = kind === "assigned";
      logEvents.push({ item, at, kind, from: people ? person(from) : from, to: people ? person(to) : to, actor });
    }
    if (chunk.rows.length < EVENTS_PER_FETCH) break;
  }
  await client.query("CLOSE analysis_events");
  return { stepSource, items: logItems, events: logEvents, asOf: asOf.getTime() };
}
