import type { StepClass } from "./classify.js";
import type { ItemColumns, ScopeSizes } from "./scope.js";
import { DistinctItems, GroupDistributions, GroupTotals, isThin, largestOf, spreadOf, type Spread } from "./stats.js";

export interface StepTime {
  step: string;
  class: StepClass | null;
  /** Stays that began in the step, and the items they belong to. */
  entered: number;
  items: number;
  /** How long finished stays lasted. */
  dwellMs: Spread;
  /** Items in the step now (not completed) and how long they have been in it. */
  wip: number;
  wipAgeMs: Spread;
  thin: boolean;
}

/** An open item's time in its current step against that step's history. */
export interface AgingStep {
  step: string;
  /** Ages in the step of the items in it now, longest first (at most AGING_POINTS of them). */
  agesMs: number[];
  /** Items in the step now. */
  items: number;
  /** Finished stays' percentiles: the bands an age is read against. */
  bandsMs: { p50: number | null; p70: number | null; p85: number | null; p95: number | null };
  /** Items already in the step longer than 85 % of finished stays. */
  beyondP85: number;
}

/** The oldest items a step's aging chart shows: the ones to act on, and an output that stays small. */
export const AGING_POINTS = 500;

export interface StepTimes {
  steps: StepTime[];
  aging: AgingStep[];
}

/** Time in status, item by item: stays entered, finished stays' lengths, and when the open items' current stays began. */
export class StepTimesTally {
  private readonly entered = new GroupTotals();
  private readonly items = new DistinctItems(8);
  private readonly dwell = new GroupDistributions();
  /** Entry times, not ages: an age grows with every scan, the entry time stays put. */
  private readonly openSince = new GroupDistributions();

  apply({ traces, lifecycles }: ItemColumns, item: number, sign: number, pass: number): void {
    const { firstVisit, endVisit, visitStep, enteredAt, exitedAt } = traces;
    const open = Number.isNaN(lifecycles.completedAt[item]!);
    for (let visit = firstVisit[item]!; visit < endVisit[item]!; visit += 1) {
      const step = visitStep[visit]!;
      this.entered.add(step, sign);
      this.items.add(step, pass, sign);
      const exited = exitedAt[visit]!;
      if (!Number.isNaN(exited)) this.dwell.change(step, exited - enteredAt[visit]!, sign);
      else if (open) this.openSince.change(step, enteredAt[visit]!, sign);
    }
  }

  reserve({ stays }: ScopeSizes): void {
    this.dwell.reserve(stays);
  }

  keepSorted(): void {
    this.dwell.keepSorted();
  }

  render({ traces, lifecycles }: ItemColumns, asOf: number): StepTimes {
    const steps: StepTime[] = [];
    const aging: AgingStep[] = [];
    traces.stepNames.forEach((step, id) => {
      const entered = this.entered.of(id);
      if (entered === 0) return;
      const stepAges = Float64Array.from(this.openSince.peek(id).values(), (since) => Math.max(0, asOf - since));
      const dwell = this.dwell.peek(id);
      // One selection gives both the dwell spread and the aging bands.
      const [p50, p70, p85, p95] = dwell.percentiles([50, 70, 85, 95]);
      const items = this.items.countOf(id);
      steps.push({
        step,
        class: lifecycles.stepClasses[id] ?? null,
        entered,
        items,
        dwellMs: { count: dwell.count, p50, p85, p95 },
        wip: stepAges.length,
        wipAgeMs: spreadOf(stepAges),
        thin: isThin(items),
      });
      if (stepAges.length > 0) aging.push(agingOf(step, { p50, p70, p85, p95 }, stepAges));
    });
    steps.sort((a, b) => b.entered - a.entered || a.step.localeCompare(b.step));
    aging.sort((a, b) => b.agesMs.length - a.agesMs.length || a.step.localeCompare(b.step));
    return { steps, aging };
  }
}

function agingOf(step: string, bandsMs: AgingStep["bandsMs"], ages: Float64Array): AgingStep {
  let beyondP85 = 0;
  if (bandsMs.p85 !== null) for (const age of ages) if (age > bandsMs.p85) beyondP85 += 1;
  return { step, agesMs: largestOf(ages, AGING_POINTS), items: ages.length, bandsMs, beyondP85 };
}
