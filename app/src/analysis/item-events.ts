import type { EventLog, LogEvent } from "./event-log.js";
import type { ShareRecorder, TraceQuality } from "./traces.js";

/**
 * Each item's events in time order (stable), without exact duplicates: log item i's are
 * events[start[i]] … events[end[i] - 1]. Logs read from the database or a file already hold
 * each item's events together and in order; then `events` is the log's own array, and no
 * event is copied or held in a list of its own (a million small lists cost more than the
 * analysis). The log's array is copied only when an item's events must be moved.
 */
export interface EventsByItem {
  events: readonly LogEvent[];
  start: Int32Array;
  end: Int32Array;
}

/** `shares` records, per item, the events it had as given and the duplicates and disorder found in them. */
export function eventsByItem(log: EventLog, quality: TraceQuality, shares: ShareRecorder): EventsByItem {
  const items = log.items.length;
  const indexOfKey = new Map<string, number>();
  for (let index = 0; index < items; index += 1) indexOfKey.set(log.items[index]!.key, index);
  const grouped: EventsByItem = { events: log.events, start: new Int32Array(items), end: new Int32Array(items) };
  let owned = false;
  if (!findRuns(grouped, indexOfKey, quality)) {
    grouped.events = stableByItem(log.events);
    owned = true;
    findRuns(grouped, indexOfKey, quality);
  }
  const list = new EventList(grouped.events, owned);
  for (let index = 0; index < items; index += 1) {
    shares.events[index] = grouped.end[index]! - grouped.start[index]!;
    if (grouped.end[index] === 0) continue;
    shares.begin();
    grouped.end[index] = inTimeOrder(list, grouped.start[index]!, grouped.end[index]!, quality);
    shares.record(index);
  }
  grouped.events = list.events;
  // Keys are meant to be unique; items that share one all get its events.
  if (indexOfKey.size < items) {
    for (let index = 0; index < items; index += 1) {
      const holder = indexOfKey.get(log.items[index]!.key)!;
      grouped.start[index] = grouped.start[holder]!;
      grouped.end[index] = grouped.end[holder]!;
    }
  }
  return grouped;
}

/**
 * Records each known item's run of events; false, recording nothing for data quality, when
 * some item's events are not all together. Events of unknown items are only counted, so
 * where they lie does not matter.
 */
function findRuns(grouped: EventsByItem, indexOfKey: ReadonlyMap<string, number>, quality: TraceQuality): boolean {
  const { events, start, end } = grouped;
  end.fill(0);
  let unknown = 0;
  let from = 0;
  for (let to = 1; to <= events.length; to += 1) {
    if (to < events.length && events[to]!.item === events[from]!.item) continue;
    const index = indexOfKey.get(events[from]!.item);
    if (index === undefined) unknown += to - from;
    else if (end[index] !== 0) return false;
    else {
      start[index] = from;
      end[index] = to;
    }
    from = to;
  }
  quality.eventsForUnknownItems += unknown;
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

/** The events, copied once, the first time one of them must move. */
class EventList {
  constructor(
    public events: readonly LogEvent[],
    private owned: boolean,
  ) {}

  writable(): LogEvent[] {
    if (!this.owned) {
      this.events = this.events.slice();
      this.owned = true;
    }
    return this.events as LogEvent[];
  }
}

/** Sorts events[from … to - 1] by time and drops duplicates; returns where the item's events now end. */
function inTimeOrder(list: EventList, from: number, to: number, quality: TraceQuality): number {
  let outOfOrder = 0;
  for (let i = from + 1; i < to; i += 1) {
    if (list.events[i]!.at < list.events[i - 1]!.at) outOfOrder += 1;
  }
  if (outOfOrder > 0) {
    quality.outOfOrderEvents += outOfOrder;
    const events = list.writable();
    // Array.prototype.sort is stable: events at the same instant keep the log's order.
    const ordered = events.slice(from, to).sort((a, b) => a.at - b.at);
    for (let i = 0; i < ordered.length; i += 1) events[from + i] = ordered[i]!;
  }
  let kept = from;
  for (let index = from; index < to; index += 1) {
    const event = list.events[index]!;
    // A duplicate need not be adjacent: two overlapping reads of one instant's changes give A, B, A, B.
    let duplicate = false;
    for (let i = kept - 1; i >= from && list.events[i]!.at === event.at && !duplicate; i -= 1) duplicate = isSameChange(list.events[i]!, event);
    if (duplicate) quality.duplicateEvents += 1;
    else {
      if (kept !== index) list.writable()[kept] = event;
      kept += 1;
    }
  }
  return kept;
}

const isSameChange = (a: LogEvent, b: LogEvent): boolean => a.at === b.at && a.kind === b.kind && a.to === b.to && a.from === b.from && a.actor === b.actor;
