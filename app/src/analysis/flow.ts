import { DAY_MS } from "./event-log.js";
import type { ItemLifecycle } from "./lifecycle.js";

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

export function dailyFlowOf(lifecycles: readonly ItemLifecycle[], asOf: number, days = FLOW_DAYS): DailyFlow {
  const lastDay = Math.floor(asOf / DAY_MS) * DAY_MS;
  const firstDay = lastDay - (days - 1) * DAY_MS;
  const dayIndex = (at: number) => Math.floor((at - firstDay) / DAY_MS);
  const throughput = new Array<number>(days).fill(0);
  // Per step, +1 on the day a stay begins and -1 on the day after it ends; a running sum gives the daily count.
  const deltas = new Map<string, Int32Array>();
  for (const lifecycle of lifecycles) {
    if (lifecycle.completedAt !== null) {
      const day = dayIndex(lifecycle.completedAt);
      if (day >= 0 && day < days) throughput[day]! += 1;
    }
    for (const visit of lifecycle.trace.visits) {
      const endDay = visit.exitedAt === null ? days : dayIndex(visit.exitedAt);
      if (endDay < 0) continue;
      const startDay = Math.max(0, dayIndex(visit.enteredAt));
      if (startDay >= days || endDay <= startDay) continue;
      let delta = deltas.get(visit.step);
      if (!delta) {
        delta = new Int32Array(days + 1);
        deltas.set(visit.step, delta);
      }
      delta[startDay]! += 1;
      delta[Math.min(endDay, days)]! -= 1;
    }
  }
  const cumulativeFlow = [...deltas].map(([step, delta]) => {
    const counts: number[] = [];
    let running = 0;
    for (let day = 0; day < days; day += 1) {
      running += delta[day]!;
      counts.push(running);
    }
    return { step, counts };
  });
  // By step name: the order the items happened to come in must not reorder the bands.
  cumulativeFlow.sort((a, b) => a.step.localeCompare(b.step));
  return { firstDay, days, throughput, cumulativeFlow };
}
