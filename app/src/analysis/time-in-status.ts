import type { StepClass } from "./classify.js";
import type { ItemLifecycle } from "./lifecycle.js";
import { isThin, percentile, sortedValues, spreadOf, type Spread } from "./stats.js";

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

export function stepTimesOf(lifecycles: readonly ItemLifecycle[], asOf: number): StepTimes {
  const byStep = new Map<string, { class: StepClass | null; dwell: number[]; ages: number[]; entered: number; items: number; lastItem: ItemLifecycle | null }>();
  for (const lifecycle of lifecycles) {
    const visits = lifecycle.trace.visits;
    visits.forEach((visit, index) => {
      let entry = byStep.get(visit.step);
      if (!entry) {
        entry = { class: lifecycle.classes[index] ?? null, dwell: [], ages: [], entered: 0, items: 0, lastItem: null };
        byStep.set(visit.step, entry);
      }
      entry.entered += 1;
      if (entry.lastItem !== lifecycle) {
        entry.lastItem = lifecycle;
        entry.items += 1;
      }
      if (visit.exitedAt !== null) entry.dwell.push(visit.exitedAt - visit.enteredAt);
      else if (lifecycle.completedAt === null) entry.ages.push(Math.max(0, asOf - visit.enteredAt));
    });
  }
  const steps: StepTime[] = [];
  const aging: AgingStep[] = [];
  for (const [step, entry] of byStep) {
    steps.push({
      step,
      class: entry.class,
      entered: entry.entered,
      items: entry.items,
      dwellMs: spreadOf(entry.dwell),
      wip: entry.ages.length,
      wipAgeMs: spreadOf(entry.ages),
      thin: isThin(entry.items),
    });
    if (entry.ages.length > 0) aging.push(agingOf(step, entry.dwell, entry.ages));
  }
  steps.sort((a, b) => b.entered - a.entered || a.step.localeCompare(b.step));
  aging.sort((a, b) => b.agesMs.length - a.agesMs.length || a.step.localeCompare(b.step));
  return { steps, aging };
}

function agingOf(step: string, dwell: readonly number[], ages: number[]): AgingStep {
  const history = sortedValues(dwell);
  const bandsMs = { p50: percentile(history, 50), p70: percentile(history, 70), p85: percentile(history, 85), p95: percentile(history, 95) };
  const agesMs = [...ages].sort((a, b) => b - a);
  const beyondP85 = bandsMs.p85 === null ? 0 : agesMs.filter((age) => age > bandsMs.p85!).length;
  return { step, agesMs: agesMs.slice(0, AGING_POINTS), items: ages.length, bandsMs, beyondP85 };
}
