import type { ItemLifecycle } from "./lifecycle.js";
import { PairMap } from "./pair-map.js";
import { isThin } from "./stats.js";

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
export function reworkOf(lifecycles: readonly ItemLifecycle[]): Rework {
  const loops = new PairMap<ReworkLoop & { lastItem: ItemLifecycle | null }>();
  let itemsWithRework = 0;
  let itemsReopened = 0;
  let reopens = 0;
  for (const lifecycle of lifecycles) {
    const visits = lifecycle.trace.visits;
    // Steps are few per item: an array beats a Set per item.
    const seen: string[] = [];
    let reworked = false;
    visits.forEach((visit, index) => {
      const previous = visits[index - 1];
      if (previous) {
        const kind = previous.step === visit.step ? "self" : seen.includes(visit.step) ? "back" : null;
        if (kind) {
          reworked = true;
          const loop = loops.getOrCreate(previous.step, visit.step, () => ({ from: previous.step, to: visit.step, kind, count: 0, items: 0, thin: false, lastItem: null }));
          loop.count += 1;
          if (loop.lastItem !== lifecycle) {
            loop.lastItem = lifecycle;
            loop.items += 1;
          }
        }
      }
      seen.push(visit.step);
    });
    if (reworked) itemsWithRework += 1;
    if (lifecycle.reopens > 0) itemsReopened += 1;
    reopens += lifecycle.reopens;
  }
  const ranked = [...loops.values()]
    .map(({ lastItem: _lastItem, ...loop }) => ({ ...loop, thin: isThin(loop.items) }))
    .sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { itemsWithRework, itemsReopened, reopens, loops: ranked };
}
