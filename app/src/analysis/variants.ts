import type { Scope } from "./scope.js";
import { Float64List, isThin, percentilesOf } from "./stats.js";

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
export function variantsOf(scope: Scope, top = TOP_VARIANTS): Variants {
  const { pathOfItem, firstItemOn } = pathsOf(scope);
  const itemsOn = new Int32Array(firstItemOn.length);
  let items = 0;
  for (const path of pathOfItem) {
    if (path === NO_PATH) continue;
    itemsOn[path]! += 1;
    items += 1;
  }
  const variants = firstItemOn.map((item, path) => {
    const steps = stepsOf(scope, item);
    return { path, steps, key: steps.join("\u0000"), items: itemsOn[path]! };
  });
  const ranked = variants.sort((a, b) => b.items - a.items || (a.key < b.key ? -1 : 1)).slice(0, top);
  const leads = leadsOf(scope, pathOfItem, ranked);
  let covered = 0;
  const coverage: number[] = [];
  const topVariants = ranked.map((variant, rank) => {
    covered += variant.items;
    coverage.push(covered / items);
    const [medianLeadMs] = percentilesOf(leads[rank]!.values(), [50]);
    return { steps: variant.steps, items: variant.items, share: variant.items / items, medianLeadMs, thin: isThin(variant.items) };
  });
  return { total: variants.length, top: topVariants, coverage };
}

/** The path of an item without stays. */
const NO_PATH = -1;

/**
 * Numbers the distinct paths of the items in scope: per item (by position in scope) its path,
 * and per path the first item on it. Items are grouped by a hash of their steps, then
 * compared step by step with the first item of each path of that hash: one map lookup per
 * item, and no key string built for it.
 */
function pathsOf(scope: Scope): { pathOfItem: Int32Array; firstItemOn: number[] } {
  const { firstVisit, visitStep } = scope.traces;
  const pathsByHash = new Map<number, number[]>();
  const firstItemOn: number[] = [];
  const pathOfItem = new Int32Array(scope.items.length).fill(NO_PATH);
  for (let index = 0; index < scope.items.length; index += 1) {
    const item = scope.items[index]!;
    if (firstVisit[item] === firstVisit[item + 1]) continue;
    let hash = 0;
    for (let visit = firstVisit[item]!; visit < firstVisit[item + 1]!; visit += 1) hash = (Math.imul(hash, 31) + visitStep[visit]!) | 0;
    let paths = pathsByHash.get(hash);
    if (!paths) {
      paths = [];
      pathsByHash.set(hash, paths);
    }
    let path = NO_PATH;
    for (let i = 0; i < paths.length && path === NO_PATH; i += 1) if (sameSteps(scope, firstItemOn[paths[i]!]!, item)) path = paths[i]!;
    if (path === NO_PATH) {
      path = firstItemOn.length;
      firstItemOn.push(item);
      paths.push(path);
    }
    pathOfItem[index] = path;
  }
  return { pathOfItem, firstItemOn };
}

function sameSteps(scope: Scope, a: number, b: number): boolean {
  const { firstVisit, visitStep } = scope.traces;
  const length = firstVisit[a + 1]! - firstVisit[a]!;
  if (firstVisit[b + 1]! - firstVisit[b]! !== length) return false;
  for (let i = 0; i < length; i += 1) if (visitStep[firstVisit[a]! + i] !== visitStep[firstVisit[b]! + i]) return false;
  return true;
}

function stepsOf(scope: Scope, item: number): string[] {
  const { stepNames, firstVisit, visitStep } = scope.traces;
  return Array.from(visitStep.subarray(firstVisit[item]!, firstVisit[item + 1]!), (step) => stepNames[step]!);
}

/** Per variant asked for, the lead times of its completed items. */
function leadsOf(scope: Scope, pathOfItem: Int32Array, wanted: readonly { path: number; items: number }[]): Float64List[] {
  const rankOfPath = new Map(wanted.map((variant, rank) => [variant.path, rank]));
  const leads = wanted.map((variant) => new Float64List(variant.items));
  for (let index = 0; index < scope.items.length; index += 1) {
    const rank = rankOfPath.get(pathOfItem[index]!);
    const lead = scope.lifecycles.leadMs[scope.items[index]!]!;
    if (rank !== undefined && !Number.isNaN(lead)) leads[rank]!.push(lead);
  }
  return leads;
}
