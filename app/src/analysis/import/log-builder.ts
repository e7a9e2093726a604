import type { EventLog, LogEvent, LogItem } from "../event-log.js";
import { ImportError } from "./result.js";

/**
 * Collects an imported log's events by case and builds the EventLog: cases ordered by id,
 * each case's events by time (stable, so file order breaks ties), equal events merged.
 */
export class LogBuilder {
  private readonly eventsByCase = new Map<string, LogEvent[]>();
  // Rows of one case usually follow each other: skip the map lookup for them.
  private lastCaseId: string | null = null;
  private lastCaseEvents: LogEvent[] = [];

  /** The events of a case so far, to append to (in file order). */
  eventsOf(caseId: string): LogEvent[] {
    if (caseId === this.lastCaseId) return this.lastCaseEvents;
    let events = this.eventsByCase.get(caseId);
    if (events === undefined) {
      events = [];
      this.eventsByCase.set(caseId, events);
    }
    this.lastCaseId = caseId;
    this.lastCaseEvents = events;
    return events;
  }

  /** Throws an ImportError when no event was collected: an empty log is not worth analysing. */
  build(): { log: EventLog; duplicateEvents: number } {
    const caseIds = [...this.eventsByCase.keys()].sort();
    const items: LogItem[] = [];
    const events: LogEvent[] = [];
    let duplicateEvents = 0;
    let asOf = -Infinity;
    for (const caseId of caseIds) {
      items.push({ key: caseId, createdAt: null, type: null, priority: null, labels: [], currentStep: null, currentAssignee: null });
      const caseEvents = this.eventsByCase.get(caseId) ?? [];
      const order = timeOrder(caseEvents);
      if (order === "unsorted") caseEvents.sort((a, b) => a.at - b.at);
      if (order === "strictly increasing") for (const event of caseEvents) events.push(event);
      else duplicateEvents += appendDistinct(caseEvents, events);
      asOf = Math.max(asOf, caseEvents[caseEvents.length - 1]?.at ?? asOf);
    }
    if (events.length === 0) throw new ImportError("The file has no events that could be imported.");
    return { log: { stepSource: "activity", items, events, asOf }, duplicateEvents };
  }
}

/** Most cases come in time order without ties: they need neither sorting nor a duplicate check. */
function timeOrder(events: readonly LogEvent[]): "strictly increasing" | "increasing" | "unsorted" {
  let order: "strictly increasing" | "increasing" = "strictly increasing";
  for (let index = 1; index < events.length; index++) {
    const step = events[index]!.at - events[index - 1]!.at;
    if (step < 0) return "unsorted";
    if (step === 0) order = "increasing";
  }
  return order;
}

/**
 * Appends one case's time-ordered events to `target`, leaving out any equal to an earlier one
 * (same time, activity and resource). Returns how many were left out.
 */
function appendDistinct(caseEvents: readonly LogEvent[], target: LogEvent[]): number {
  let duplicates = 0;
  let runStart = target.length;
  // Only events at the same time can be equal; their identities are built only for such runs.
  let runIdentities: Set<string> | null = null;
  for (const event of caseEvents) {
    const first = target[runStart];
    if (first !== undefined && first.at !== event.at) {
      runStart = target.length;
      runIdentities = null;
    } else if (first !== undefined) {
      runIdentities ??= new Set(target.slice(runStart).map(identity));
      const key = identity(event);
      if (runIdentities.has(key)) {
        duplicates++;
        continue;
      }
      runIdentities.add(key);
    }
    target.push(event);
  }
  return duplicates;
}

function identity(event: LogEvent): string {
  return `${event.to ?? ""}\u0000${event.actor ?? "\u0000"}`;
}
