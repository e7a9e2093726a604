import type { ItemColumns } from "./scope.js";
import { GroupDistributions, GroupTotals, isThin } from "./stats.js";
import type { TraceTable } from "./traces.js";

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

/** Paths through the steps, item by item; a variant is the exact sequence of steps. */
export class VariantsTally {
  private readonly paths = new PathIds();
  private readonly itemsOn = new GroupTotals();
  /** Per path, the lead times of its completed items. */
  private readonly leads = new GroupDistributions();
  private items = 0;

  apply({ traces, lifecycles }: ItemColumns, item: number, sign: number): void {
    const { firstVisit, endVisit, visitStep } = traces;
    if (firstVisit[item] === endVisit[item]) return;
    const path = this.paths.idOf(visitStep, firstVisit[item]!, endVisit[item]!);
    this.itemsOn.add(path, sign);
    this.items += sign;
    const lead = lifecycles.leadMs[item]!;
    if (!Number.isNaN(lead)) this.leads.change(path, lead, sign);
  }

  keepSorted(): void {
    this.leads.keepSorted();
  }

  /** The most frequent `top`, with the share of items the first k cover, k = 1 … top. */
  render({ stepNames }: TraceTable, top = TOP_VARIANTS): Variants {
    const variants: { path: number; steps: string[]; key: string; items: number }[] = [];
    for (let path = 0; path < this.paths.size; path += 1) {
      const items = this.itemsOn.of(path);
      if (items === 0) continue;
      const steps = Array.from(this.paths.stepsOf(path), (step) => stepNames[step]!);
      variants.push({ path, steps, key: steps.join("\u0000"), items });
    }
    const ranked = variants.sort((a, b) => b.items - a.items || (a.key < b.key ? -1 : 1)).slice(0, top);
    let covered = 0;
    const coverage: number[] = [];
    const topVariants = ranked.map((variant) => {
      covered += variant.items;
      coverage.push(covered / this.items);
      const [medianLeadMs] = this.leads.peek(variant.path).percentiles([50]);
      return { steps: variant.steps, items: variant.items, share: variant.items / this.items, medianLeadMs, thin: isThin(variant.items) };
    });
    return { total: variants.length, top: topVariants, coverage };
  }
}

/**
 * Ids for distinct sequences of steps. Sequences are grouped by a hash, then compared step
 * by step with each known path of that hash: one map lookup per item, and no key string
 * built for it.
 */
class PathIds {
  private readonly byHash = new Map<number, number[]>();
  private readonly steps: Int32Array[] = [];

  get size(): number {
    return this.steps.length;
  }

  stepsOf(path: number): Int32Array {
    return this.steps[path]!;
  }

  /** The path of steps[from … to - 1]. */
  idOf(steps: Int32Array, from: number, to: number): number {
    let hash = 0;
    for (let i = from; i < to; i += 1) hash = (Math.imul(hash, 31) + steps[i]!) | 0;
    let paths = this.byHash.get(hash);
    if (!paths) {
      paths = [];
      this.byHash.set(hash, paths);
    }
    for (const path of paths) if (sameSteps(this.steps[path]!, steps, from, to)) return path;
    const path = this.steps.length;
    this.steps.push(steps.slice(from, to));
    paths.push(path);
    return path;
  }
}

function sameSteps(path: Int32Array, steps: Int32Array, from: number, to: number): boolean {
  if (path.length !== to - from) return false;
  for (let i = 0; i < path.length; i += 1) if (path[i] !== steps[from + i]) return false;
  return true;
}
