import { DAY_MS } from "./event-log.js";
import type { ItemColumns, Window } from "./scope.js";

export interface WeekCount {
  /** Monday 00:00 UTC of the week. */
  weekStart: number;
  arrivals: number;
  completions: number;
  /** Of the week's completions, those of items reopened at least once. */
  reopened: number;
  /** The week's completions' active time and lead time, summed: their flow efficiency is the ratio. */
  activeMs: number;
  leadMs: number;
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

/** Counts and rates, item by item; arrivals and completions count where they fall inside `bounds`. */
export class CountsTally {
  private readonly weeks = new Map<number, WeekCount>();
  private items = 0;
  private completed = 0;
  private reopened = 0;
  private assigned = 0;
  private reassigned = 0;

  constructor(private readonly bounds: Window) {}

  apply({ traces, lifecycles }: ItemColumns, item: number, sign: number): void {
    const { createdAt, firstAssignee, endAssignee } = traces;
    const { completedAt, reopens, activeMs, leadMs } = lifecycles;
    this.items += sign;
    if (this.inBounds(createdAt[item]!)) this.week(createdAt[item]!).arrivals += sign;
    if (!Number.isNaN(completedAt[item]!)) {
      this.completed += sign;
      if (reopens[item]! > 0) this.reopened += sign;
      if (this.inBounds(completedAt[item]!)) {
        const week = this.week(completedAt[item]!);
        week.completions += sign;
        if (reopens[item]! > 0) week.reopened += sign;
        // As the flow efficiency of all completions counts them (cycle-time.ts).
        if (leadMs[item]! > 0) {
          week.activeMs += sign * Math.min(activeMs[item]!, leadMs[item]!);
          week.leadMs += sign * leadMs[item]!;
        }
      }
    }
    const assignees = endAssignee[item]! - firstAssignee[item]!;
    if (assignees > 0) this.assigned += sign;
    if (assignees > 1) this.reassigned += sign;
  }

  render(): CountsAndRates {
    const { items, completed, reopened, assigned, reassigned } = this;
    return {
      items,
      completed,
      wip: items - completed,
      weeks: [...this.weeks.values()].filter((week) => week.arrivals > 0 || week.completions > 0).sort((a, b) => a.weekStart - b.weekStart).map((week) => ({ ...week })),
      reopenRate: completed > 0 ? reopened / completed : null,
      reassignmentRate: assigned > 0 ? reassigned / assigned : null,
    };
  }

  private inBounds(at: number): boolean {
    return at >= this.bounds.from && at <= this.bounds.to;
  }

  private week(at: number): WeekCount {
    const start = weekStartOf(at);
    let entry = this.weeks.get(start);
    if (!entry) {
      entry = { weekStart: start, arrivals: 0, completions: 0, reopened: 0, activeMs: 0, leadMs: 0 };
      this.weeks.set(start, entry);
    }
    return entry;
  }
}
