import type { BusinessClock } from "./calendar.js";
import type { Scope } from "./scope.js";
import { Float64List, nthSmallest, percentilesOf } from "./stats.js";

export interface DurationPercentiles {
  count: number;
  p50: number | null;
  p70: number | null;
  p85: number | null;
  p95: number | null;
}

export interface CycleTimes {
  leadMs: DurationPercentiles;
  cycleMs: DurationPercentiles;
  /** The same in working time, by the scope's calendar (working days, hours, holidays). */
  businessLeadMs: DurationPercentiles;
  businessCycleMs: DurationPercentiles;
  /** (completion time, cycle time) of the latest completions, oldest first; `of` is how many there were. */
  scatter: { points: [completedAt: number, cycleMs: number][]; of: number };
  flowEfficiency: {
    /** Active time ÷ lead time over all completed items together. */
    overall: number | null;
    perItem: DurationPercentiles;
  };
}

/** The scatter keeps the latest points only: more would not be readable, and the output stays small. */
export const SCATTER_POINTS = 5_000;

export function cycleTimesOf(scope: Scope, clock: BusinessClock): CycleTimes {
  const { createdAt } = scope.traces;
  const { completedAt, startedAt, leadMs, cycleMs, activeMs } = scope.lifecycles;
  const capacity = scope.items.length;
  const lead = new Float64List(capacity);
  const cycle = new Float64List(capacity);
  const businessLead = new Float64List(capacity);
  const businessCycle = new Float64List(capacity);
  const efficiency = new Float64List(capacity);
  let activeTotal = 0;
  let leadTotal = 0;
  for (const item of scope.items) {
    const itemLead = leadMs[item]!;
    if (Number.isNaN(itemLead)) continue;
    lead.push(itemLead);
    businessLead.push(clock.businessMs(createdAt[item]!, completedAt[item]!));
    if (!Number.isNaN(cycleMs[item]!)) {
      cycle.push(cycleMs[item]!);
      businessCycle.push(clock.businessMs(startedAt[item]!, completedAt[item]!));
    }
    if (itemLead > 0) {
      efficiency.push(Math.min(1, activeMs[item]! / itemLead));
      activeTotal += Math.min(activeMs[item]!, itemLead);
      leadTotal += itemLead;
    }
  }
  return {
    leadMs: durationPercentilesOf(lead.values()),
    cycleMs: durationPercentilesOf(cycle.values()),
    businessLeadMs: durationPercentilesOf(businessLead.values()),
    businessCycleMs: durationPercentilesOf(businessCycle.values()),
    scatter: scatterOf(scope),
    flowEfficiency: { overall: leadTotal > 0 ? activeTotal / leadTotal : null, perItem: durationPercentilesOf(efficiency.values()) },
  };
}

/** The percentiles of `values`, which it reorders. */
export function durationPercentilesOf(values: Float64Array): DurationPercentiles {
  const [p50, p70, p85, p95] = percentilesOf(values, [50, 70, 85, 95]);
  return { count: values.length, p50, p70, p85, p95 };
}

/**
 * The SCATTER_POINTS latest (completion, cycle time) points, ordered by both, and how many
 * there were. Only points completed at or after the SCATTER_POINTS-th latest completion can
 * be among them: those are sorted, not all.
 */
function scatterOf(scope: Scope): CycleTimes["scatter"] {
  const { completedAt, cycleMs } = scope.lifecycles;
  const completions = new Float64List(scope.items.length);
  for (const item of scope.items) if (!Number.isNaN(cycleMs[item]!)) completions.push(completedAt[item]!);
  const of = completions.values().length;
  const cutoff = of > SCATTER_POINTS ? nthSmallest(completions.values(), of - SCATTER_POINTS) : Number.NEGATIVE_INFINITY;
  const points: [number, number][] = [];
  for (const item of scope.items) {
    if (!Number.isNaN(cycleMs[item]!) && completedAt[item]! >= cutoff) points.push([completedAt[item]!, cycleMs[item]!]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { points: points.slice(-SCATTER_POINTS), of };
}
