/**
 * The analysis input: one scope's event log, in memory, with times as epoch milliseconds
 * (numbers, not Dates: a million events are sorted and subtracted many times).
 *
 * A log is read either from stored work items and events (steps are statuses) or from an
 * imported process-mining file (steps are activities). Item and actor keys are opaque: the
 * analysis never needs to know what they name.
 */
export type StepSource = "status" | "activity";

export interface LogItem {
  /** Unique within the log. */
  key: string;
  /** When the item was created, when the source says. */
  createdAt: number | null;
  type: string | null;
  priority: string | null;
  labels: readonly string[];
  /** The step the item is in now, as the source reports it (used when no event names it). */
  currentStep: string | null;
  /** The assignee now, as the source reports it. */
  currentAssignee: string | null;
  /** Where the item lives: its project, repository or queue (none for an imported log). */
  container?: string | null;
}

export type LogEventKind =
  /** The item entered the step `to` (a status change, or an activity for imported logs). */
  | "step"
  | "created"
  | "assigned"
  | "priority"
  | "labeled"
  | "unlabeled"
  | "closed"
  | "reopened";

export interface LogEvent {
  item: string;
  at: number;
  kind: LogEventKind;
  from: string | null;
  to: string | null;
  actor: string | null;
}

export interface EventLog {
  stepSource: StepSource;
  items: readonly LogItem[];
  events: readonly LogEvent[];
  /** When the log was read: "now" for WIP ages and open steps. */
  asOf: number;
}

export const DAY_MS = 86_400_000;

/**
 * The log as it stood at `at`: later events left out, and each item's current step and
 * assignee set back to what its first left-out change moved it from. A window that ends
 * before the log does must not count work finished after its end.
 */
export function logAsOf(log: EventLog, at: number): EventLog {
  if (at >= log.asOf) return log;
  const firstLater = new Map<string, { step?: LogEvent; assigned?: LogEvent }>();
  const events: LogEvent[] = [];
  for (const event of log.events) {
    if (event.at <= at) {
      events.push(event);
      continue;
    }
    const later = firstLater.get(event.item) ?? {};
    // Events may come in any order: the earliest later change says what held at `at`.
    if (event.kind === "step" && (!later.step || event.at < later.step.at)) later.step = event;
    if (event.kind === "assigned" && (!later.assigned || event.at < later.assigned.at)) later.assigned = event;
    firstLater.set(event.item, later);
  }
  const items = log.items.map((item) => {
    const later = firstLater.get(item.key);
    if (!later) return item;
    return {
      ...item,
      currentStep: later.step ? (later.step.from ?? item.currentStep) : item.currentStep,
      currentAssignee: later.assigned ? later.assigned.from : item.currentAssignee,
    };
  });
  return { ...log, items, events, asOf: at };
}
