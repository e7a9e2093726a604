import type { ItemColumns } from "./scope.js";
import type { TraceTable } from "./traces.js";
import { DistinctItems, GroupTotals, isThin } from "./stats.js";

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
export class ReworkTally {
  private readonly counts = new GroupTotals();
  private readonly loopItems = new DistinctItems(8);
  /** The pass in which each step was last entered: whether the current item was in it before is one comparison. */
  private lastPassIn = new Int32Array(8).fill(-1);
  private itemsWithRework = 0;
  private itemsReopened = 0;
  private reopens = 0;

  apply({ traces, lifecycles }: ItemColumns, item: number, sign: number, pass: number): void {
    const { stepNames, firstVisit, endVisit, visitStep, transitionOut } = traces;
    if (this.lastPassIn.length < stepNames.length) this.growSteps(stepNames.length);
    let reworked = false;
    for (let visit = firstVisit[item]!; visit < endVisit[item]!; visit += 1) {
      const step = visitStep[visit]!;
      if (this.lastPassIn[step] === pass) {
        reworked = true;
        // Entering this stay is the transition out of the previous one.
        const loop = transitionOut[visit - 1]!;
        this.counts.add(loop, sign);
        this.loopItems.add(loop, pass, sign);
      }
      this.lastPassIn[step] = pass;
    }
    if (reworked) this.itemsWithRework += sign;
    const itemReopens = lifecycles.reopens[item]!;
    if (itemReopens > 0) this.itemsReopened += sign;
    this.reopens += sign * itemReopens;
  }

  render({ stepNames, transitions }: TraceTable): Rework {
    const loops: ReworkLoop[] = [];
    for (let loop = 0; loop < transitions.size; loop += 1) {
      const count = this.counts.of(loop);
      if (count === 0) continue;
      const from = transitions.first[loop]!;
      const to = transitions.second[loop]!;
      const items = this.loopItems.countOf(loop);
      loops.push({ from: stepNames[from]!, to: stepNames[to]!, kind: from === to ? "self" : "back", count, items, thin: isThin(items) });
    }
    loops.sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
    return { itemsWithRework: this.itemsWithRework, itemsReopened: this.itemsReopened, reopens: this.reopens, loops };
  }

  private growSteps(steps: number): void {
    const grown = new Int32Array(Math.max(steps, this.lastPassIn.length * 2)).fill(-1);
    grown.set(this.lastPassIn);
    this.lastPassIn = grown;
  }
}
