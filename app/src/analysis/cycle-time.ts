import type { BusinessClock } from "./calendar.js";
import type { ItemColumns, Scope, ScopeSizes } from "./scope.js";
import { Distribution } from "./stats.js";

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

/**
 * Lead and cycle times, in calendar and working time, and flow efficiency, item by item.
 * The totals are sums of whole milliseconds, exact in any order while they stay below 2^53
 * (some 285,000 years of item-time), so taking an item back leaves them as if it never came.
 */
export class CycleTimesTally {
  private readonly lead = new Distribution();
  private readonly cycle = new Distribution();
  private readonly businessLead = new Distribution();
  private readonly businessCycle = new Distribution();
  private readonly efficiency = new Distribution();
  /** When the items with a cycle time were completed: the scatter shows the latest of them. */
  private readonly completions = new Distribution();
  private activeTotal = 0;
  private leadTotal = 0;

  constructor(private readonly clock: BusinessClock) {}

  apply({ traces, lifecycles }: ItemColumns, item: number, sign: number): void {
    const { completedAt, startedAt, leadMs, cycleMs, activeMs } = lifecycles;
    const itemLead = leadMs[item]!;
    if (Number.isNaN(itemLead)) return;
    this.lead.change(itemLead, sign);
    this.businessLead.change(this.clock.businessMs(traces.createdAt[item]!, completedAt[item]!), sign);
    if (!Number.isNaN(cycleMs[item]!)) {
      this.cycle.change(cycleMs[item]!, sign);
      this.completions.change(completedAt[item]!, sign);
      this.businessCycle.change(this.clock.businessMs(startedAt[item]!, completedAt[item]!), sign);
    }
    if (itemLead > 0) {
      this.efficiency.change(Math.min(1, activeMs[item]! / itemLead), sign);
      this.activeTotal += sign * Math.min(activeMs[item]!, itemLead);
      this.leadTotal += sign * itemLead;
    }
  }

  reserve({ items }: ScopeSizes): void {
    for (const distribution of [this.lead, this.cycle, this.businessLead, this.businessCycle, this.efficiency, this.completions]) distribution.reserve(items);
  }

  keepSorted(): void {
    for (const distribution of [this.lead, this.cycle, this.businessLead, this.businessCycle, this.efficiency, this.completions]) distribution.keepSorted();
  }

  /**
   * The SCATTER_POINTS latest (completion, cycle time) points, ordered by both, and how many
   * there were. Only points completed at or after the SCATTER_POINTS-th latest completion can
   * be among them: those are sorted, not all.
   */
  private scatterOf({ items, lifecycles }: Scope): CycleTimes["scatter"] {
    const { completedAt, cycleMs } = lifecycles;
    const of = this.completions.count;
    const cutoff = of > SCATTER_POINTS ? this.completions.at(of - SCATTER_POINTS) : Number.NEGATIVE_INFINITY;
    const points: [number, number][] = [];
    for (const item of items) {
      if (!Number.isNaN(cycleMs[item]!) && completedAt[item]! >= cutoff) points.push([completedAt[item]!, cycleMs[item]!]);
    }
    points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return { points: points.slice(-SCATTER_POINTS), of };
  }

  render(scope: Scope): CycleTimes {
    return {
      leadMs: durationPercentilesOf(this.lead),
      cycleMs: durationPercentilesOf(this.cycle),
      businessLeadMs: durationPercentilesOf(this.businessLead),
      businessCycleMs: durationPercentilesOf(this.businessCycle),
      scatter: this.scatterOf(scope),
      flowEfficiency: { overall: this.leadTotal > 0 ? this.activeTotal / this.leadTotal : null, perItem: durationPercentilesOf(this.efficiency) },
    };
  }
}

export function durationPercentilesOf(values: Distribution): DurationPercentiles {
  const [p50, p70, p85, p95] = values.percentiles([50, 70, 85, 95]);
  return { count: values.count, p50, p70, p85, p95 };
}

