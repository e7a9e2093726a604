import { ACTIONABLE, type WaitClass } from "./classify.js";
import { DAY_MS } from "./event-log.js";
import type { Lifecycles } from "./lifecycle.js";
import type { ItemColumns, Scope, Window } from "./scope.js";
import { DistinctItems, GroupTotals, isThin } from "./stats.js";

/** Medians the other sections have computed already: finding them again in the same durations would double that work. */
export interface Medians {
  ofStep(step: string): number | null;
  ofTransition(from: string, to: string): number | null;
}

/** Time items spent in one step (or on one transition's source step), and what it is evidence of. */
export interface BottleneckFinding {
  step: string;
  /** Set for a transition finding: the step the items went to next. */
  to: string | null;
  waitClass: WaitClass | "unclassified";
  /** Total time items spent there, in item-days, over the window. */
  itemDays: number;
  /** Share of all waiting time in the window. */
  share: number;
  visits: number;
  items: number;
  /** The step's median stay (time in status), or the transition's median (process map). */
  medianMs: number | null;
  /** Item-days in the last period and the one before it, of equal length. */
  trend: { periodDays: number; current: number; previous: number };
  thin: boolean;
}

/** A finding's name across scans and scopes: its step, and for a hand-over the step items went to next. */
export function findingKey(finding: Pick<BottleneckFinding, "step" | "to">): string {
  return finding.to === null ? finding.step : `${finding.step} → ${finding.to}`;
}

export interface Bottlenecks {
  /** Steps a team can act on (team queue, active work), most item-days first. */
  headline: BottleneckFinding[];
  /** The same for transitions out of those steps. */
  transitions: BottleneckFinding[];
  /** Waits the team does not control, shown apart with their share. */
  external: BottleneckFinding[];
  automation: BottleneckFinding[];
  /** Steps nobody has classified: listed so they can be. */
  unclassified: BottleneckFinding[];
  shareByClass: Record<WaitClass | "unclassified", number>;
  totalItemDays: number;
}

/** Trend periods: the last four weeks against the four before. */
export const TREND_DAYS = 28;
const TOP = 10;

/**
 * Time in one step, or on one transition out of it, summed over stays. An open stay lasts
 * until the output's moment, which moves on with every scan: it is kept as its start, and
 * its length taken when the output is drawn.
 */
class Tallies {
  readonly closedMs = new GroupTotals();
  readonly openStays = new GroupTotals();
  readonly openSince = new GroupTotals();
  readonly visits = new GroupTotals();
  readonly items = new DistinctItems(8);
  /** Filled by the trend pass when the output is drawn. */
  current = new Float64Array(0);
  previous = new Float64Array(0);

  add(group: number, pass: number, sign: number, start: number, exited: number, bounds: Window): void {
    if (Number.isNaN(exited)) {
      this.openStays.add(group, sign);
      this.openSince.add(group, sign * Math.max(start, bounds.from));
    } else this.closedMs.add(group, sign * overlap(start, exited, bounds.from, bounds.to));
    this.visits.add(group, sign);
    this.items.add(group, pass, sign);
  }

  msOf(group: number, until: number): number {
    return this.closedMs.of(group) + this.openStays.of(group) * until - this.openSince.of(group);
  }
}

/**
 * Ranks where items spent their time, split by wait class, over the window: each stay
 * counts for the part of it inside the window, an open stay up to the window's end. Done
 * steps count only while they are an automation wait (the time before an auto-close).
 * Items are counted one by one inside `bounds` (the window, or no bounds at all for an
 * output kept up to date across scans, whose stays all lie inside its window).
 */
export class BottlenecksTally {
  private readonly steps = new Tallies();
  private readonly outOf = new Tallies();
  /** Per item, when its last stay that is not finished ended (Infinity while open): the trend passes over items that ended earlier. */
  private reach = new Float64Array(0);

  constructor(private readonly bounds: Window) {}

  apply({ traces, lifecycles }: ItemColumns, item: number, sign: number, pass: number): void {
    const { firstVisit, endVisit, visitStep, enteredAt, exitedAt, transitionOut } = traces;
    const { from, to } = this.bounds;
    let reach = Number.NEGATIVE_INFINITY;
    for (let visit = firstVisit[item]!; visit < endVisit[item]!; visit += 1) {
      const step = visitStep[visit]!;
      const waitClass = waitClassOf(lifecycles, step);
      if (waitClass === "finished") continue;
      const start = enteredAt[visit]!;
      const exited = exitedAt[visit]!;
      reach = Math.max(reach, Number.isNaN(exited) ? Number.POSITIVE_INFINITY : exited);
      if ((!Number.isNaN(exited) && exited < from) || start > to) continue;
      this.steps.add(step, pass, sign, start, exited, this.bounds);
      const transition = transitionOut[visit]!;
      if (transition >= 0 && ACTIONABLE.has(waitClass as WaitClass)) this.outOf.add(transition, pass, sign, start, exited, this.bounds);
    }
    if (item >= this.reach.length) {
      const grown = new Float64Array(Math.max(item + 1, this.reach.length * 2));
      grown.set(this.reach);
      this.reach = grown;
    }
    this.reach[item] = reach;
  }

  render(scope: Scope, window: Window, medians: Medians): Bottlenecks {
    const { stepNames, transitions } = scope.traces;
    const waitClasses = stepNames.map((_, step) => waitClassOf(scope.lifecycles, step));
    this.trends(scope, window, waitClasses);
    const { steps, outOf } = this;
    let totalMs = 0;
    for (let step = 0; step < stepNames.length; step += 1) totalMs += steps.msOf(step, window.to);
    const findings: BottleneckFinding[] = [];
    for (let step = 0; step < stepNames.length; step += 1) {
      if (steps.visits.of(step) === 0) continue;
      findings.push(findingOf(steps, step, stepNames[step]!, null, waitClasses[step]!, totalMs, medians.ofStep(stepNames[step]!), window.to));
    }
    findings.sort((a, b) => b.itemDays - a.itemDays || a.step.localeCompare(b.step));
    const transitionFindings: BottleneckFinding[] = [];
    for (let transition = 0; transition < transitions.size; transition += 1) {
      if (outOf.visits.of(transition) === 0) continue;
      const from = stepNames[transitions.first[transition]!]!;
      const to = stepNames[transitions.second[transition]!]!;
      transitionFindings.push(findingOf(outOf, transition, from, to, waitClasses[transitions.first[transition]!]!, totalMs, medians.ofTransition(from, to), window.to));
    }
    transitionFindings.sort((a, b) => b.itemDays - a.itemDays || a.step.localeCompare(b.step) || a.to!.localeCompare(b.to!));
    const ofClass = (...classes: (WaitClass | "unclassified")[]) => findings.filter((finding) => classes.includes(finding.waitClass));
    const shareByClass = { team_queue: 0, active_work: 0, external_wait: 0, automation_wait: 0, finished: 0, unclassified: 0 };
    for (const finding of findings) shareByClass[finding.waitClass] += finding.share;
    return {
      headline: ofClass("team_queue", "active_work").slice(0, TOP),
      transitions: transitionFindings.slice(0, TOP),
      external: ofClass("external_wait").slice(0, TOP),
      automation: ofClass("automation_wait").slice(0, TOP),
      unclassified: ofClass("unclassified"),
      shareByClass,
      totalItemDays: totalMs / DAY_MS,
    };
  }

  /** The last period and the one before it end where the window does, so they are counted anew for every output. */
  private trends({ traces, items }: Scope, window: Window, waitClasses: readonly (WaitClass | "unclassified")[]): void {
    const { stepNames, transitions, firstVisit, endVisit, visitStep, enteredAt, exitedAt, transitionOut } = traces;
    const { steps, outOf } = this;
    steps.current = new Float64Array(stepNames.length);
    steps.previous = new Float64Array(stepNames.length);
    outOf.current = new Float64Array(transitions.size);
    outOf.previous = new Float64Array(transitions.size);
    const { from, to } = window;
    const currentFrom = to - TREND_DAYS * DAY_MS;
    const previousFrom = currentFrom - TREND_DAYS * DAY_MS;
    const counted = Uint8Array.from(waitClasses, (waitClass) => (waitClass === "finished" ? 0 : 1));
    const actionable = Uint8Array.from(waitClasses, (waitClass) => (ACTIONABLE.has(waitClass as WaitClass) ? 1 : 0));
    const reach = this.reach;
    for (const item of items) {
      if (reach[item]! < previousFrom) continue;
      // An item's stays end in time order: from the last one back, the first that ended before both periods ends the item's part.
      for (let visit = endVisit[item]! - 1; visit >= firstVisit[item]!; visit -= 1) {
        const exited = exitedAt[visit]!;
        const end = Number.isNaN(exited) ? to : exited;
        if (end < previousFrom) break;
        const step = visitStep[visit]!;
        const start = enteredAt[visit]!;
        if (counted[step] === 0 || end < from || start > to) continue;
        const current = overlap(start, end, currentFrom, to);
        const previous = overlap(start, end, previousFrom, currentFrom);
        steps.current[step]! += current;
        steps.previous[step]! += previous;
        const transition = transitionOut[visit]!;
        if (transition < 0 || actionable[step] === 0) continue;
        outOf.current[transition]! += current;
        outOf.previous[transition]! += previous;
      }
    }
  }
}

const waitClassOf = (lifecycles: Lifecycles, step: number): WaitClass | "unclassified" => lifecycles.stepClasses[step]?.waitClass ?? "unclassified";

function findingOf(
  tallies: Tallies,
  group: number,
  step: string,
  to: string | null,
  waitClass: WaitClass | "unclassified",
  totalMs: number,
  medianMs: number | null,
  until: number,
): BottleneckFinding {
  const ms = tallies.msOf(group, until);
  const items = tallies.items.countOf(group);
  return {
    step,
    to,
    waitClass,
    itemDays: ms / DAY_MS,
    share: totalMs > 0 ? ms / totalMs : 0,
    visits: tallies.visits.of(group),
    items,
    medianMs,
    trend: { periodDays: TREND_DAYS, current: tallies.current[group]! / DAY_MS, previous: tallies.previous[group]! / DAY_MS },
    thin: isThin(items),
  };
}

const overlap = (start: number, end: number, from: number, to: number): number => Math.max(0, Math.min(end, to) - Math.max(start, from));
