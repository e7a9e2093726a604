import type { EventLog, LogEvent, LogItem } from "./event-log.js";

/** One stay of an item in a step: from entering it until entering the next. */
export interface StepVisit {
  step: string;
  enteredAt: number;
  /** Null while the item is still in the step (status logs only). */
  exitedAt: number | null;
  /** Who was assigned when the item entered the step. */
  assignee: string | null;
}

export interface ItemTrace {
  item: LogItem;
  createdAt: number;
  visits: StepVisit[];
  /** Times the item was reopened (a closed event, or leaving a done step, followed by more work). */
  reopenedAt: number[];
  /** Assignees in the order they held the item, repeats included (A, B, A is a ping-pong). */
  assigneeSequence: string[];
  assigneeChanges: number;
}

/** What the log got wrong and how it was handled; shown in the output, never a crash. */
export interface TraceQuality {
  items: number;
  events: number;
  /** Events naming an item the log does not hold: dropped. */
  eventsForUnknownItems: number;
  /** The same change twice at the same instant: kept once. */
  duplicateEvents: number;
  /** Events that arrived out of time order: sorted. */
  outOfOrderEvents: number;
  /** No creation time: the first event stands for it. */
  itemsWithoutCreation: number;
  /** Items with neither a creation time nor an event: left out. */
  itemsWithoutTime: number;
  /** Events before the item's creation (clock skew): creation moved back to the first event. */
  eventsBeforeCreation: number;
  /** Stays that began and ended at the same instant. */
  zeroLengthVisits: number;
  /** Items with no step at all (no step event and no current step): no visits. */
  itemsWithoutStep: number;
}

export interface TraceSet {
  traces: ItemTrace[];
  quality: TraceQuality;
}

/**
 * Per item, the steps it went through with entry and exit times. For a status log the item
 * starts, at creation, in the status its first change left (or its current status when it
 * never changed), and stays in its last status until now. For an activity log each activity
 * is a step that lasts until the next activity; the case ends at its last activity.
 */
export function buildTraces(log: EventLog): TraceSet {
  const quality: TraceQuality = {
    items: log.items.length,
    events: log.events.length,
    eventsForUnknownItems: 0,
    duplicateEvents: 0,
    outOfOrderEvents: 0,
    itemsWithoutCreation: 0,
    itemsWithoutTime: 0,
    eventsBeforeCreation: 0,
    zeroLengthVisits: 0,
    itemsWithoutStep: 0,
  };
  const eventsByItem = groupEvents(log, quality);
  const traces: ItemTrace[] = [];
  for (const item of log.items) {
    const events = eventsByItem.get(item.key) ?? [];
    const trace = log.stepSource === "status" ? statusTrace(item, events, quality) : activityTrace(item, events, quality);
    if (trace) traces.push(trace);
  }
  return { traces, quality };
}

/**
 * Events by item in time order (stable), without exact duplicates. Logs read from the
 * database or a file already hold each item's events together and in order; those are
 * sliced, not copied one by one, since a million small pushes cost more than the analysis.
 */
function groupEvents(log: EventLog, quality: TraceQuality): Map<string, LogEvent[]> {
  const known = new Set(log.items.map((item) => item.key));
  const events = itemsTogether(log.events) ? log.events : stableByItem(log.events);
  const byItem = new Map<string, LogEvent[]>();
  let start = 0;
  for (let end = 1; end <= events.length; end += 1) {
    if (end < events.length && events[end]!.item === events[start]!.item) continue;
    const item = events[start]!.item;
    if (known.has(item)) byItem.set(item, inTimeOrder(events.slice(start, end), quality));
    else quality.eventsForUnknownItems += end - start;
    start = end;
  }
  return byItem;
}

/** Whether every item's events form one run. */
function itemsTogether(events: readonly LogEvent[]): boolean {
  const finished = new Set<string>();
  for (let i = 1; i < events.length; i += 1) {
    const previous = events[i - 1]!.item;
    if (events[i]!.item === previous) continue;
    finished.add(previous);
    if (finished.has(events[i]!.item)) return false;
  }
  return true;
}

/** Each item's events together, in the order the log gave them (items in order of first appearance). */
function stableByItem(events: readonly LogEvent[]): LogEvent[] {
  const byItem = new Map<string, LogEvent[]>();
  for (const event of events) {
    const list = byItem.get(event.item);
    if (list) list.push(event);
    else byItem.set(event.item, [event]);
  }
  return [...byItem.values()].flat();
}

function inTimeOrder(events: LogEvent[], quality: TraceQuality): LogEvent[] {
  let outOfOrder = 0;
  for (let i = 1; i < events.length; i += 1) {
    if (events[i]!.at < events[i - 1]!.at) outOfOrder += 1;
  }
  quality.outOfOrderEvents += outOfOrder;
  // Array.prototype.sort is stable: events at the same instant keep the log's order.
  const ordered = outOfOrder > 0 ? events.sort((a, b) => a.at - b.at) : events;
  let unique: LogEvent[] | null = null;
  for (let index = 0; index < ordered.length; index += 1) {
    const event = ordered[index]!;
    const kept = unique ?? ordered;
    const keptLength = unique ? unique.length : index;
    // A duplicate need not be adjacent: two overlapping reads of one instant's changes give A, B, A, B.
    let duplicate = false;
    for (let i = keptLength - 1; i >= 0 && kept[i]!.at === event.at && !duplicate; i -= 1) duplicate = isSameChange(kept[i]!, event);
    if (duplicate) {
      quality.duplicateEvents += 1;
      unique ??= ordered.slice(0, index);
    } else if (unique) unique.push(event);
  }
  return unique ?? ordered;
}

const isSameChange = (a: LogEvent, b: LogEvent): boolean => a.at === b.at && a.kind === b.kind && a.to === b.to && a.from === b.from && a.actor === b.actor;

/** An imported case has no creation time but its first activity: that is no data problem. */
function creationOf(item: LogItem, events: readonly LogEvent[], quality: TraceQuality, creationExpected = true): number | null {
  const first = events[0]?.at ?? null;
  if (item.createdAt === null) {
    if (first === null) {
      quality.itemsWithoutTime += 1;
      return null;
    }
    if (creationExpected) quality.itemsWithoutCreation += 1;
    return first;
  }
  if (first !== null && first < item.createdAt) {
    quality.eventsBeforeCreation += events.filter((event) => event.at < item.createdAt!).length;
    return first;
  }
  return item.createdAt;
}

function statusTrace(item: LogItem, events: readonly LogEvent[], quality: TraceQuality): ItemTrace | null {
  const createdAt = creationOf(item, events, quality);
  if (createdAt === null) return null;
  const firstStep = events.find(changesStep);
  const firstAssignment = events.find((event) => event.kind === "assigned");
  let assignee = firstAssignment ? firstAssignment.from : item.currentAssignee;
  const trace = emptyTrace(item, createdAt, assignee);
  const initialStep = firstStep ? (firstStep.from ?? null) : item.currentStep;
  if (initialStep !== null) trace.visits.push({ step: initialStep, enteredAt: createdAt, exitedAt: null, assignee });
  let closed = false;
  for (const event of events) {
    switch (event.kind) {
      case "step":
        enterStep(trace, event, assignee, quality);
        break;
      case "assigned":
        if (event.to !== assignee) {
          assignee = event.to;
          noteAssignee(trace, assignee);
        }
        break;
      case "closed":
        closed = true;
        enterStep(trace, event, assignee, quality);
        break;
      case "reopened":
        if (closed) trace.reopenedAt.push(event.at);
        closed = false;
        enterStep(trace, event, assignee, quality);
        break;
      default:
        break;
    }
  }
  if (trace.visits.length === 0) quality.itemsWithoutStep += 1;
  return trace;
}

/** A status change; closing and reopening change the status too when the source names it (GitHub). */
const changesStep = (event: LogEvent): boolean => event.to !== null && (event.kind === "step" || event.kind === "closed" || event.kind === "reopened");

function enterStep(trace: ItemTrace, event: LogEvent, assignee: string | null, quality: TraceQuality): void {
  if (!changesStep(event)) return;
  closeLastVisit(trace, event.at, quality);
  trace.visits.push({ step: event.to!, enteredAt: event.at, exitedAt: null, assignee });
}

function activityTrace(item: LogItem, events: readonly LogEvent[], quality: TraceQuality): ItemTrace | null {
  const createdAt = creationOf(item, events, quality, false);
  if (createdAt === null) return null;
  const steps = events.filter((event) => event.kind === "step" && event.to !== null);
  const trace = emptyTrace(item, createdAt, steps[0]?.actor ?? null);
  for (const event of steps) {
    closeLastVisit(trace, event.at, quality);
    trace.visits.push({ step: event.to!, enteredAt: event.at, exitedAt: null, assignee: event.actor });
    if (event.actor !== null && event.actor !== trace.assigneeSequence.at(-1)) noteAssignee(trace, event.actor);
  }
  // The case is over at its last activity: that stay ends where it begins by definition, which
  // is no zero-length stay for data quality to report.
  const last = trace.visits.at(-1);
  if (last) last.exitedAt = last.enteredAt;
  if (trace.visits.length === 0) quality.itemsWithoutStep += 1;
  return trace;
}

function emptyTrace(item: LogItem, createdAt: number, assignee: string | null): ItemTrace {
  return { item, createdAt, visits: [], reopenedAt: [], assigneeSequence: assignee === null ? [] : [assignee], assigneeChanges: 0 };
}

/** Unassigned and back to the same person is no handoff. */
function noteAssignee(trace: ItemTrace, assignee: string | null): void {
  trace.assigneeChanges += 1;
  if (assignee !== null && assignee !== trace.assigneeSequence.at(-1)) trace.assigneeSequence.push(assignee);
}

function closeLastVisit(trace: ItemTrace, at: number, quality: TraceQuality): void {
  const last = trace.visits.at(-1);
  if (!last || last.exitedAt !== null) return;
  last.exitedAt = Math.max(at, last.enteredAt);
  if (last.exitedAt === last.enteredAt) quality.zeroLengthVisits += 1;
}
