import type { BusinessClock } from "./calendar.js";
import type { ItemLifecycle } from "./lifecycle.js";
import { percentile, sortedValues } from "./stats.js";

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

export function cycleTimesOf(lifecycles: readonly ItemLifecycle[], clock: BusinessClock): CycleTimes {
  const lead: number[] = [];
  const cycle: number[] = [];
  const businessLead: number[] = [];
  const businessCycle: number[] = [];
  const efficiency: number[] = [];
  const points: [number, number][] = [];
  let activeTotal = 0;
  let leadTotal = 0;
  for (const lifecycle of lifecycles) {
    if (lifecycle.leadMs === null) continue;
    lead.push(lifecycle.leadMs);
    businessLead.push(clock.businessMs(lifecycle.trace.createdAt, lifecycle.completedAt!));
    if (lifecycle.cycleMs !== null) {
      cycle.push(lifecycle.cycleMs);
      businessCycle.push(clock.businessMs(lifecycle.startedAt!, lifecycle.completedAt!));
      points.push([lifecycle.completedAt!, lifecycle.cycleMs]);
    }
    if (lifecycle.leadMs > 0) {
      efficiency.push(Math.min(1, lifecycle.activeMs / lifecycle.leadMs));
      activeTotal += Math.min(lifecycle.activeMs, lifecycle.leadMs);
      leadTotal += lifecycle.leadMs;
    }
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    leadMs: percentilesOf(lead),
    cycleMs: percentilesOf(cycle),
    businessLeadMs: percentilesOf(businessLead),
    businessCycleMs: percentilesOf(businessCycle),
    scatter: { points: points.slice(-SCATTER_POINTS), of: points.length },
    flowEfficiency: { overall: leadTotal > 0 ? activeTotal / leadTotal : null, perItem: percentilesOf(efficiency) },
  };
}

export function percentilesOf(values: readonly number[]): DurationPercentiles {
  const sorted = sortedValues(values);
  return { count: sorted.length, p50: percentile(sorted, 50), p70: percentile(sorted, 70), p85: percentile(sorted, 85), p95: percentile(sorted, 95) };
}
