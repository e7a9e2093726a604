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

/** Every item's trace and lifecycle, by item index: what each section counts an item from. */
export interface ItemColumns {
  traces: TraceTable;
  lifecycles: Lifecycles;
  /** Per item, the log's events naming it, as given. */
  events: Int32Array;
}

/** What the sections read when an output is drawn: the columns, and which items are in scope. */
export interface Scope extends ItemColumns {
  /** Indexes of the items in scope, in index order. */
  items: Int32Array;
}

/** How many values a scope's distributions are about to receive: items, stays per step, and moves per transition. */
export interface ScopeSizes {
  items: number;
  stays: Int32Array;
  moves: Int32Array;
}

/** The window ends at `asOf`; without a start it begins at the earliest creation. */
export function windowOf(traces: TraceTable, filters: ScopeFilters, asOf: number): Window {
  return { from: filters.from ?? Math.min(asOf, earliestCreation(traces.createdAt)), to: asOf };
}

/** Infinity for no items. A loop, as Math.min(...values) overflows the stack on large logs. */
function earliestCreation(createdAt: Float64Array): number {
  let min = Number.POSITIVE_INFINITY;
  for (const at of createdAt) if (at < min) min = at;
  return min;
}

/** Whether the filters and the window (`bounds`, items open at some point inside it) take the item in. */
export function inScope({ traces, lifecycles }: ItemColumns, index: number, filters: ScopeFilters, bounds: Window): boolean {
  const item = traces.items[index]!;
  if (traces.createdAt[index]! > bounds.to) return false;
  const completedAt = lifecycles.completedAt[index]!;
  if (!Number.isNaN(completedAt) && completedAt < bounds.from) return false;
  if (filters.types?.length && !filters.types.includes(item.type ?? "")) return false;
  if (filters.priorities?.length && !filters.priorities.includes(item.priority ?? "")) return false;
  if (filters.labels?.length && !item.labels.some((label) => filters.labels!.includes(label))) return false;
  if (filters.containers?.length && !filters.containers.includes(item.container ?? "")) return false;
  return true;
}
