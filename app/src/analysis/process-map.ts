import type { Scope } from "./scope.js";
import { DistinctItems, Float64List, isThin, spreadOf, type Spread } from "./stats.js";

export interface StepNode {
  step: string;
  /** Stays in the step (an item entering it twice counts twice). */
  visits: number;
  /** Items that were ever in the step. */
  items: number;
  /** Items that began in it; items whose final step it is (completed items only). */
  starts: number;
  ends: number;
}

/** A directly-follows edge: items that entered `to` straight from `from`, and how long they had stayed in `from`. */
export interface Transition {
  from: string;
  to: string;
  count: number;
  items: number;
  durationMs: Spread;
  thin: boolean;
}

export interface ProcessMap {
  steps: StepNode[];
  transitions: Transition[];
}

export function processMapOf(scope: Scope): ProcessMap {
  const { stepNames, transitions, firstVisit, visitStep, enteredAt, transitionOut } = scope.traces;
  const visits = new Int32Array(stepNames.length);
  const stepItems = new DistinctItems(stepNames.length);
  const starts = new Int32Array(stepNames.length);
  const ends = new Int32Array(stepNames.length);
  const counts = new Int32Array(transitions.size);
  const transitionItems = new DistinctItems(transitions.size);
  for (const item of scope.items) {
    const first = firstVisit[item]!;
    const end = firstVisit[item + 1]!;
    if (first === end) continue;
    starts[visitStep[first]!]! += 1;
    for (let visit = first; visit < end; visit += 1) {
      visits[visitStep[visit]!]! += 1;
      stepItems.add(visitStep[visit]!, item);
      const transition = transitionOut[visit]!;
      if (transition < 0) continue;
      counts[transition]! += 1;
      transitionItems.add(transition, item);
    }
    if (!Number.isNaN(scope.lifecycles.completedAt[item]!)) ends[visitStep[end - 1]!]! += 1;
  }
  // Sized by the transitions counted first, so no list grows while hundreds of thousands of values go in.
  const durations = transitions.first.map((_, transition) => new Float64List(counts[transition]!));
  for (const item of scope.items) {
    for (let visit = firstVisit[item]!; visit < firstVisit[item + 1]!; visit += 1) {
      const transition = transitionOut[visit]!;
      if (transition >= 0) durations[transition]!.push(enteredAt[visit + 1]! - enteredAt[visit]!);
    }
  }
  const steps: StepNode[] = [];
  stepNames.forEach((step, id) => {
    if (visits[id]! > 0) steps.push({ step, visits: visits[id]!, items: stepItems.countOf(id), starts: starts[id]!, ends: ends[id]! });
  });
  const edges: Transition[] = [];
  durations.forEach((list, id) => {
    if (counts[id] === 0) return;
    const items = transitionItems.countOf(id);
    edges.push({ from: stepNames[transitions.first[id]!]!, to: stepNames[transitions.second[id]!]!, count: counts[id]!, items, durationMs: spreadOf(list.values()), thin: isThin(items) });
  });
  edges.sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  steps.sort((a, b) => b.visits - a.visits || a.step.localeCompare(b.step));
  return { steps, transitions: edges };
}
