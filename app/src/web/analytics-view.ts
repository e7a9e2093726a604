import type { ScanOutput } from "../analysis/scan-output.js";
import type { ScopeFilters } from "../analysis/scope.js";
import type { PoolClient } from "../platform/db/pool.js";
import { withTenant } from "../platform/db/tenant.js";
import { notFound } from "../platform/errors.js";
import { localDate, nextDay, zonedDayStart } from "../platform/local-time.js";
import { filteredScanOutput } from "../scans/scan-output-store.js";
import type { WebDeps } from "./deps.js";
import { parseScanOutputQuery } from "./scan-output-query.js";
import { requireContainer, storedOutputOf } from "./stored-outputs.js";

type Query = Record<string, string | string[] | undefined>;

/** Who looks: their organization, and the time zone its days are read in. */
export interface Viewer {
  tenantId: string;
  timeZone: string;
}

/** One analytics page's subject: a connection (or one of its projects), its filters, and the output that answers them. */
export interface AnalyticsView {
  connectionId: string;
  label: string;
  provider: string;
  container: string | null;
  filters: ScopeFilters | null;
  /** Where the viewer reads days: dates in the filters are days there. */
  timeZone: string;
  /** The filters as a query string ("" or "?…"), for links that keep the view. */
  filterQuery: string;
  output: ScanOutput;
  computedAt: Date;
  /** The scan that stored the output; null for a filtered one, which is never stored. */
  scanId: string | null;
  /** Projects, repositories or queues with outputs of their own, for the scope chooser. */
  containers: string[];
}

export const ANALYTICS_PAGES = [
  { name: "process-map", title: "Process map" },
  { name: "flow", title: "Flow" },
  { name: "bottlenecks", title: "Bottlenecks" },
  { name: "variants", title: "Variants & rework" },
  { name: "forecast", title: "Forecast" },
  { name: "assistant", title: "Assistant" },
] as const;

export type AnalyticsPageName = (typeof ANALYTICS_PAGES)[number]["name"];

/**
 * The view a page's address asks for. Without filters it is the stored output; with them it is
 * computed from the whole log (or taken from those the web process keeps). `pageParams`
 * are the page's own parameters (such as the process map's `steps`), not filters.
 */
export async function loadAnalyticsView(deps: WebDeps, viewer: Viewer, connectionId: string, query: Query, pageParams: readonly string[]): Promise<AnalyticsView> {
  const { tenantId, timeZone } = viewer;
  const { container, filters } = parseScanOutputQuery(filterParamsOf(query, pageParams), timeZone);
  const read = <T>(fn: (client: PoolClient) => Promise<T>) => withTenant(deps.pool, tenantId, fn, "snapshot");
  const subject = await read(async (client) => {
    const { rows } = await client.query<{ label: string; provider: string; data_revision: string }>("SELECT label, provider, data_revision FROM connections WHERE id = $1", [connectionId]);
    if (!rows[0]) throw notFound("There is no connection with that id.");
    const stored = await storedOutputOf(client, connectionId, container);
    // The analysis that stored this output stored its projects' at the same moment.
    const scopes = stored
      ? await client.query<{ scope: string }>("SELECT scope FROM scan_outputs WHERE connection_id = $1 AND computed_at = $2", [connectionId, stored.computedAt])
      : { rows: [] };
    return { ...rows[0], stored, containers: containersOf(scopes.rows.map((row) => row.scope)) };
  });
  if (!subject.stored) throw notFound("This connection has no scan output yet: it appears once its first scan has finished.");
  const base = { connectionId, label: subject.label, provider: subject.provider, container, filters, filterQuery: filterQueryOf(container, filters, timeZone), timeZone, containers: subject.containers };
  if (!filters) return { ...base, output: subject.stored.output, computedAt: subject.stored.computedAt, scanId: subject.stored.scanId };
  const scoped = container === null ? filters : { ...filters, containers: [container] };
  // The stored output's time and the data revision name the log and settings the filtered output is computed from.
  const key = JSON.stringify([tenantId, connectionId, scoped, subject.data_revision, subject.stored.computedAt.getTime()]);
  const output = await deps.wholeLogAnalyses.filtered(key, () =>
    read(async (client) => {
      await requireContainer(client, connectionId, container);
      return filteredScanOutput(client, connectionId, scoped, new Date());
    }),
  );
  return { ...base, output, computedAt: new Date(output.computedAt), scanId: null };
}

/** The query without a page's own parameters, and without fields a submitted form left empty. */
function filterParamsOf(query: Query, pageParams: readonly string[]): Query {
  const kept: Query = {};
  for (const [name, value] of Object.entries(query)) {
    if (pageParams.includes(name)) continue;
    const values = (Array.isArray(value) ? value : [value]).filter((one): one is string => one !== undefined && one.trim() !== "");
    if (values.length > 0) kept[name] = values.length === 1 ? values[0] : values;
  }
  return kept;
}

const CONTAINER_PREFIX = "/container:";

function containersOf(scopes: string[]): string[] {
  const names: string[] = [];
  for (const scope of scopes) {
    const at = scope.indexOf(CONTAINER_PREFIX);
    if (at >= 0) names.push(scope.slice(at + CONTAINER_PREFIX.length));
  }
  return names.sort((a, b) => a.localeCompare(b));
}

/** The address form of a view's scope: "" or "?container=…". */
export function scopeQueryOf(container: string | null): string {
  return container === null ? "" : `?${new URLSearchParams({ container })}`;
}

/** The address form of a view's scope and filters: times as days in the zone where they are whole days there. */
export function filterQueryOf(container: string | null, filters: ScopeFilters | null, timeZone: string): string {
  const params = new URLSearchParams();
  if (container !== null) params.append("container", container);
  if (filters?.from !== undefined) params.append("from", dayOrInstant(filters.from, "start", timeZone));
  if (filters?.to !== undefined) params.append("to", dayOrInstant(filters.to, "end", timeZone));
  for (const type of filters?.types ?? []) params.append("type", type);
  for (const priority of filters?.priorities ?? []) params.append("priority", priority);
  for (const label of filters?.labels ?? []) params.append("label", label);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** A day (2026-03-01) when `at` is where that day starts (or ends) in the zone, else the instant in UTC. */
function dayOrInstant(at: number, edge: "start" | "end", timeZone: string): string {
  const day = localDate(at, timeZone);
  const whole = edge === "start" ? zonedDayStart(day, timeZone) === at : zonedDayStart(nextDay(day), timeZone) - 1 === at;
  return whole ? day : new Date(at).toISOString();
}

/** What the analytics header partial shows: where the view is, the page tabs, and the filter form. */
export function analyticsHeader(view: AnalyticsView, page: AnalyticsPageName, pageParams: Record<string, string> = {}) {
  const { filters } = view;
  const day = (at: number | undefined) => (at === undefined ? "" : localDate(at, view.timeZone));
  return {
    connectionId: view.connectionId,
    label: view.label,
    container: view.container,
    action: `/connections/${view.connectionId}/${page}`,
    pages: ANALYTICS_PAGES.map(({ name, title }) => ({ title, href: `/connections/${view.connectionId}/${name}${view.filterQuery}`, current: name === page })),
    scopes: view.containers.map((name) => ({ name, selected: name === view.container })),
    from: day(filters?.from),
    to: day(filters?.to),
    lists: [
      { name: "type", title: "Type", values: filters?.types ?? [] },
      { name: "priority", title: "Priority", values: filters?.priorities ?? [] },
      { name: "label", title: "Label", values: filters?.labels ?? [] },
    ],
    filtered: filters !== null,
    clearHref: `/connections/${view.connectionId}/${page}${scopeQueryOf(view.container)}`,
    pageParams: Object.entries(pageParams).map(([name, value]) => ({ name, value })),
    /** The scope and filters, for a page's own forms to keep. */
    filterParams: [...new URLSearchParams(view.filterQuery)].map(([name, value]) => ({ name, value })),
    computedAt: view.computedAt,
    sample: view.output.sample,
  };
}
