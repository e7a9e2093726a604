import { DAY_MS } from "./event-log.js";
import type { Scope } from "./scope.js";

export interface WeekCount {
  /** Monday 00:00 UTC of the week. */
  weekStart: number;
  arrivals: number;
  completions: number;
}

export interface CountsAndRates {
  items: number;
  completed: number;
  wip: number;
  weeks: WeekCount[];
  /** Completed items that were reopened at least once ÷ completed items. */
  reopenRate: number | null;
  /** Items handed from one person to another at least once ÷ items that were ever assigned. */
  reassignmentRate: number | null;
}

const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday; weeks start on Monday. */
const MONDAY_OFFSET_MS = 4 * DAY_MS;

export const weekStartOf = (at: number): number => Math.floor((at - MONDAY_OFFSET_MS) / WEEK_MS) * WEEK_MS + MONDAY_OFFSET_MS;

export function countsOf(scope: Scope, window: { from: number; to: number }): CountsAndRates {
  const weeks = new Map<number, WeekCount>();
  const week = (at: number) => {
    const start = weekStartOf(at);
    let entry = weeks.get(start);
    if (!entry) {
      entry = { weekStart: start, arrivals: 0, completions: 0 };
      weeks.set(start, entry);
    }
    return entry;
  };
  let completed = 0;
  let reopened = 0;
  let assigned = 0;
  let reassigned = 0;
  const { createdAt, firstAssignee } = scope.traces;
  const { completedAt, reopens } = scope.lifecycles;
  const inWindow = (at: number) => at >= window.from && at <= window.to;
  for (const item of scope.items) {
    if (inWindow(createdAt[item]!)) week(createdAt[item]!).arrivals += 1;
    if (!Number.isNaN(completedAt[item]!)) {
      completed += 1;
      if (reopens[item]! > 0) reopened += 1;
      if (inWindow(completedAt[item]!)) week(completedAt[item]!).completions += 1;
    }
    const assignees = firstAssignee[item + 1]! - firstAssignee[item]!;
    if (assignees > 0) assigned += 1;
    if (assignees > 1) reassigned += 1;
  }
  return {
    items: scope.items.length,
    completed,
    wip: scope.items.length - completed,
    weeks: [...weeks.values()].sort((a, b) => a.weekStart - b.weekStart),
    reopenRate: completed > 0 ? reopened / completed : null,
    reassignmentRate: assigned > 0 ? reassigned / assigned : null,
  };
}
