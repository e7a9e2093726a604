import type { Lifecycles } from "./lifecycle.js";
import type { TraceTable } from "./traces.js";

/** Which items a scope's output covers. Every filter is optional; an empty list means any. */
export interface ScopeFilters {
  /** The window, epoch ms: items that were open at some point inside it. */
  from?: number;
  to?: number;
  types?: readonly string[];
  priorities?: readonly string[];
  labels?: readonly string[];
  /** Projects, repositories or queues. */
  containers?: readonly string[];
}

export interface Window {
  from: number;
  to: number;
}

/** What every section reads: the traces and lifecycles of all items, and which of them are in scope. */
export interface Scope {
  traces: TraceTable;
  lifecycles: Lifecycles;
  /** Indexes of the items in scope, in log order. */
  items: Int32Array;
}

/** The window ends at `asOf`; without a start it begins at the earliest creation. */
export function scopeOf(traces: TraceTable, lifecycles: Lifecycles, filters: ScopeFilters, asOf: number): { scope: Scope; window: Window } {
  const window = { from: filters.from ?? Math.min(asOf, earliestCreation(traces.createdAt)), to: asOf };
  const items = new Int32Array(traces.items.length);
  let count = 0;
  for (let item = 0; item < traces.items.length; item += 1) {
    if (!inScope(traces, lifecycles, item, filters, window)) continue;
    items[count] = item;
    count += 1;
  }
  return { scope: { traces, lifecycles, items: items.subarray(0, count) }, window };
}

/** Infinity for no items. A loop, as Math.min(...values) overflows the stack on large logs. */
function earliestCreation(createdAt: Float64Array): number {
  let min = Number.POSITIVE_INFINITY;
  for (const at of createdAt) if (at < min) min = at;
  return min;
}

function inScope(traces: TraceTable, lifecycles: Lifecycles, index: number, filters: ScopeFilters, window: Window): boolean {
  const item = traces.items[index]!;
  if (traces.createdAt[index]! > window.to) return false;
  const completedAt = lifecycles.completedAt[index]!;
  if (!Number.isNaN(completedAt) && completedAt < window.from) return false;
  if (filters.types?.length && !filters.types.includes(item.type ?? "")) return false;
  if (filters.priorities?.length && !filters.priorities.includes(item.priority ?? "")) return false;
  if (filters.labels?.length && !item.labels.some((label) => filters.labels!.includes(label))) return false;
  if (filters.containers?.length && !filters.containers.includes(item.container ?? "")) return false;
  return true;
}
