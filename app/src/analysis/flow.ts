import { DAY_MS } from "./event-log.js";
import type { Scope } from "./scope.js";

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

export function dailyFlowOf(scope: Scope, asOf: number, days = FLOW_DAYS): DailyFlow {
  const { stepNames, firstVisit, visitStep, enteredAt, exitedAt } = scope.traces;
  const { completedAt } = scope.lifecycles;
  const lastDay = Math.floor(asOf / DAY_MS) * DAY_MS;
  const firstDay = lastDay - (days - 1) * DAY_MS;
  const dayIndex = (at: number) => Math.floor((at - firstDay) / DAY_MS);
  const throughput = new Array<number>(days).fill(0);
  // Per step, +1 on the day a stay begins and -1 on the day after it ends; a running sum gives the daily count.
  const deltas: (Int32Array | undefined)[] = stepNames.map(() => undefined);
  for (const item of scope.items) {
    if (!Number.isNaN(completedAt[item]!)) {
      const day = dayIndex(completedAt[item]!);
      if (day >= 0 && day < days) throughput[day]! += 1;
    }
    for (let visit = firstVisit[item]!; visit < firstVisit[item + 1]!; visit += 1) {
      const endDay = Number.isNaN(exitedAt[visit]!) ? days : dayIndex(exitedAt[visit]!);
      if (endDay < 0) continue;
      const startDay = Math.max(0, dayIndex(enteredAt[visit]!));
      if (startDay >= days || endDay <= startDay) continue;
      const delta = (deltas[visitStep[visit]!] ??= new Int32Array(days + 1));
      delta[startDay]! += 1;
      delta[Math.min(endDay, days)]! -= 1;
    }
  }
  const cumulativeFlow: DailyFlow["cumulativeFlow"] = [];
  deltas.forEach((delta, step) => {
    if (!delta) return;
    const counts: number[] = [];
    let running = 0;
    for (let day = 0; day < days; day += 1) {
      running += delta[day]!;
      counts.push(running);
    }
    cumulativeFlow.push({ step: stepNames[step]!, counts });
  });
  // By step name: the order the items happened to come in must not reorder the bands.
  cumulativeFlow.sort((a, b) => a.step.localeCompare(b.step));
  return { firstDay, days, throughput, cumulativeFlow };
}
