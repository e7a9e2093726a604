import type { StepSource } from "./event-log.js";
import type { StepClass, StepClassifier } from "./classify.js";
import type { ItemTrace, StepVisit } from "./traces.js";

/**
 * When an item was done, when work on it began, and how much of its life was active work.
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
 */
export interface ItemLifecycle {
  trace: ItemTrace;
  completedAt: number | null;
  startedAt: number | null;
  leadMs: number | null;
  cycleMs: number | null;
  activeMs: number;
  reopens: number;
  /** Each visit's class (null: unclassified), in visit order. */
  classes: (StepClass | null)[];
}

export function lifecycleOf(trace: ItemTrace, source: StepSource, classifier: StepClassifier, asOf: number): ItemLifecycle {
  const classes = trace.visits.map((visit) => classifier.classify(visit.step));
  const completedAt = source === "activity" ? (trace.visits.at(-1)?.enteredAt ?? null) : completionOf(trace.visits, classes);
  const startIndex = classes.findIndex((stepClass) => stepClass?.waitClass === "active_work");
  const startedAt = startIndex >= 0 && (completedAt === null || trace.visits[startIndex]!.enteredAt <= completedAt) ? trace.visits[startIndex]!.enteredAt : null;
  const until = completedAt ?? asOf;
  let activeMs = 0;
  trace.visits.forEach((visit, index) => {
    if (classes[index]?.waitClass !== "active_work") return;
    activeMs += Math.max(0, Math.min(visit.exitedAt ?? until, until) - visit.enteredAt);
  });
  return {
    trace,
    completedAt,
    startedAt,
    leadMs: completedAt === null ? null : completedAt - trace.createdAt,
    cycleMs: completedAt === null || startedAt === null ? null : completedAt - startedAt,
    activeMs,
    reopens: Math.max(trace.reopenedAt.length, reopensByStep(classes)),
    classes,
  };
}

function completionOf(visits: readonly StepVisit[], classes: readonly (StepClass | null)[]): number | null {
  let index = visits.length - 1;
  if (index < 0 || classes[index]?.category !== "done") return null;
  while (index > 0 && classes[index - 1]?.category === "done") index -= 1;
  return visits[index]!.enteredAt;
}

function reopensByStep(classes: readonly (StepClass | null)[]): number {
  let reopens = 0;
  for (let i = 1; i < classes.length; i += 1) {
    if (classes[i - 1]?.category === "done" && classes[i] && classes[i]!.category !== "done") reopens += 1;
  }
  return reopens;
}

/** How long a stay lasted, counting an open one up to `asOf`. */
export const visitMs = (visit: StepVisit, asOf: number): number => Math.max(0, (visit.exitedAt ?? asOf) - visit.enteredAt);
