import type { Scope } from "./scope.js";
import { DistinctItems, isThin } from "./stats.js";

export interface ReworkLoop {
  from: string;
  to: string;
  kind: "back" | "self";
  count: number;
  items: number;
  thin: boolean;
}

export interface Rework {
  /** Items that went back to a step they had already left, or repeated a step. */
  itemsWithRework: number;
  itemsReopened: number;
  reopens: number;
  loops: ReworkLoop[];
}

/**
 * Back-transitions: entering a step the item had been in before (not the one it is
 * leaving); self-loops: entering the step it is in. Reopens come from the lifecycle rules.
 */
export function reworkOf(scope: Scope): Rework {
  const { stepNames, transitions, firstVisit, visitStep, transitionOut } = scope.traces;
  const counts = new Int32Array(transitions.size);
  const loopItems = new DistinctItems(transitions.size);
  // The last item that entered each step: whether the current item was in it before is one comparison.
  const lastItemIn = new Int32Array(stepNames.length).fill(-1);
  let itemsWithRework = 0;
  let itemsReopened = 0;
  let reopens = 0;
  for (const item of scope.items) {
    let reworked = false;
    for (let visit = firstVisit[item]!; visit < firstVisit[item + 1]!; visit += 1) {
      const step = visitStep[visit]!;
      if (lastItemIn[step] === item) {
        reworked = true;
        // Entering this stay is the transition out of the previous one.
        const loop = transitionOut[visit - 1]!;
        counts[loop]! += 1;
        loopItems.add(loop, item);
      }
      lastItemIn[step] = item;
    }
    if (reworked) itemsWithRework += 1;
    const itemReopens = scope.lifecycles.reopens[item]!;
    if (itemReopens > 0) itemsReopened += 1;
    reopens += itemReopens;
  }
  const loops: ReworkLoop[] = [];
  counts.forEach((count, loop) => {
    if (count === 0) return;
    const from = transitions.first[loop]!;
    const to = transitions.second[loop]!;
    const items = loopItems.countOf(loop);
    loops.push({ from: stepNames[from]!, to: stepNames[to]!, kind: from === to ? "self" : "back", count, items, thin: isThin(items) });
  });
  loops.sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { itemsWithRework, itemsReopened, reopens, loops };
}
