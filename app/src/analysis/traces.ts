import type { EventLog, LogEvent, LogItem } from "./event-log.js";
import { NameIds, PairIds } from "./ids.js";
import { eventsByItem } from "./item-events.js";

/**
 * Per item, the steps it went through: its stays, each from entering a step until entering
 * the next, and who held it.
 *
 * Held as columns (typed arrays indexed by item or by stay) rather than an object per stay:
 * a million-event log has some 700,000 stays, all alive until the output is done, and as
 * objects the garbage collector copied and traced every one of them, more work than all
 * the sections together. Steps and people are small integer ids (names in `stepNames` and
 * `people`), so sections count in arrays instead of maps keyed by names.
 */
export interface TraceTable {
  stepNames: readonly string[];
  people: readonly string[];
  /** Directly-follows pairs of steps (`first` the step left, `second` the step entered), each once. */
  transitions: PairIds;
  /** Per item, in log order; items with neither a creation time nor an event are left out. */
  items: readonly LogItem[];
  createdAt: Float64Array;
  /** Reopened events that followed a closed one. */
  reopenEvents: Int32Array;
  /** Item i's stays are firstVisit[i] … endVisit[i] - 1, in time order. */
  firstVisit: Int32Array;
  endVisit: Int32Array;
  /** Item i's assignees are assignees[firstAssignee[i]] … assignees[endAssignee[i] - 1]. */
  firstAssignee: Int32Array;
  endAssignee: Int32Array;
  /** People in the order they held their item, repeats included (A, B, A is a ping-pong). */
  assignees: Int32Array;
  /** Per stay: its step, when it began, and when it ended (NaN while the item is still in the step, status logs only). */
  visitStep: Int32Array;
  enteredAt: Float64Array;
  exitedAt: Float64Array;
  /** Per stay: the transition to the item's next stay, or -1 for its last. */
  transitionOut: Int32Array;
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

/** The fields of TraceQuality that belong to one item: what its own creation and events got wrong. */
export const ITEM_QUALITY_FIELDS = [
  "duplicateEvents",
  "outOfOrderEvents",
  "itemsWithoutCreation",
  "itemsWithoutTime",
  "eventsBeforeCreation",
  "zeroLengthVisits",
  "itemsWithoutStep",
] as const satisfies readonly (keyof TraceQuality)[];

/**
 * Per log item (by its index in the log), what it adds to the log's quality and sample: kept
 * by an analysis that replaces changed items between scans, so an item's old share can be
 * taken back.
 */
export interface ItemShares {
  /** The item's index in the traces, or -1 when it was left out (no time at all). */
  traceOf: Int32Array;
  /** ITEM_QUALITY_FIELDS.length counts per item, in that order. */
  quality: Int32Array;
  /** The log's events naming the item, as given (duplicates included; a key several items share counts with the last of them). */
  events: Int32Array;
}

export interface TraceSet {
  traces: TraceTable;
  quality: TraceQuality;
  shares: ItemShares;
}

/**
 * For a status log the item starts, at creation, in the status its first change left (or
 * its current status when it never changed), and stays in its last status until now. For an
 * activity log each activity is a step that lasts until the next activity; the case ends at
 * its last activity.
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
  const shares = new ShareRecorder(log.items.length, quality);
  const { events, start, end } = eventsByItem(log, quality, shares);
  // Not log.events.length: events of unknown items are dropped, and items that share a key each get the key's events.
  let itemEvents = 0;
  for (let index = 0; index < log.items.length; index += 1) itemEvents += end[index]! - start[index]!;
  const builder = new TraceBuilder(log.items.length, itemEvents, quality);
  const traceOf = log.stepSource === "status" ? statusTrace : activityTrace;
  for (let index = 0; index < log.items.length; index += 1) {
    shares.begin();
    const traced = traceOf(log.items[index]!, events, start[index]!, end[index]!, builder);
    shares.traceOf[index] = traced ? builder.itemCount - 1 : -1;
    shares.record(index);
  }
  return { traces: builder.table(), quality, shares };
}

/** Per traced item, the events its log item had as given. */
export function eventsPerTrace(shares: ItemShares, traced: number): Int32Array {
  const events = new Int32Array(traced);
  shares.traceOf.forEach((trace, item) => {
    if (trace >= 0) events[trace] = shares.events[item]!;
  });
  return events;
}

/**
 * Records each item's share of the quality counts as the difference the item made to them:
 * the counting itself stays where the problems are found.
 */
export class ShareRecorder implements ItemShares {
  readonly traceOf: Int32Array;
  readonly quality: Int32Array;
  readonly events: Int32Array;
  private readonly before = new Int32Array(ITEM_QUALITY_FIELDS.length);

  constructor(
    items: number,
    private readonly totals: TraceQuality,
  ) {
    this.traceOf = new Int32Array(items);
    this.quality = new Int32Array(items * ITEM_QUALITY_FIELDS.length);
    this.events = new Int32Array(items);
  }

  begin(): void {
    ITEM_QUALITY_FIELDS.forEach((field, i) => (this.before[i] = this.totals[field]));
  }

  /** Adds what changed in the totals since begin() to the item's share. */
  record(item: number): void {
    const base = item * ITEM_QUALITY_FIELDS.length;
    ITEM_QUALITY_FIELDS.forEach((field, i) => (this.quality[base + i]! += this.totals[field] - this.before[i]!));
  }
}

/** An imported case has no creation time but its first activity: that is no data problem. */
function creationOf(item: LogItem, events: readonly LogEvent[], from: number, to: number, quality: TraceQuality, creationExpected = true): number | null {
  const first = from < to ? events[from]!.at : null;
  if (item.createdAt === null) {
    if (first === null) {
      quality.itemsWithoutTime += 1;
      return null;
    }
    if (creationExpected) quality.itemsWithoutCreation += 1;
    return first;
  }
  if (first !== null && first < item.createdAt) {
    for (let i = from; i < to; i += 1) if (events[i]!.at < item.createdAt) quality.eventsBeforeCreation += 1;
    return first;
  }
  return item.createdAt;
}

/** False when the item has no time at all and is left out. */
function statusTrace(item: LogItem, events: readonly LogEvent[], from: number, to: number, trace: TraceBuilder): boolean {
  const createdAt = creationOf(item, events, from, to, trace.quality);
  if (createdAt === null) return false;
  let firstStep: LogEvent | null = null;
  let firstAssignment: LogEvent | null = null;
  for (let i = from; i < to && (firstStep === null || firstAssignment === null); i += 1) {
    const event = events[i]!;
    if (firstStep === null && changesStep(event)) firstStep = event;
    if (firstAssignment === null && event.kind === "assigned") firstAssignment = event;
  }
  let assignee = firstAssignment ? firstAssignment.from : item.currentAssignee;
  trace.beginItem(item, createdAt);
  trace.heldBy(assignee);
  const initialStep = firstStep ? (firstStep.from ?? null) : item.currentStep;
  if (initialStep !== null) trace.enterStep(initialStep, createdAt);
  let closed = false;
  let reopens = 0;
  for (let i = from; i < to; i += 1) {
    const event = events[i]!;
    switch (event.kind) {
      case "step":
        if (changesStep(event)) trace.enterStep(event.to!, event.at);
        break;
      case "assigned":
        if (event.to !== assignee) {
          assignee = event.to;
          trace.heldBy(assignee);
        }
        break;
      case "closed":
        closed = true;
        if (changesStep(event)) trace.enterStep(event.to!, event.at);
        break;
      case "reopened":
        if (closed) reopens += 1;
        closed = false;
        if (changesStep(event)) trace.enterStep(event.to!, event.at);
        break;
      default:
        break;
    }
  }
  trace.endItem(reopens);
  return true;
}

/** A status change; closing and reopening change the status too when the source names it (GitHub). */
const changesStep = (event: LogEvent): boolean => event.to !== null && (event.kind === "step" || event.kind === "closed" || event.kind === "reopened");

const isActivity = (event: LogEvent): boolean => event.kind === "step" && event.to !== null;

function activityTrace(item: LogItem, events: readonly LogEvent[], from: number, to: number, trace: TraceBuilder): boolean {
  const createdAt = creationOf(item, events, from, to, trace.quality, false);
  if (createdAt === null) return false;
  trace.beginItem(item, createdAt);
  for (let i = from; i < to; i += 1) {
    const event = events[i]!;
    if (!isActivity(event)) continue;
    trace.enterStep(event.to!, event.at);
    trace.heldBy(event.actor);
  }
  // The case is over at its last activity: that stay ends where it begins by definition, which
  // is no zero-length stay for data quality to report.
  trace.endLastVisitAtItsStart();
  trace.endItem(0);
  return true;
}

/**
 * Appends items, their stays and their assignees to columns sized for the worst case: an
 * item has at most one stay and one assignee more than it has events.
 */
class TraceBuilder {
  private readonly steps = new NameIds();
  private readonly people = new NameIds();
  private readonly items: LogItem[] = [];
  private readonly createdAt: Float64Array;
  private readonly reopenEvents: Int32Array;
  private readonly firstVisit: Int32Array;
  private readonly firstAssignee: Int32Array;
  private readonly assignees: Int32Array;
  private readonly visitStep: Int32Array;
  private readonly enteredAt: Float64Array;
  private readonly exitedAt: Float64Array;
  private visits = 0;
  private assigned = 0;

  constructor(
    items: number,
    itemEvents: number,
    readonly quality: TraceQuality,
  ) {
    this.createdAt = new Float64Array(items);
    this.reopenEvents = new Int32Array(items);
    this.firstVisit = new Int32Array(items + 1);
    this.firstAssignee = new Int32Array(items + 1);
    this.assignees = new Int32Array(items + itemEvents);
    this.visitStep = new Int32Array(items + itemEvents);
    this.enteredAt = new Float64Array(items + itemEvents);
    this.exitedAt = new Float64Array(items + itemEvents);
  }

  get itemCount(): number {
    return this.items.length;
  }

  beginItem(item: LogItem, createdAt: number): void {
    const index = this.items.length;
    this.items.push(item);
    this.createdAt[index] = createdAt;
    this.firstVisit[index] = this.visits;
    this.firstAssignee[index] = this.assigned;
  }

  /** Ends the stay the item is in (if any) and begins one in `step`. */
  enterStep(step: string, at: number): void {
    this.closeLastVisit(at);
    this.visitStep[this.visits] = this.steps.idOf(step);
    this.enteredAt[this.visits] = at;
    this.exitedAt[this.visits] = Number.NaN;
    this.visits += 1;
  }

  /** The item is held by `assignee` now. Unassigned and back to the same person is no handoff, so neither is noted. */
  heldBy(assignee: string | null): void {
    if (assignee === null) return;
    const person = this.people.idOf(assignee);
    if (this.assigned > this.firstAssignee[this.items.length - 1]! && this.assignees[this.assigned - 1] === person) return;
    this.assignees[this.assigned] = person;
    this.assigned += 1;
  }

  endLastVisitAtItsStart(): void {
    if (this.hasVisits()) this.exitedAt[this.visits - 1] = this.enteredAt[this.visits - 1]!;
  }

  endItem(reopenEvents: number): void {
    this.reopenEvents[this.items.length - 1] = reopenEvents;
    if (!this.hasVisits()) this.quality.itemsWithoutStep += 1;
  }

  table(): TraceTable {
    const count = this.items.length;
    this.firstVisit[count] = this.visits;
    this.firstAssignee[count] = this.assigned;
    const visitStep = this.visitStep.subarray(0, this.visits);
    const firstVisit = this.firstVisit.subarray(0, count);
    const endVisit = this.firstVisit.subarray(1, count + 1);
    const { transitions, transitionOut } = transitionsOf(visitStep, firstVisit, endVisit, this.steps.names.length);
    return {
      stepNames: this.steps.names,
      people: this.people.names,
      transitions,
      items: this.items,
      createdAt: this.createdAt.subarray(0, count),
      reopenEvents: this.reopenEvents.subarray(0, count),
      firstVisit,
      endVisit,
      firstAssignee: this.firstAssignee.subarray(0, count),
      endAssignee: this.firstAssignee.subarray(1, count + 1),
      assignees: this.assignees.subarray(0, this.assigned),
      visitStep,
      enteredAt: this.enteredAt.subarray(0, this.visits),
      exitedAt: this.exitedAt.subarray(0, this.visits),
      transitionOut,
    };
  }

  private hasVisits(): boolean {
    return this.visits > this.firstVisit[this.items.length - 1]!;
  }

  private closeLastVisit(at: number): void {
    if (!this.hasVisits()) return;
    const last = this.visits - 1;
    if (!Number.isNaN(this.exitedAt[last]!)) return;
    const exitedAt = Math.max(at, this.enteredAt[last]!);
    this.exitedAt[last] = exitedAt;
    if (exitedAt === this.enteredAt[last]) this.quality.zeroLengthVisits += 1;
  }
}

function transitionsOf(visitStep: Int32Array, firstVisit: Int32Array, endVisit: Int32Array, steps: number): { transitions: PairIds; transitionOut: Int32Array } {
  const transitions = new PairIds(steps);
  const transitionOut = new Int32Array(visitStep.length).fill(-1);
  for (let item = 0; item < firstVisit.length; item += 1) {
    for (let visit = firstVisit[item]!; visit + 1 < endVisit[item]!; visit += 1) {
      transitionOut[visit] = transitions.idOf(visitStep[visit]!, visitStep[visit + 1]!);
    }
  }
  return { transitions, transitionOut };
}
