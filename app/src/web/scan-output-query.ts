import type { ScopeFilters } from "../analysis/scope.js";
import { badRequest } from "../platform/errors.js";
import { nextDay, zonedDayStart } from "../platform/local-time.js";

/** Which output a request asks for: a connection's, or one of its projects', and with which filters. */
export interface ScanOutputQuery {
  container: string | null;
  /** Null when the request names no filter: the stored output answers it. */
  filters: ScopeFilters | null;
}

const LISTS = { type: "types", priority: "priorities", label: "labels" } as const;
const KNOWN = ["container", "from", "to", ...Object.keys(LISTS)];
const MAX_VALUES = 50;
const MAX_LENGTH = 200;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A time must carry its offset (Z or ±hh:mm): a bare local time would mean different instants on different servers. */
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads the query string of a scan output request: `container`, a window (`from`, `to`: a
 * date, which covers that whole day in the organization's time zone, or a time with its offset) and any number of
 * `type`, `priority` and `label` values (an item matches a list when it has any of them).
 * Anything else is refused with a message that says what to fix.
 */
export function parseScanOutputQuery(query: Record<string, string | string[] | undefined>, timeZone = "UTC"): ScanOutputQuery {
  for (const name of Object.keys(query)) {
    if (!KNOWN.includes(name)) throw badRequest("invalid_filter", `There is no filter "${name}": use ${KNOWN.join(", ")}.`);
  }
  const container = single(query, "container");
  const filters: ScopeFilters = {};
  const from = single(query, "from");
  const to = single(query, "to");
  if (from !== null) filters.from = instantOf("from", from, "start", timeZone);
  if (to !== null) filters.to = instantOf("to", to, "end", timeZone);
  if (filters.from !== undefined && filters.to !== undefined && filters.from > filters.to) throw badRequest("invalid_filter", `"from" (${from}) is after "to" (${to}).`);
  for (const [name, field] of Object.entries(LISTS)) {
    const values = listOf(query, name);
    if (values.length > 0) filters[field] = values;
  }
  return { container, filters: Object.keys(filters).length > 0 ? filters : null };
}

function single(query: Record<string, string | string[] | undefined>, name: string): string | null {
  const value = query[name];
  if (value === undefined) return null;
  if (Array.isArray(value)) throw badRequest("invalid_filter", `Give "${name}" once.`);
  if (value.trim() === "") throw badRequest("invalid_filter", `"${name}" is empty: leave it out, or give a value.`);
  return value.trim();
}

function listOf(query: Record<string, string | string[] | undefined>, name: string): string[] {
  const raw = query[name];
  const values = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map((value) => value.trim());
  if (values.length > MAX_VALUES) throw badRequest("invalid_filter", `At most ${MAX_VALUES} values of "${name}", not ${values.length}.`);
  for (const value of values) {
    if (value === "") throw badRequest("invalid_filter", `A "${name}" is empty: leave it out, or give a value.`);
    if (value.length > MAX_LENGTH) throw badRequest("invalid_filter", `A "${name}" is longer than ${MAX_LENGTH} characters.`);
  }
  return [...new Set(values)];
}

/** A date's first or last millisecond in the zone, or the instant a time with its offset names. */
function instantOf(name: string, value: string, end: "start" | "end", timeZone: string): number {
  const hint = `"${name}" must be a date (2026-03-01) or a time with its offset (2026-03-01T09:00:00Z), not "${value}".`;
  // Date.parse takes 2026-02-30 for March 2nd: the date must read back as written.
  const date = value.slice(0, 10);
  const midnight = Date.parse(`${date}T00:00:00Z`);
  if (!(DATE.test(value) || TIME.test(value)) || Number.isNaN(midnight) || new Date(midnight).toISOString().slice(0, 10) !== date) throw badRequest("invalid_filter", hint);
  if (DATE.test(value)) return end === "start" ? zonedDayStart(date, timeZone) : zonedDayStart(nextDay(date), timeZone) - 1;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw badRequest("invalid_filter", hint);
  return at;
}
