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
