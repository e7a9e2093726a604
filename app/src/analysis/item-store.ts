import type { StepClassifier } from "./classify.js";
import type { LogItem } from "./event-log.js";
import { NameIds, PairIds } from "./ids.js";
import type { Lifecycles } from "./lifecycle.js";
import type { ItemColumns } from "./scope.js";
import { eventsPerTrace, ITEM_QUALITY_FIELDS, type TraceQuality, type TraceSet, type TraceTable } from "./traces.js";

/** Above any step id: steps are added as scans find them, so pair ids cannot be sized by a count. */
const STEP_BOUND = 1 << 24;
const FIELDS = ITEM_QUALITY_FIELDS.length;

/** Notified around each change of an item, so counts taken from it can be taken back first. */
export interface ItemChangeListener {
  removing(columns: ItemColumns, item: number): void;
  added(columns: ItemColumns, item: number): void;
}

/**
 * The traces and lifecycles of a log's items, kept in columns like a TraceTable, where an
 * item can be replaced by its new trace when a scan changes it. An item keeps its index; its
 * new stays and assignees are appended, and the old ones are left behind until they
 * outnumber the live ones, when the columns are compacted. Step, person and transition ids
 * only grow, so every id a count was taken under keeps its meaning.
 */
export class ItemStore {
  private readonly steps = new NameIds();
  private readonly people = new NameIds();
  private readonly transitions = new PairIds(STEP_BOUND);
  private readonly stepClasses: Lifecycles["stepClasses"][number][] = [];
  private readonly items: LogItem[] = [];
  private slots = new SlotColumns(0);
  private stays = new StayColumns(0);
  private assignees = new Int32Array(0);
  private slotCount = 0;
  private stayCount = 0;
  private assigneeCount = 0;
  private garbage = 0;
  /** Per log item key, its entry: the item's slot (-1 when it has no trace), its quality share and its events. */
  private readonly entries = new Map<string, number>();
  private entryCount = 0;
  private entrySlot = new Int32Array(0);
  private entryEvents = new Int32Array(0);
  private entryQuality = new Int32Array(0);
  private readonly totals: TraceQuality;
  /** The columns cut to the items and stays there are, for drawing outputs. */
  private view: ItemColumns | null = null;
  /** The columns as allocated, for counting items while they change: rebuilt only when a column is reallocated. */
  private working: ItemColumns | null = null;
  /** Items with a trace, by container. */
  private readonly containerItems = new Map<string, number>();
  /** The latest time anything in the store names: outputs drawn before it would cut stays short. */
  latestTime = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly classifier: StepClassifier,
    unknownEvents: number,
  ) {
    this.totals = { items: 0, events: 0, eventsForUnknownItems: unknownEvents, duplicateEvents: 0, outOfOrderEvents: 0, itemsWithoutCreation: 0, itemsWithoutTime: 0, eventsBeforeCreation: 0, zeroLengthVisits: 0, itemsWithoutStep: 0 };
  }

  /** A store holding a whole log's traces (built with `classifier`) and their lifecycles. */
  static of(set: TraceSet, lifecycles: Lifecycles, classifier: StepClassifier, keys: readonly string[]): ItemStore {
    const { traces, shares, quality } = set;
    const store = new ItemStore(classifier, quality.eventsForUnknownItems);
    // Registered in the traces' order, the ids are the traces' own: their columns are copied as they are.
    for (const step of traces.stepNames) store.stepId(step);
    for (const person of traces.people) store.people.idOf(person);
    for (let id = 0; id < traces.transitions.size; id += 1) store.transitions.idOf(traces.transitions.first[id]!, traces.transitions.second[id]!);
    const items = traces.items.length;
    const stays = traces.visitStep.length;
    // Room for the next scans' changes, so the first of them does not copy every column.
    store.slots = new SlotColumns(items + (items >> 3) + 16);
    store.stays = new StayColumns(stays + (stays >> 3) + 16);
    store.assignees = new Int32Array(traces.assignees.length + (traces.assignees.length >> 3) + 16);
    const s = store.slots.arrays;
    const columns: Pick<TraceTable & Lifecycles, Exclude<keyof SlotArrays, "events">> = { ...traces, ...lifecycles };
    for (const name of SLOT_NAMES) if (name !== "events") s[name].set(columns[name]);
    store.stays.visitStep.set(traces.visitStep);
    store.stays.enteredAt.set(traces.enteredAt);
    store.stays.exitedAt.set(traces.exitedAt);
    store.stays.transitionOut.set(traces.transitionOut);
    store.assignees.set(traces.assignees);
    for (const item of traces.items) {
      store.items.push(item);
      store.countContainer(item, 1);
    }
    store.slotCount = items;
    store.stayCount = stays;
    store.assigneeCount = traces.assignees.length;
    store.growEntries(keys.length);
    store.entryCount = keys.length;
    keys.forEach((key, item) => {
      if (store.entries.has(key)) throw new Error(`A log kept across scans needs unique item keys; "${key}" is there twice`);
      store.entries.set(key, item);
      store.entrySlot[item] = shares.traceOf[item]!;
    });
    s.events.set(eventsPerTrace(shares, items));
    store.entryEvents.set(shares.events);
    store.entryQuality.set(shares.quality);
    Object.assign(store.totals, quality);
    store.latestTime = Math.max(latestOf(traces.createdAt), latestOf(traces.enteredAt), latestOf(traces.exitedAt));
    return store;
  }

  /** The containers items with a trace are in, sorted. */
  containers(): string[] {
    return [...this.containerItems].filter(([, items]) => items > 0).map(([container]) => container).sort();
  }

  /** The items' current stays, not those left behind by replaced items. */
  get liveStays(): number {
    return this.stayCount - this.garbage;
  }

  get quality(): TraceQuality {
    return { ...this.totals };
  }

  /** The current columns. Valid until the next change; items that lost their trace are created at +Infinity and have no stays. */
  columns(): ItemColumns {
    this.view ??= this.columnsOf(this.slotCount, this.stayCount, this.assigneeCount);
    return this.view;
  }

  /** Columns over the first `slots` items, `stays` stays and `assignees` assignees. */
  private columnsOf(slotCount: number, stayCount: number, assigneeCount: number): ItemColumns {
    const slots = this.slots.view(slotCount);
    const traces: TraceTable = {
      stepNames: this.steps.names,
      people: this.people.names,
      transitions: this.transitions,
      items: this.items,
      createdAt: slots.createdAt,
      reopenEvents: slots.reopenEvents,
      firstVisit: slots.firstVisit,
      endVisit: slots.endVisit,
      firstAssignee: slots.firstAssignee,
      endAssignee: slots.endAssignee,
      assignees: this.assignees.subarray(0, assigneeCount),
      ...this.stays.view(stayCount),
    };
    const lifecycles: Lifecycles = {
      stepClasses: this.stepClasses,
      completedAt: slots.completedAt,
      startedAt: slots.startedAt,
      leadMs: slots.leadMs,
      cycleMs: slots.cycleMs,
      activeMs: slots.activeMs,
      reopens: slots.reopens,
    };
    return { traces, lifecycles, events: slots.events };
  }

  /** The columns at their full size: an item's pointers say where its stays are, so the counts need no exact lengths. */
  private workingColumns(): ItemColumns {
    this.working ??= this.columnsOf(this.slots.capacity, this.stays.capacity, this.assignees.length);
    return this.working;
  }

  /**
   * Replaces the items of `set` (log item i has key keys[i]) with their new traces and
   * lifecycles, adding the ones not seen before. `listener` hears of every change.
   */
  replace(set: TraceSet, lifecycles: Lifecycles, keys: readonly string[], listener: ItemChangeListener | null): void {
    const { traces, shares } = set;
    const stepIds = Int32Array.from(traces.stepNames, (name) => this.stepId(name));
    const personIds = Int32Array.from(traces.people, (name) => this.people.idOf(name));
    keys.forEach((key, item) => {
      let entry = this.entries.get(key);
      if (entry === undefined) {
        entry = this.entryCount++;
        if (entry === this.entrySlot.length) this.growEntries(entry * 2 + 16);
        this.entries.set(key, entry);
        this.entrySlot[entry] = -1;
      } else this.share(this.entryQuality.subarray(entry * FIELDS, (entry + 1) * FIELDS), this.entryEvents[entry]!, -1);
      const previousSlot = this.entrySlot[entry]!;
      if (previousSlot >= 0) {
        listener?.removing(this.workingColumns(), previousSlot);
        this.countContainer(this.items[previousSlot]!, -1);
      }
      const trace = shares.traceOf[item]!;
      let slot = -1;
      if (trace >= 0) {
        slot = previousSlot >= 0 ? previousSlot : this.newSlot(traces.items[trace]!);
        this.write(slot, traces, trace, lifecycles, stepIds, personIds, shares.events[item]!);
        listener?.added(this.workingColumns(), slot);
      } else if (previousSlot >= 0) this.clear(previousSlot);
      const quality = shares.quality.subarray(item * FIELDS, (item + 1) * FIELDS);
      this.entrySlot[entry] = slot;
      this.entryEvents[entry] = shares.events[item]!;
      this.entryQuality.set(quality, entry * FIELDS);
      this.share(quality, shares.events[item]!, 1);
    });
    this.totals.items = this.entryCount;
    this.view = null;
    if (this.garbage > this.stayCount / 2) this.compact();
  }

  private stepId(name: string): number {
    const id = this.steps.idOf(name);
    if (id === this.stepClasses.length) this.stepClasses.push(this.classifier.classify(name));
    return id;
  }

  private growEntries(capacity: number): void {
    const slot = new Int32Array(capacity);
    slot.set(this.entrySlot);
    const events = new Int32Array(capacity);
    events.set(this.entryEvents);
    const quality = new Int32Array(capacity * FIELDS);
    quality.set(this.entryQuality);
    this.entrySlot = slot;
    this.entryEvents = events;
    this.entryQuality = quality;
  }

  private share(quality: Int32Array, events: number, sign: number): void {
    ITEM_QUALITY_FIELDS.forEach((field, i) => (this.totals[field] += sign * quality[i]!));
    this.totals.events += sign * events;
  }

  private countContainer(item: LogItem, change: number): void {
    if (item.container) this.containerItems.set(item.container, (this.containerItems.get(item.container) ?? 0) + change);
  }

  private newSlot(item: LogItem): number {
    if (this.slotCount === this.slots.capacity) {
      this.slots = this.slots.grown(this.slotCount * 2 + 16);
      this.working = null;
    }
    this.items.push(item);
    this.slotCount += 1;
    return this.slotCount - 1;
  }

  private write(slot: number, traces: TraceTable, trace: number, lifecycles: Lifecycles, stepIds: Int32Array, personIds: Int32Array, events: number): void {
    const first = traces.firstVisit[trace]!;
    const end = traces.endVisit[trace]!;
    const firstAssignee = traces.firstAssignee[trace]!;
    const endAssignee = traces.endAssignee[trace]!;
    this.garbage += this.slots.arrays.endVisit[slot]! - this.slots.arrays.firstVisit[slot]!;
    this.reserveStays(end - first);
    this.reserveAssignees(endAssignee - firstAssignee);
    const s = this.slots.arrays;
    this.items[slot] = traces.items[trace]!;
    this.countContainer(traces.items[trace]!, 1);
    s.createdAt[slot] = traces.createdAt[trace]!;
    s.reopenEvents[slot] = traces.reopenEvents[trace]!;
    s.events[slot] = events;
    s.firstVisit[slot] = this.stayCount;
    let latest = traces.createdAt[trace]!;
    for (let visit = first; visit < end; visit += 1) {
      const at = this.stayCount;
      this.stays.visitStep[at] = stepIds[traces.visitStep[visit]!]!;
      this.stays.enteredAt[at] = traces.enteredAt[visit]!;
      this.stays.exitedAt[at] = traces.exitedAt[visit]!;
      this.stays.transitionOut[at] = -1;
      if (visit > first) this.stays.transitionOut[at - 1] = this.transitions.idOf(this.stays.visitStep[at - 1]!, this.stays.visitStep[at]!);
      latest = Math.max(latest, traces.enteredAt[visit]!, Number.isNaN(traces.exitedAt[visit]!) ? latest : traces.exitedAt[visit]!);
      this.stayCount += 1;
    }
    s.endVisit[slot] = this.stayCount;
    s.firstAssignee[slot] = this.assigneeCount;
    for (let i = firstAssignee; i < endAssignee; i += 1) this.assignees[this.assigneeCount++] = personIds[traces.assignees[i]!]!;
    s.endAssignee[slot] = this.assigneeCount;
    s.completedAt[slot] = lifecycles.completedAt[trace]!;
    s.startedAt[slot] = lifecycles.startedAt[trace]!;
    s.leadMs[slot] = lifecycles.leadMs[trace]!;
    s.cycleMs[slot] = lifecycles.cycleMs[trace]!;
    s.activeMs[slot] = lifecycles.activeMs[trace]!;
    s.reopens[slot] = lifecycles.reopens[trace]!;
    this.latestTime = Math.max(this.latestTime, latest);
  }

  /** An item that lost its trace: created at +Infinity, no scope takes it in. */
  private clear(slot: number): void {
    const s = this.slots.arrays;
    this.garbage += s.endVisit[slot]! - s.firstVisit[slot]!;
    s.createdAt[slot] = Number.POSITIVE_INFINITY;
    s.firstVisit[slot] = s.endVisit[slot] = 0;
    s.firstAssignee[slot] = s.endAssignee[slot] = 0;
    s.events[slot] = 0;
    for (const column of [s.completedAt, s.startedAt, s.leadMs, s.cycleMs]) column[slot] = Number.NaN;
    s.activeMs[slot] = 0;
    s.reopens[slot] = 0;
  }

  private reserveStays(count: number): void {
    if (this.stayCount + count <= this.stays.capacity) return;
    this.stays = this.stays.grown(Math.max(this.stayCount + count, this.stays.capacity * 2));
    this.working = null;
  }

  private reserveAssignees(count: number): void {
    if (this.assigneeCount + count <= this.assignees.length) return;
    const grown = new Int32Array(Math.max(this.assigneeCount + count, this.assignees.length * 2));
    grown.set(this.assignees.subarray(0, this.assigneeCount));
    this.assignees = grown;
    this.working = null;
  }

  /** Copies the live stays and assignees, in item order, to fresh columns. */
  private compact(): void {
    const live = this.stayCount - this.garbage;
    const stays = new StayColumns(live + Math.ceil(live / 4));
    const assignees = new Int32Array(this.assignees.length);
    const s = this.slots.arrays;
    let stayAt = 0;
    let assigneeAt = 0;
    for (let slot = 0; slot < this.slotCount; slot += 1) {
      const visits = s.endVisit[slot]! - s.firstVisit[slot]!;
      stays.copyFrom(this.stays, s.firstVisit[slot]!, visits, stayAt);
      s.firstVisit[slot] = stayAt;
      stayAt += visits;
      s.endVisit[slot] = stayAt;
      const held = s.endAssignee[slot]! - s.firstAssignee[slot]!;
      assignees.set(this.assignees.subarray(s.firstAssignee[slot]!, s.endAssignee[slot]!), assigneeAt);
      s.firstAssignee[slot] = assigneeAt;
      assigneeAt += held;
      s.endAssignee[slot] = assigneeAt;
    }
    this.stays = stays;
    this.assignees = assignees;
    this.stayCount = stayAt;
    this.assigneeCount = assigneeAt;
    this.garbage = 0;
    this.view = null;
    this.working = null;
  }
}

/** The latest of `times`, NaN (an open stay) left out; -Infinity for none. */
function latestOf(times: Float64Array): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const at of times) if (at > latest) latest = at;
  return latest;
}

/** The per-item columns, by name, and the kind of array each is. */
const SLOT_COLUMNS = {
  createdAt: Float64Array,
  reopenEvents: Int32Array,
  events: Int32Array,
  firstVisit: Int32Array,
  endVisit: Int32Array,
  firstAssignee: Int32Array,
  endAssignee: Int32Array,
  completedAt: Float64Array,
  startedAt: Float64Array,
  leadMs: Float64Array,
  cycleMs: Float64Array,
  activeMs: Float64Array,
  reopens: Int32Array,
} as const;

type SlotArrays = { [K in keyof typeof SLOT_COLUMNS]: InstanceType<(typeof SLOT_COLUMNS)[K]> };
const SLOT_NAMES = Object.keys(SLOT_COLUMNS) as (keyof typeof SLOT_COLUMNS)[];

/** Per-item columns with room for `capacity` items. */
class SlotColumns {
  readonly arrays: SlotArrays;

  constructor(readonly capacity: number) {
    this.arrays = Object.fromEntries(SLOT_NAMES.map((name) => [name, new SLOT_COLUMNS[name](capacity)])) as SlotArrays;
  }

  grown(capacity: number): SlotColumns {
    const grown = new SlotColumns(capacity);
    for (const name of SLOT_NAMES) grown.arrays[name].set(this.arrays[name]);
    return grown;
  }

  view(count: number): SlotArrays {
    return Object.fromEntries(SLOT_NAMES.map((name) => [name, this.arrays[name].subarray(0, count)])) as SlotArrays;
  }
}

/** Per-stay columns with room for `capacity` stays. */
class StayColumns {
  readonly visitStep: Int32Array;
  readonly enteredAt: Float64Array;
  readonly exitedAt: Float64Array;
  readonly transitionOut: Int32Array;

  constructor(readonly capacity: number) {
    this.visitStep = new Int32Array(capacity);
    this.enteredAt = new Float64Array(capacity);
    this.exitedAt = new Float64Array(capacity);
    this.transitionOut = new Int32Array(capacity);
  }

  grown(capacity: number): StayColumns {
    const grown = new StayColumns(capacity);
    grown.copyFrom(this, 0, this.capacity, 0);
    return grown;
  }

  copyFrom(source: StayColumns, from: number, count: number, to: number): void {
    this.visitStep.set(source.visitStep.subarray(from, from + count), to);
    this.enteredAt.set(source.enteredAt.subarray(from, from + count), to);
    this.exitedAt.set(source.exitedAt.subarray(from, from + count), to);
    this.transitionOut.set(source.transitionOut.subarray(from, from + count), to);
  }

  view(count: number): Pick<TraceTable, "visitStep" | "enteredAt" | "exitedAt" | "transitionOut"> {
    return {
      visitStep: this.visitStep.subarray(0, count),
      enteredAt: this.enteredAt.subarray(0, count),
      exitedAt: this.exitedAt.subarray(0, count),
      transitionOut: this.transitionOut.subarray(0, count),
    };
  }
}
