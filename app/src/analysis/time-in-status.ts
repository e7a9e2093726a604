import type { StepClass } from "./classify.js";
import type { Scope } from "./scope.js";
import { DistinctItems, Float64List, isThin, largestOf, percentilesOf, spreadOf, type Spread } from "./stats.js";

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

export function stepTimesOf(scope: Scope, asOf: number): StepTimes {
  const { stepNames, firstVisit, visitStep, enteredAt, exitedAt } = scope.traces;
  const entered = new Int32Array(stepNames.length);
  const items = new DistinctItems(stepNames.length);
  for (const item of scope.items) {
    for (let visit = firstVisit[item]!; visit < firstVisit[item + 1]!; visit += 1) {
      entered[visitStep[visit]!]! += 1;
      items.add(visitStep[visit]!, item);
    }
  }
  // Sized by the stays counted first, so no list grows while hundreds of thousands of values go in.
  const dwell = stepNames.map((_, step) => new Float64List(entered[step]!));
  const ages = stepNames.map((_, step) => new Float64List(entered[step]!));
  for (const item of scope.items) {
    const open = Number.isNaN(scope.lifecycles.completedAt[item]!);
    for (let visit = firstVisit[item]!; visit < firstVisit[item + 1]!; visit += 1) {
      const exited = exitedAt[visit]!;
      if (!Number.isNaN(exited)) dwell[visitStep[visit]!]!.push(exited - enteredAt[visit]!);
      else if (open) ages[visitStep[visit]!]!.push(Math.max(0, asOf - enteredAt[visit]!));
    }
  }
  const steps: StepTime[] = [];
  const aging: AgingStep[] = [];
  stepNames.forEach((step, id) => {
    if (entered[id] === 0) return;
    const stepAges = ages[id]!.values();
    // One selection gives both the dwell spread and the aging bands.
    const [p50, p70, p85, p95] = percentilesOf(dwell[id]!.values(), [50, 70, 85, 95]);
    steps.push({
      step,
      class: scope.lifecycles.stepClasses[id] ?? null,
      entered: entered[id]!,
      items: items.countOf(id),
      dwellMs: { count: dwell[id]!.values().length, p50, p85, p95 },
      wip: stepAges.length,
      wipAgeMs: spreadOf(stepAges),
      thin: isThin(items.countOf(id)),
    });
    if (stepAges.length > 0) aging.push(agingOf(step, { p50, p70, p85, p95 }, stepAges));
  });
  steps.sort((a, b) => b.entered - a.entered || a.step.localeCompare(b.step));
  aging.sort((a, b) => b.agesMs.length - a.agesMs.length || a.step.localeCompare(b.step));
  return { steps, aging };
}

function agingOf(step: string, bandsMs: AgingStep["bandsMs"], ages: Float64Array): AgingStep {
  let beyondP85 = 0;
  if (bandsMs.p85 !== null) for (const age of ages) if (age > bandsMs.p85) beyondP85 += 1;
  return { step, agesMs: largestOf(ages, AGING_POINTS), items: ages.length, bandsMs, beyondP85 };
}
