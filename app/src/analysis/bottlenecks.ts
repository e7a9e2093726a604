import { ACTIONABLE, type WaitClass } from "./classify.js";
import { DAY_MS } from "./event-log.js";
import type { ItemLifecycle } from "./lifecycle.js";
import { PairMap } from "./pair-map.js";
import { isThin } from "./stats.js";

/** Medians the other sections have computed already: sorting the same durations again is the slowest part. */
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

interface Tally {
  step: string;
  to: string | null;
  waitClass: WaitClass | "unclassified";
  ms: number;
  current: number;
  previous: number;
  visits: number;
  items: number;
  lastItem: ItemLifecycle | null;
}

/**
 * Ranks where items spent their time, split by wait class, over the window ending at
 * `asOf`: each stay counts for the part of it inside the window, an open stay up to asOf.
 * Done steps count only while they are an automation wait (the time before an auto-close).
 */
export function bottlenecksOf(lifecycles: readonly ItemLifecycle[], window: { from: number; to: number }, medians: Medians): Bottlenecks {
  const steps = new Map<string, Tally>();
  const transitions = new PairMap<Tally>();
  const currentFrom = window.to - TREND_DAYS * DAY_MS;
  const previousFrom = currentFrom - TREND_DAYS * DAY_MS;
  for (const lifecycle of lifecycles) {
    const visits = lifecycle.trace.visits;
    visits.forEach((visit, index) => {
      const waitClass = lifecycle.classes[index]?.waitClass ?? "unclassified";
      if (waitClass === "finished") return;
      const end = visit.exitedAt ?? window.to;
      if (end < window.from || visit.enteredAt > window.to) return;
      const ms = overlap(visit.enteredAt, end, window.from, window.to);
      const current = overlap(visit.enteredAt, end, currentFrom, window.to);
      const previous = overlap(visit.enteredAt, end, previousFrom, currentFrom);
      let step = steps.get(visit.step);
      if (!step) {
        step = newTally(visit.step, null, waitClass);
        steps.set(visit.step, step);
      }
      add(step, lifecycle, ms, current, previous);
      const next = visits[index + 1];
      if (next && ACTIONABLE.has(waitClass as WaitClass)) {
        add(transitions.getOrCreate(visit.step, next.step, () => newTally(visit.step, next.step, waitClass)), lifecycle, ms, current, previous);
      }
    });
  }
  const totalMs = [...steps.values()].reduce((sum, tally) => sum + tally.ms, 0);
  const findings = [...steps.values()].map((tally) => findingOf(tally, totalMs, medians.ofStep(tally.step))).sort((a, b) => b.itemDays - a.itemDays || a.step.localeCompare(b.step));
  const ofClass = (...classes: (WaitClass | "unclassified")[]) => findings.filter((finding) => classes.includes(finding.waitClass));
  const shareByClass = { team_queue: 0, active_work: 0, external_wait: 0, automation_wait: 0, finished: 0, unclassified: 0 };
  for (const finding of findings) shareByClass[finding.waitClass] += finding.share;
  return {
    headline: ofClass("team_queue", "active_work").slice(0, TOP),
    transitions: [...transitions.values()]
      .map((tally) => findingOf(tally, totalMs, medians.ofTransition(tally.step, tally.to!)))
      .sort((a, b) => b.itemDays - a.itemDays || a.step.localeCompare(b.step) || a.to!.localeCompare(b.to!))
      .slice(0, TOP),
    external: ofClass("external_wait").slice(0, TOP),
    automation: ofClass("automation_wait").slice(0, TOP),
    unclassified: ofClass("unclassified"),
    shareByClass,
    totalItemDays: totalMs / DAY_MS,
  };
}

const newTally = (step: string, to: string | null, waitClass: WaitClass | "unclassified"): Tally => ({
  step,
  to,
  waitClass,
  ms: 0,
  current: 0,
  previous: 0,
  visits: 0,
  items: 0,
  lastItem: null,
});

function add(tally: Tally, lifecycle: ItemLifecycle, ms: number, current: number, previous: number): void {
  tally.ms += ms;
  tally.current += current;
  tally.previous += previous;
  tally.visits += 1;
  if (tally.lastItem !== lifecycle) {
    tally.lastItem = lifecycle;
    tally.items += 1;
  }
}

function findingOf(tally: Tally, totalMs: number, medianMs: number | null): BottleneckFinding {
  return {
    step: tally.step,
    to: tally.to,
    waitClass: tally.waitClass,
    itemDays: tally.ms / DAY_MS,
    share: totalMs > 0 ? tally.ms / totalMs : 0,
    visits: tally.visits,
    items: tally.items,
    medianMs,
    trend: { periodDays: TREND_DAYS, current: tally.current / DAY_MS, previous: tally.previous / DAY_MS },
    thin: isThin(tally.items),
  };
}

const overlap = (start: number, end: number, from: number, to: number): number => Math.max(0, Math.min(end, to) - Math.max(start, from));
