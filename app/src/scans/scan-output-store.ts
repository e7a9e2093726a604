import { z } from "zod";
import { DEFAULT_CALENDAR, parseCalendar, type WorkingCalendar } from "../analysis/calendar.js";
import type { EventLog, LogEvent, LogEventKind, LogItem, StepSource } from "../analysis/event-log.js";
import { driftBasisOf, type DriftBasis } from "../analysis/drift.js";
import { LiveAnalysis } from "../analysis/live-analysis.js";
import { computeScanOutput, type AnalysisSettings, type ScanOutput, type ScopeFilters } from "../analysis/scan-output.js";
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
 * Computes a connection's scan output (and one for each of its containers) and stores it as a
 * new version tied to the scan, with drift against the version before. Runs in the caller's
 * tenant transaction, which must read one snapshot (withTenant's "snapshot-write").
 *
 * With `live`, the process keeps each connection's analysis between scans: when nothing
 * was deleted and the settings are the same, only the items changed since (by their
 * revision, migration 0016) are read and replaced. Otherwise the whole log is read.
 */
export async function refreshScanOutput(client: PoolClient, ref: ConnectionRef, scanId: string | null, now: Date, live?: LiveOutputs): Promise<Refreshed> {
  const connection = await connectionState(client, ref.connectionId);
  const kept = live?.take(ref.connectionId);
  const updated = kept && (await updateKept(client, kept, connection, now));
  const drawn = updated || (await analyseWholeLog(client, ref, connection, now));
  // The connection's own output comes first; its id tells a later refresh whether it is still the latest.
  const outputIds: string[] = [];
  for (const [index, output] of drawn.outputs.entries()) {
    output.dataQuality.notes.push(...connection.problems);
    const { rows } = await client.query<{ id: string }>(
      "INSERT INTO scan_outputs (tenant_id, connection_id, scan_id, scope, computed_at, output) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      [ref.tenantId, ref.connectionId, scanId, drawn.scopes[index]!, now, JSON.stringify(output)],
    );
    outputIds.push(rows[0]!.id);
  }
  if (live && drawn.analysis) live.keep(ref.connectionId, { analysis: drawn.analysis, revision: connection.revision, settings: connection.fingerprint, scopes: drawn.scopes, outputId: outputIds[0]!, previous: drawn.outputs.map(driftBasisOf) });
  return { output: drawn.outputs[0]!, read: updated ? "changed items" : "whole log" };
}

/** The connection's output, and whether it was drawn from the changed items or from the whole log. */
export interface Refreshed {
  output: ScanOutput;
  read: "changed items" | "whole log";
}

/** Outputs drawn for a connection's scopes, and the analysis to keep, when it can be kept. */
interface Drawn {
  scopes: string[];
  outputs: ScanOutput[];
  analysis: LiveAnalysis | null;
}

async function analyseWholeLog(client: PoolClient, ref: ConnectionRef, connection: ConnectionState, now: Date): Promise<Drawn> {
  const log = await loadEventLog(client, ref.connectionId, connection.stepSource, now);
  const scopes = scopesOf(ref.connectionId, [...new Set(log.items.map((item) => item.container ?? ""))].filter((container) => container !== "").sort());
  const requests = [];
  for (const scope of scopes) requests.push({ filters: scope.filters, previous: await latestScanOutput(client, scope.name) });
  const { outputs, live } = LiveAnalysis.start(log, { ...connection.settings, computedAt: now.getTime() }, requests);
  return { scopes: scopes.map((scope) => scope.name), outputs, analysis: live };
}

/**
 * The kept analysis with the items changed since it was last drawn replaced; null when it
 * cannot be used (items were deleted, the settings changed, the scopes changed, or a
 * change is dated after now), and the whole log must be read.
 */
async function updateKept(client: PoolClient, kept: KeptAnalysis, connection: ConnectionState, now: Date): Promise<Drawn | null> {
  if (kept.settings !== connection.fingerprint || connection.itemsDeletedRevision > kept.revision || connection.revision < kept.revision) return null;
  const changed = await loadEventLog(client, connection.id, connection.stepSource, now, kept.revision);
  const previous = await previousOutputs(client, kept);
  const outputs = kept.analysis.update(changed, now.getTime(), previous);
  if (!outputs) return null;
  const scopes = scopesOf(connection.id, kept.analysis.containers()).map((scope) => scope.name);
  if (scopes.join("\n") !== kept.scopes.join("\n")) return null;
  return { scopes, outputs, analysis: kept.analysis };
}

/** The outputs the kept analysis drew last, unless another process has stored newer ones since. */
async function previousOutputs(client: PoolClient, kept: KeptAnalysis): Promise<(DriftBasis | null)[]> {
  const { rows } = await client.query<{ id: string }>("SELECT id FROM scan_outputs WHERE scope = $1 ORDER BY computed_at DESC LIMIT 1", [kept.scopes[0]]);
  if (rows[0]?.id === kept.outputId) return kept.previous;
  const previous = [];
  for (const scope of kept.scopes) previous.push(await latestScanOutput(client, scope));
  return previous;
}

/** A connection's own scope, and one for each of its containers when it reads several. */
function scopesOf(connectionId: string, containers: readonly string[]): { name: string; filters: ScopeFilters }[] {
  return [
    { name: connectionScope(connectionId), filters: {} },
    ...(containers.length > 1 ? containers.map((container) => ({ name: containerScope(connectionId, container), filters: { containers: [container] } })) : []),
  ];
}

/** A connection's analysis kept by this process between scans. */
interface KeptAnalysis {
  analysis: LiveAnalysis;
  /** The connection's data revision it has read up to. */
  revision: number;
  /** The connection's analysis settings it was made with. */
  settings: string;
  scopes: string[];
  /** The id of the connection's output it last stored, and what of its outputs drift compares against. */
  outputId: string;
  previous: DriftBasis[];
}

/**
 * Connections' analyses kept between scans by one process (the worker), the most recently
 * used first, within a budget of stays: a million-event connection holds about 800,000.
 * An analysis is taken out while a refresh uses it and put back only when the refresh got
 * as far as storing its outputs, so a failed refresh leaves nothing half-updated behind.
 */
export class LiveOutputs {
  private readonly kept = new Map<string, KeptAnalysis>();

  constructor(private readonly maxStays = DEFAULT_MAX_STAYS) {}

  take(connectionId: string): KeptAnalysis | undefined {
    const kept = this.kept.get(connectionId);
    this.kept.delete(connectionId);
    return kept;
  }

  keep(connectionId: string, kept: KeptAnalysis): void {
    if (kept.analysis.stays > this.maxStays) return;
    this.kept.set(connectionId, kept);
    let stays = 0;
    for (const entry of this.kept.values()) stays += entry.analysis.stays;
    // Map keys iterate in insertion order: the first is the one used longest ago.
    for (const [id, entry] of this.kept) {
      if (stays <= this.maxStays) break;
      this.kept.delete(id);
      stays -= entry.analysis.stays;
    }
  }

  get size(): number {
    return this.kept.size;
  }
}

/** About two million-event connections within the worker's heap (compose sets it to 512 MB). */
const DEFAULT_MAX_STAYS = 2_000_000;

/** A stored output, with the scan that produced it (none for an imported log). */
export interface StoredScanOutput {
  scanId: string | null;
  computedAt: Date;
  output: ScanOutput;
}

/** The latest stored output of a scope, with when and by which scan it was made. */
export async function storedScanOutput(client: PoolClient, scope: string): Promise<StoredScanOutput | null> {
  const { rows } = await client.query<{ scan_id: string | null; computed_at: Date; output: ScanOutput }>(
    "SELECT scan_id, computed_at, output FROM scan_outputs WHERE scope = $1 ORDER BY computed_at DESC LIMIT 1",
    [scope],
  );
  return rows[0] ? { scanId: rows[0].scan_id, computedAt: rows[0].computed_at, output: rows[0].output } : null;
}

/**
 * A connection's output for filters no stored output has (a time window, types, priorities,
 * labels, and a container), computed from its whole log and not stored: the data-quality
 * section speaks of the whole log, as the stored outputs' do.
 */
export async function filteredScanOutput(client: PoolClient, connectionId: string, filters: ScopeFilters, now: Date): Promise<ScanOutput> {
  const connection = await connectionState(client, connectionId);
  const log = await loadEventLog(client, connectionId, connection.stepSource, now);
  const output = computeScanOutput(log, { ...connection.settings, filters, computedAt: now.getTime() });
  output.dataQuality.notes.push(...connection.problems);
  return output;
}

/** The latest output of a scope: a connection's (connectionScope) or one of its containers' (containerScope). */
export async function latestScanOutput(client: PoolClient, scope: string): Promise<ScanOutput | null> {
  const { rows } = await client.query<{ output: ScanOutput }>("SELECT output FROM scan_outputs WHERE scope = $1 ORDER BY computed_at DESC LIMIT 1", [scope]);
  return rows[0]?.output ?? null;
}

interface ConnectionState {
  id: string;
  stepSource: StepSource;
  settings: AnalysisSettings;
  /** Problems reading the settings, said in every output. */
  problems: string[];
  /** The settings as one string, to tell whether a kept analysis was made with them. */
  fingerprint: string;
  revision: number;
  itemsDeletedRevision: number;
}

/**
 * The connection's own analysis settings and data revisions. The settings are stored only
 * through validated forms; a value that no longer parses (an older format) falls back to
 * the default, and the output says so, rather than failing every scan's analysis.
 */
async function connectionState(client: PoolClient, connectionId: string): Promise<ConnectionState> {
  const { rows } = await client.query<{ provider: string; step_classes: unknown; status_categories: unknown; calendar: unknown; data_revision: string; items_deleted_revision: string }>(
    "SELECT provider, step_classes, status_categories, calendar, data_revision, items_deleted_revision FROM connections WHERE id = $1",
    [connectionId],
  );
  const row = rows[0];
  if (!row) throw new Error(`No connection ${connectionId} to analyse`);
  const problems: string[] = [];
  const stepClasses = STEP_CLASSES.safeParse(row.step_classes ?? {});
  if (!stepClasses.success) problems.push("The connection's step classes could not be read; steps were classified by provider and name. Set them again.");
  let calendar: WorkingCalendar = DEFAULT_CALENDAR;
  if (row.calendar) {
    try {
      calendar = parseCalendar(row.calendar);
    } catch (err) {
      problems.push(`The connection's working calendar could not be read (${(err as Error).message}); Monday to Friday, 9 to 5, UTC was used.`);
    }
  }
  // Written only by the scan from the provider's answer; anything unreadable is ignored rather than guessed at.
  const statusCategories = STATUS_CATEGORIES.safeParse(row.status_categories ?? {});
  const settings: AnalysisSettings = {
    classifier: { overrides: stepClasses.success ? stepClasses.data : {}, providerCategories: statusCategories.success ? statusCategories.data : {} },
    calendar,
  };
  const stepSource: StepSource = row.provider === "file" ? "activity" : "status";
  return {
    id: connectionId,
    stepSource,
    settings,
    problems,
    fingerprint: JSON.stringify([stepSource, settings, problems]),
    revision: Number(row.data_revision),
    itemsDeletedRevision: Number(row.items_deleted_revision),
  };
}

/**
 * A connection's work items and events as an analysis log, read inside the caller's
 * transaction: all of them, or (with `changedSince`) only the items whose revision is above
 * it, each with all its events. People are the actors' row ids (assignment events name the
 * provider's ids, which are mapped to the same row ids), so nothing that names a person
 * leaves the database in the output.
 */
export async function loadEventLog(client: PoolClient, connectionId: string, stepSource: StepSource, asOf: Date, changedSince?: number): Promise<EventLog> {
  const actors = await client.query<[string, string]>({
    text: "SELECT external_id, id FROM actors WHERE connection_id = $1",
    values: [connectionId],
    rowMode: "array",
  });
  const actorId = new Map(actors.rows);
  const person = (external: string | null) => (external === null ? null : (actorId.get(external) ?? null));
  // Times come as epoch milliseconds (float8, which pg reads as a number): parsing a million
  // timestamps into Dates took longer than the analysis itself.
  const changedOnly = changedSince === undefined ? "" : " AND revision > $2";
  const items = await client.query<[string, number, string, string | null, string[], string, string | null, string]>({
    text: `SELECT id, ${EPOCH_MS("created_at")}, item_type, priority, labels, status, assignee_id, container FROM work_items WHERE connection_id = $1${changedOnly}`,
    values: changedSince === undefined ? [connectionId] : [connectionId, changedSince],
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
  const logEvents: LogEvent[] = [];
  const addEvents = (rows: readonly EventRow[]) => {
    for (const [item, at, type, from, to, actor] of rows) {
      // The events table admits only these types (a CHECK constraint).
      const kind = EVENT_KIND[type]!;
      const people = kind === "assigned";
      logEvents.push({ item, at, kind, from: people ? person(from) : from, to: people ? person(to) : to, actor });
    }
  };
  const columns = `SELECT work_item_id, ${EPOCH_MS("occurred_at")}, type, from_value, to_value, actor_id FROM events`;
  if (changedSince !== undefined) {
    if (logItems.length > 0) {
      const changed = await client.query<EventRow>({
        text: `${columns} WHERE connection_id = $1 AND work_item_id = ANY($2::uuid[]) ORDER BY work_item_id, occurred_at, id`,
        values: [connectionId, logItems.map((item) => item.key)],
        rowMode: "array",
      });
      addEvents(changed.rows);
    }
    return { stepSource, items: logItems, events: logEvents, asOf: asOf.getTime() };
  }
  // Read through a cursor, a chunk at a time, so a million rows are never held twice (as
  // rows and as events) at once. DECLARE takes no parameters; the id is a checked uuid, quoted.
  await client.query(`DECLARE analysis_events NO SCROLL CURSOR FOR ${columns} WHERE connection_id = ${client.escapeLiteral(connectionId)} ORDER BY work_item_id, occurred_at, id`);
  for (;;) {
    const chunk = await client.query<EventRow>({ text: `FETCH ${EVENTS_PER_FETCH} FROM analysis_events`, rowMode: "array" });
    addEvents(chunk.rows);
    if (chunk.rows.length < EVENTS_PER_FETCH) break;
  }
  await client.query("CLOSE analysis_events");
  return { stepSource, items: logItems, events: logEvents, asOf: asOf.getTime() };
}

type EventRow = [item: string, at: number, type: string, from: string | null, to: string | null, actor: string | null];
