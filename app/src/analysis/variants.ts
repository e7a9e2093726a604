import type { ItemLifecycle } from "./lifecycle.js";
import { isThin, percentile, sortedValues } from "./stats.js";

export interface Variant {
  steps: string[];
  items: number;
  share: number;
  /** Median lead time of the variant's completed items (case duration for an imported log). */
  medianLeadMs: number | null;
  thin: boolean;
}

export interface Variants {
  total: number;
  top: Variant[];
  /** Share of items the k most frequent variants cover, k = 1 … top.length. */
  coverage: number[];
}

export const TOP_VARIANTS = 20;

/** Paths through the steps, most frequent first; a variant is the exact sequence of steps. */
export function variantsOf(lifecycles: readonly ItemLifecycle[], top = TOP_VARIANTS): Variants {
  const byPath = new Map<string, { key: string; steps: string[]; items: number; leads: number[] }>();
  let items = 0;
  for (const lifecycle of lifecycles) {
    const steps = lifecycle.trace.visits.map((visit) => visit.step);
    if (steps.length === 0) continue;
    items += 1;
    const key = steps.join("\u0000");
    let entry = byPath.get(key);
    if (!entry) {
      entry = { key, steps, items: 0, leads: [] };
      byPath.set(key, entry);
    }
    entry.items += 1;
    if (lifecycle.leadMs !== null) entry.leads.push(lifecycle.leadMs);
  }
  const ranked = [...byPath.values()].sort((a, b) => b.items - a.items || (a.key < b.key ? -1 : 1)).slice(0, top);
  let covered = 0;
  const coverage: number[] = [];
  const variants = ranked.map((entry) => {
    covered += entry.items;
    coverage.push(covered / items);
    return { steps: entry.steps, items: entry.items, share: entry.items / items, medianLeadMs: percentile(sortedValues(entry.leads), 50), thin: isThin(entry.items) };
  });
  return { total: byPath.size, top: variants, coverage };
}
