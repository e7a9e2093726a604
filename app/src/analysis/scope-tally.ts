import { BottlenecksTally } from "./bottlenecks.js";
import type { BusinessClock } from "./calendar.js";
import { CountsTally } from "./counts.js";
import { CycleTimesTally } from "./cycle-time.js";
import { FlowTally } from "./flow.js";
import { HandoffsTally } from "./handoffs.js";
import { ProcessMapTally } from "./process-map.js";
import { ReworkTally } from "./rework.js";
import { inScope, type ItemColumns, type Scope, type ScopeFilters, type Window } from "./scope.js";
import { Distribution } from "./stats.js";
import { StepTimesTally } from "./time-in-status.js";
import { VariantsTally } from "./variants.js";

/**
 * One scope's sections, counted item by item. An item is added when the scope takes it in
 * and taken back, exactly, before it changes: an output kept across scans then costs what
 * the scan changed plus drawing it, not a pass over every event.
 */
export class ScopeTally {
  readonly counts: CountsTally;
  readonly processMap = new ProcessMapTally();
  readonly stepTimes = new StepTimesTally();
  readonly cycleTimes: CycleTimesTally;
  readonly variants = new VariantsTally();
  readonly flow = new FlowTally();
  readonly rework = new ReworkTally();
  readonly handoffs = new HandoffsTally();
  readonly bottlenecks: BottlenecksTally;
  /** Items in scope, completed ones among them, and the events naming them. */
  items = 0;
  completed = 0;
  events = 0;
  /** When the completed items were completed. */
  readonly completions = new Distribution();
  private member = new Uint8Array(0);
  /** Numbers each item's application, for the sections' distinct-item counts. */
  private pass = 0;

  constructor(
    readonly filters: ScopeFilters,
    /** Items count inside these; an output kept across scans has none (its stays all lie inside its window). */
    readonly bounds: Window,
    clock: BusinessClock,
  ) {
    this.counts = new CountsTally(bounds);
    this.cycleTimes = new CycleTimesTally(clock);
    this.bottlenecks = new BottlenecksTally(bounds);
  }

  add(columns: ItemColumns, item: number): void {
    if (!inScope(columns, item, this.filters, this.bounds)) return;
    if (item >= this.member.length) this.growMembers(item);
    this.member[item] = 1;
    this.apply(columns, item, 1);
  }

  /**
   * Adds items 0 … count - 1, sizing the distributions for them first: growing lists of
   * hundreds of thousands of values by doubling cost more than counting them beforehand.
   */
  addAll(columns: ItemColumns, count: number): void {
    const { stepNames, transitions, firstVisit, endVisit, visitStep, transitionOut } = columns.traces;
    const members: number[] = [];
    const stays = new Int32Array(stepNames.length);
    const moves = new Int32Array(transitions.size);
    for (let item = 0; item < count; item += 1) {
      if (!inScope(columns, item, this.filters, this.bounds)) continue;
      members.push(item);
      for (let visit = firstVisit[item]!; visit < endVisit[item]!; visit += 1) {
        stays[visitStep[visit]!]! += 1;
        if (transitionOut[visit]! >= 0) moves[transitionOut[visit]!]! += 1;
      }
    }
    const sizes = { items: members.length, stays, moves };
    this.processMap.reserve(sizes);
    this.stepTimes.reserve(sizes);
    this.cycleTimes.reserve(sizes);
    this.completions.reserve(sizes.items);
    this.handoffs.reserve(sizes);
    for (const item of members) this.add(columns, item);
  }

  /** Takes the item back as it was added: call it before the item's columns change. */
  remove(columns: ItemColumns, item: number): void {
    if (this.member[item] !== 1) return;
    this.member[item] = 0;
    this.apply(columns, item, -1);
  }

  /** From now on, percentiles are kept sorted: changes merge in rather than wait for a selection. */
  keepSorted(): void {
    this.completions.keepSorted();
    this.processMap.keepSorted();
    this.stepTimes.keepSorted();
    this.cycleTimes.keepSorted();
    this.handoffs.keepSorted();
    this.variants.keepSorted();
  }

  /** The columns with the items in scope, for the sections that are drawn in one pass. */
  scopeOf(columns: ItemColumns): Scope {
    const items = new Int32Array(this.items);
    let count = 0;
    for (let item = 0; item < this.member.length; item += 1) if (this.member[item] === 1) items[count++] = item;
    return { ...columns, items };
  }

  private apply(columns: ItemColumns, item: number, sign: number): void {
    this.pass += 1;
    const pass = this.pass;
    this.items += sign;
    const completedAt = columns.lifecycles.completedAt[item]!;
    if (!Number.isNaN(completedAt)) {
      this.completed += sign;
      this.completions.change(completedAt, sign);
    }
    this.events += sign * columns.events[item]!;
    this.counts.apply(columns, item, sign);
    this.processMap.apply(columns, item, sign, pass);
    this.stepTimes.apply(columns, item, sign, pass);
    this.cycleTimes.apply(columns, item, sign);
    this.variants.apply(columns, item, sign);
    this.flow.apply(columns, item, sign);
    this.rework.apply(columns, item, sign, pass);
    this.handoffs.apply(columns, item, sign, pass);
    this.bottlenecks.apply(columns, item, sign, pass);
  }

  private growMembers(item: number): void {
    const grown = new Uint8Array(Math.max(item + 1, this.member.length * 2));
    grown.set(this.member);
    this.member = grown;
  }
}
