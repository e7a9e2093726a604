import { DAY_MS } from "./event-log.js";
import type { ItemColumns } from "./scope.js";
import type { TraceTable } from "./traces.js";

export interface DailyFlow {
  /** Midnight UTC of the first day; one entry a day from there. */
  firstDay: number;
  days: number;
  /** Items completed each day. */
  throughput: number[];
  /** Per step, the items in it at the end of each day: the bands of a cumulative flow diagram. */
  cumulativeFlow: { step: string; counts: number[] }[];
}

/** Days a cumulative flow diagram covers, ending at the log's end. */
export const FLOW_DAYS = 90;

/**
 * Items completed each day, and per step +1 on the day a stay begins and -1 on the day it
 * ends (an open stay never ends): a running sum gives each day's count. Counted on calendar
 * days since 1970, so the days an output shows can move on with every scan.
 */
export class FlowTally {
  private readonly completions = new DayCounts();
  private readonly stays: (DayCounts | undefined)[] = [];

  apply({ traces, lifecycles }: ItemColumns, item: number, sign: number): void {
    const { firstVisit, endVisit, visitStep, enteredAt, exitedAt } = traces;
    const completedAt = lifecycles.completedAt[item]!;
    if (!Number.isNaN(completedAt)) this.completions.add(dayOf(completedAt), sign);
    for (let visit = firstVisit[item]!; visit < endVisit[item]!; visit += 1) {
      const stays = (this.stays[visitStep[visit]!] ??= new DayCounts());
      stays.add(dayOf(enteredAt[visit]!), sign);
      if (!Number.isNaN(exitedAt[visit]!)) stays.add(dayOf(exitedAt[visit]!), -sign);
    }
  }

  /** The `days` days ending on the day of `asOf`. */
  render({ stepNames }: TraceTable, asOf: number, days = FLOW_DAYS): DailyFlow {
    const lastDay = dayOf(asOf);
    const firstDay = lastDay - (days - 1);
    const throughput: number[] = [];
    for (let day = firstDay; day <= lastDay; day += 1) throughput.push(this.completions.of(day));
    const cumulativeFlow: DailyFlow["cumulativeFlow"] = [];
    this.stays.forEach((stays, step) => {
      if (!stays) return;
      let running = stays.sumBefore(firstDay);
      let any = false;
      const counts: number[] = [];
      for (let day = firstDay; day <= lastDay; day += 1) {
        running += stays.of(day);
        counts.push(running);
        if (running > 0) any = true;
      }
      if (any) cumulativeFlow.push({ step: stepNames[step]!, counts });
    });
    // By step name: the order the items happened to come in must not reorder the bands.
    cumulativeFlow.sort((a, b) => a.step.localeCompare(b.step));
    return { firstDay: firstDay * DAY_MS, days, throughput, cumulativeFlow };
  }
}

/** Days since 1970-01-01 (UTC). */
const dayOf = (at: number): number => Math.floor(at / DAY_MS);

/** A count per day, for any days: the column grows either way as days come. */
class DayCounts {
  private first = 0;
  private counts = new Int32Array(0);

  add(day: number, amount: number): void {
    if (this.counts.length === 0) this.first = day;
    if (day < this.first || day >= this.first + this.counts.length) this.cover(day);
    this.counts[day - this.first]! += amount;
  }

  of(day: number): number {
    return this.counts[day - this.first] ?? 0;
  }

  sumBefore(day: number): number {
    let sum = 0;
    for (let i = 0; i < Math.min(day - this.first, this.counts.length); i += 1) sum += this.counts[i]!;
    return sum;
  }

  /** Room for `day`, with a margin either way so a run of new days does not copy the column each time. */
  private cover(day: number): void {
    const margin = 64 + (this.counts.length >> 1);
    const first = Math.min(this.first, day - (day < this.first ? margin : 0));
    const end = Math.max(this.first + this.counts.length, day + 1 + (day >= this.first ? margin : 0));
    const grown = new Int32Array(end - first);
    grown.set(this.counts, this.first - first);
    this.first = first;
    this.counts = grown;
  }
}
