import type { EventLog, LogEvent } from "../event-log.js";

/** A step event: the item entered the step (status or activity) `to`. */
export type StepEvent = LogEvent & { kind: "step"; to: string };

/** Exports yield text in pieces about this long, never the whole file at once. */
export const EXPORT_CHUNK_CHARS = 64 * 1024;

/** What an export writes: the step events, in log order. A status log's other events have no activity. */
export function isStepEvent(event: LogEvent): event is StepEvent {
  return event.kind === "step" && event.to !== null;
}

/** The step events of each item, items in the order of their first step. */
export function stepsByItem(log: EventLog): Map<string, StepEvent[]> {
  const byItem = new Map<string, StepEvent[]>();
  for (const event of log.events) {
    if (!isStepEvent(event)) continue;
    const steps = byItem.get(event.item);
    if (steps === undefined) byItem.set(event.item, [event]);
    else steps.push(event);
  }
  return byItem;
}
