import type { StepSource } from "./event-log.js";
import type { StepClass, StepClassifier } from "./classify.js";
import type { TraceTable } from "./traces.js";

/**
 * When each item was done, when work on it began, and how much of its life was active work.
 *
 * Rules (the same for every source):
 * - Completed: the item's last stay is in a done step (or, for an activity log, the case
 *   has ended). It completed when it entered the first of its final run of done steps, so
 *   "Resolved → Closed" completes at Resolved; the wait for the auto-close comes after.
 * - Reopened: each time it left a done step for a step that is not done, or a reopened
 *   event after a closed one, whichever counts more. A reopened item's earlier completion
 *   does not count: lead and cycle time run to the final completion, pauses included.
 * - Lead time: creation → completion. Cycle time: first entry into an active-work step →
 *   completion; null for an item completed without ever being worked (closed as a duplicate).
 * - Active time: the time spent in active-work steps before completion. Flow efficiency is
 *   active time ÷ lead time.
 *
 * Columns indexed by item, like the traces; NaN stands for null (not completed, never started).
 */
export interface Lifecycles {
  /** Per step id: its class, or null when nothing classifies it. */
  stepClasses: readonly (StepClass | null)[];
  completedAt: Float64Array;
  startedAt: Float64Array;
  leadMs: Float64Array;
  cycleMs: Float64Array;
  activeMs: Float64Array;
  reopens: Int32Array;
}

export function lifecyclesOf(traces: TraceTable, source: StepSource, classifier: StepClassifier, asOf: number): Lifecycles {
  const stepClasses = traces.stepNames.map((step) => classifier.classify(step));
  const done = Uint8Array.from(stepClasses, (stepClass) => (stepClass?.category === "done" ? 1 : 0));
  const active = Uint8Array.from(stepClasses, (stepClass) => (stepClass?.waitClass === "active_work" ? 1 : 0));
  const { firstVisit, endVisit, visitStep, enteredAt, exitedAt, createdAt } = traces;
  const items = traces.items.length;
  const lifecycles: Lifecycles = {
    stepClasses,
    completedAt: new Float64Array(items),
    startedAt: new Float64Array(items),
    leadMs: new Float64Array(items),
    cycleMs: new Float64Array(items),
    activeMs: new Float64Array(items),
    reopens: new Int32Array(items),
  };
  for (let item = 0; item < items; item += 1) {
    const first = firstVisit[item]!;
    const end = endVisit[item]!;
    const completedAt = source === "activity" ? lastEntry(enteredAt, first, end) : completionOf(traces, done, first, end);
    let startedAt = Number.NaN;
    for (let visit = first; visit < end; visit += 1) {
      if (!active[visitStep[visit]!]) continue;
      if (Number.isNaN(completedAt) || enteredAt[visit]! <= completedAt) startedAt = enteredAt[visit]!;
      break;
    }
    const until = Number.isNaN(completedAt) ? asOf : completedAt;
    let activeMs = 0;
    for (let visit = first; visit < end; visit += 1) {
      if (!active[visitStep[visit]!]) continue;
      const exited = exitedAt[visit]!;
      activeMs += Math.max(0, Math.min(Number.isNaN(exited) ? until : exited, until) - enteredAt[visit]!);
    }
    lifecycles.completedAt[item] = completedAt;
    lifecycles.startedAt[item] = startedAt;
    // NaN in, NaN out: no completion or no start gives no lead or cycle time.
    lifecycles.leadMs[item] = completedAt - createdAt[item]!;
    lifecycles.cycleMs[item] = completedAt - startedAt;
    lifecycles.activeMs[item] = activeMs;
    lifecycles.reopens[item] = Math.max(traces.reopenEvents[item]!, reopensByStep(visitStep, stepClasses, done, first, end));
  }
  return lifecycles;
}

const lastEntry = (enteredAt: Float64Array, first: number, end: number): number => (end > first ? enteredAt[end - 1]! : Number.NaN);

function completionOf(traces: TraceTable, done: Uint8Array, first: number, end: number): number {
  let visit = end - 1;
  if (visit < first || !done[traces.visitStep[visit]!]) return Number.NaN;
  while (visit > first && done[traces.visitStep[visit - 1]!]) visit -= 1;
  return traces.enteredAt[visit]!;
}

function reopensByStep(visitStep: Int32Array, stepClasses: readonly (StepClass | null)[], done: Uint8Array, first: number, end: number): number {
  let reopens = 0;
  for (let visit = first + 1; visit < end; visit += 1) {
    if (done[visitStep[visit - 1]!] && stepClasses[visitStep[visit]!] !== null && !done[visitStep[visit]!]) reopens += 1;
  }
  return reopens;
}
