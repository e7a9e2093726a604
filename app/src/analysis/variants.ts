import type { ItemColumns } from "./scope.js";
import { GroupDistributions, GroupTotals, isThin } from "./stats.js";
import type { TraceTable } from "./traces.js";

export interface Variant {
  steps: string[];
  items: number;
  share: number;
  /** Median and 85th-percentile lead time of the variant's completed items (case duration for an imported log). */
  medianLeadMs: number | null;
  p85LeadMs: number | null;
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
    const paths: number[] = [];
    for (let path = 0; path < this.paths.size; path += 1) if (this.itemsOn.of(path) > 0) paths.push(path);
    // Ties go by the steps' names; only the paths shown get their names written out.
    const ranked = paths
      .sort((a, b) => this.itemsOn.of(b) - this.itemsOn.of(a) || compareSteps(stepNames, this.paths.stepsOf(a), this.paths.stepsOf(b)))
      .slice(0, top)
      .map((path) => ({ path, steps: Array.from(this.paths.stepsOf(path), (step) => stepNames[step]!), items: this.itemsOn.of(path) }));
    let covered = 0;
    const coverage: number[] = [];
    const topVariants = ranked.map((variant) => {
      covered += variant.items;
      coverage.push(covered / this.items);
      const [medianLeadMs, p85LeadMs] = this.leads.peek(variant.path).percentiles([50, 85]);
      return { steps: variant.steps, items: variant.items, share: variant.items / this.items, medianLeadMs, p85LeadMs, thin: isThin(variant.items) };
    });
    return { total: paths.length, top: topVariants, coverage };
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

/** Orders two paths as their step names joined would be ordered: name by name, a path before any longer one it begins. */
function compareSteps(stepNames: readonly string[], a: Int32Array, b: Int32Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    if (a[i] === b[i]) continue;
    const nameA = stepNames[a[i]!]!;
    const nameB = stepNames[b[i]!]!;
    if (nameA !== nameB) return nameA < nameB ? -1 : 1;
  }
  return a.length - b.length;
}

function sameSteps(path: Int32Array, steps: Int32Array, from: number, to: number): boolean {
  if (path.length !== to - from) return false;
  for (let i = 0; i < path.length; i += 1) if (path[i] !== steps[from + i]) return false;
  return true;
}
