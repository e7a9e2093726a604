import { ACTIONABLE, type WaitClass } from "./classify.js";
import { DAY_MS } from "./event-log.js";
import type { Scope } from "./scope.js";
import { DistinctItems, isThin } from "./stats.js";

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

/** Time in one step, or on one transition out of it, summed over stays. */
class Tallies {
  readonly ms: Float64Array;
  readonly current: Float64Array;
  readonly previous: Float64Array;
  readonly visits: Int32Array;
  readonly items: DistinctItems;

  constructor(groups: number) {
    this.ms = new Float64Array(groups);
    this.current = new Float64Array(groups);
    this.previous = new Float64Array(groups);
    this.visits = new Int32Array(groups);
    this.items = new DistinctItems(groups);
  }

  add(group: number, item: number, ms: number, current: number, previous: number): void {
    this.ms[group]! += ms;
    this.current[group]! += current;
    this.previous[group]! += previous;
    this.visits[group]! += 1;
    this.items.add(group, item);
  }
}

/**
 * Ranks where items spent their time, split by wait class, over the window ending at
 * `asOf`: each stay counts for the part of it inside the window, an open stay up to asOf.
 * Done steps count only while they are an automation wait (the time before an auto-close).
 */
export function bottlenecksOf(scope: Scope, window: { from: number; to: number }, medians: Medians): Bottlenecks {
  const { stepNames, transitions, firstVisit, visitStep, enteredAt, exitedAt, transitionOut } = scope.traces;
  const waitClasses = scope.lifecycles.stepClasses.map((stepClass): WaitClass | "unclassified" => stepClass?.waitClass ?? "unclassified");
  const steps = new Tallies(stepNames.length);
  const outOf = new Tallies(transitions.size);
  const currentFrom = window.to - TREND_DAYS * DAY_MS;
  const previousFrom = currentFrom - TREND_DAYS * DAY_MS;
  for (const item of scope.items) {
    for (let visit = firstVisit[item]!; visit < firstVisit[item + 1]!; visit += 1) {
      const step = visitStep[visit]!;
      const waitClass = waitClasses[step]!;
      if (waitClass === "finished") continue;
      const start = enteredAt[visit]!;
      const end = Number.isNaN(exitedAt[visit]!) ? window.to : exitedAt[visit]!;
      if (end < window.from || start > window.to) continue;
      const ms = overlap(start, end, window.from, window.to);
      const current = overlap(start, end, currentFrom, window.to);
      const previous = overlap(start, end, previousFrom, currentFrom);
      steps.add(step, item, ms, current, previous);
      const transition = transitionOut[visit]!;
      if (transition >= 0 && ACTIONABLE.has(waitClass as WaitClass)) outOf.add(transition, item, ms, current, previous);
    }
  }
  let totalMs = 0;
  for (let step = 0; step < stepNames.length; step += 1) totalMs += steps.ms[step]!;
  const findings: BottleneckFinding[] = [];
  for (let step = 0; step < stepNames.length; step += 1) {
    if (steps.visits[step]! === 0) continue;
    findings.push(findingOf(steps, step, stepNames[step]!, null, waitClasses[step]!, totalMs, medians.ofStep(stepNames[step]!)));
  }
  findings.sort((a, b) => b.itemDays - a.itemDays || a.step.localeCompare(b.step));
  const transitionFindings: BottleneckFinding[] = [];
  for (let transition = 0; transition < transitions.size; transition += 1) {
    if (outOf.visits[transition]! === 0) continue;
    const from = stepNames[transitions.first[transition]!]!;
    const to = stepNames[transitions.second[transition]!]!;
    transitionFindings.push(findingOf(outOf, transition, from, to, waitClasses[transitions.first[transition]!]!, totalMs, medians.ofTransition(from, to)));
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

function findingOf(
  tallies: Tallies,
  group: number,
  step: string,
  to: string | null,
  waitClass: WaitClass | "unclassified",
  totalMs: number,
  medianMs: number | null,
): BottleneckFinding {
  const ms = tallies.ms[group]!;
  const items = tallies.items.countOf(group);
  return {
    step,
    to,
    waitClass,
    itemDays: ms / DAY_MS,
    share: totalMs > 0 ? ms / totalMs : 0,
    visits: tallies.visits[group]!,
    items,
    medianMs,
    trend: { periodDays: TREND_DAYS, current: tallies.current[group]! / DAY_MS, previous: tallies.previous[group]! / DAY_MS },
    thin: isThin(items),
  };
}

const overlap = (start: number, end: number, from: number, to: number): number => Math.max(0, Math.min(end, to) - Math.max(start, from));
