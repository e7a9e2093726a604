import type { ItemColumns, ScopeSizes } from "./scope.js";
import type { TraceTable } from "./traces.js";
import { DistinctItems, GroupDistributions, GroupTotals, isThin, type Spread } from "./stats.js";

export interface StepNode {
  step: string;
  /** Stays in the step (an item entering it twice counts twice). */
  visits: number;
  /** Items that were ever in the step. */
  items: number;
  /** Items that began in it; items whose final step it is (completed items only). */
  starts: number;
  ends: number;
}

/** A directly-follows edge: items that entered `to` straight from `from`, and how long they had stayed in `from`. */
export interface Transition {
  from: string;
  to: string;
  count: number;
  items: number;
  durationMs: Spread;
  thin: boolean;
}

export interface ProcessMap {
  steps: StepNode[];
  transitions: Transition[];
}

/** The process map's counts and durations, item by item. */
export class ProcessMapTally {
  private readonly visits = new GroupTotals();
  private readonly stepItems = new DistinctItems(8);
  private readonly starts = new GroupTotals();
  private readonly ends = new GroupTotals();
  private readonly counts = new GroupTotals();
  private readonly transitionItems = new DistinctItems(8);
  private readonly durations = new GroupDistributions();

  apply({ traces, lifecycles }: ItemColumns, item: number, sign: number, pass: number): void {
    const { firstVisit, endVisit, visitStep, enteredAt, transitionOut } = traces;
    const first = firstVisit[item]!;
    const end = endVisit[item]!;
    if (first === end) return;
    this.starts.add(visitStep[first]!, sign);
    for (let visit = first; visit < end; visit += 1) {
      this.visits.add(visitStep[visit]!, sign);
      this.stepItems.add(visitStep[visit]!, pass, sign);
      const transition = transitionOut[visit]!;
      if (transition < 0) continue;
      this.counts.add(transition, sign);
      this.transitionItems.add(transition, pass, sign);
      this.durations.change(transition, enteredAt[visit + 1]! - enteredAt[visit]!, sign);
    }
    if (!Number.isNaN(lifecycles.completedAt[item]!)) this.ends.add(visitStep[end - 1]!, sign);
  }

  reserve({ moves }: ScopeSizes): void {
    this.durations.reserve(moves);
  }

  keepSorted(): void {
    this.durations.keepSorted();
  }

  render({ stepNames, transitions }: TraceTable): ProcessMap {
    const steps: StepNode[] = [];
    stepNames.forEach((step, id) => {
      const visits = this.visits.of(id);
      if (visits > 0) steps.push({ step, visits, items: this.stepItems.countOf(id), starts: this.starts.of(id), ends: this.ends.of(id) });
    });
    const edges: Transition[] = [];
    for (let id = 0; id < transitions.size; id += 1) {
      const count = this.counts.of(id);
      if (count === 0) continue;
      const items = this.transitionItems.countOf(id);
      edges.push({ from: stepNames[transitions.first[id]!]!, to: stepNames[transitions.second[id]!]!, count, items, durationMs: this.durations.peek(id).spread(), thin: isThin(items) });
    }
    edges.sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
    steps.sort((a, b) => b.visits - a.visits || a.step.localeCompare(b.step));
    return { steps, transitions: edges };
  }
}
