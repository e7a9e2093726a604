import type { BottleneckFinding } from "../analysis/bottlenecks.js";
import { WAIT_CLASS_WORDS } from "../analysis/classify.js";
import { weekStartOf, type WeekCount } from "../analysis/counts.js";
import type { ScanOutput } from "../analysis/scan-output.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Throughput compares the last four weeks with the four before, as the bottleneck trend does. */
const PERIOD_DAYS = 28;

export type Trend = { arrow: "↑" | "↓" | "→"; words: string };

/** A connection's headline figures, read from its stored scan output and written out for the overview. */
export interface HeadlineFigures {
  sample: { items: number; completed: number; thin: boolean };
  throughput: { last: number; previous: number; trend: Trend };
  wip: { now: number; trend: Trend | null };
  cycleTime: { median: string; p85: string; completed: number; trend: Trend | null } | null;
  reopenRate: { now: string; trend: Trend | null } | null;
  flowEfficiency: { now: string; trend: Trend | null } | null;
  bottlenecks: FindingFigures[];
  drift: { newVariants: number; newLoops: number; moved: { from: string; to: string; change: string }[] } | null;
}

/** A bottleneck finding's evidence, written out. */
export interface FindingFigures {
  step: string;
  to: string | null;
  waitClass: string;
  itemDays: string;
  share: string;
  items: number;
  visits: number;
  median: string;
  trend: Trend;
  thin: boolean;
}

export function findingFigures(finding: BottleneckFinding): FindingFigures {
  return {
    step: finding.step,
    to: finding.to,
    waitClass: WAIT_CLASS_WORDS[finding.waitClass],
    itemDays: finding.itemDays.toFixed(1),
    share: percent(finding.share),
    items: finding.items,
    visits: finding.visits,
    median: finding.medianMs === null ? "—" : duration(finding.medianMs),
    trend: findingTrend(finding.trend),
    thin: finding.thin,
  };
}

/** "412.0 item-days in the last 28 days, up from 300.5 in the 28 before": both periods said. */
function findingTrend({ current, previous, periodDays }: BottleneckFinding["trend"]): Trend {
  const now = `${current.toFixed(1)} item-days in the last ${periodDays} days`;
  if (current > previous) return { arrow: "↑", words: `${now}, up from ${previous.toFixed(1)} in the ${periodDays} before` };
  if (current < previous) return { arrow: "↓", words: `${now}, down from ${previous.toFixed(1)} in the ${periodDays} before` };
  return { arrow: "→", words: `${now}, as in the ${periodDays} before` };
}

export function headlineFigures(output: ScanOutput): HeadlineFigures {
  const { sample, counts, cycleTime, bottlenecks, drift, flow, asOf } = output;
  const daily = flow.throughput;
  const last = sum(daily.slice(-PERIOD_DAYS));
  const previous = sum(daily.slice(-2 * PERIOD_DAYS, -PERIOD_DAYS));
  const { p50, p85, count } = cycleTime.cycleMs;
  const openBefore = wipThen(output);
  return {
    sample: { items: sample.items, completed: sample.completed, thin: sample.completed < sample.thinBelow },
    throughput: { last, previous, trend: trendOf(last, previous, "items") },
    wip: { now: counts.wip, trend: openBefore === null ? null : trendOf(counts.wip, openBefore, "items", "four weeks ago") },
    cycleTime: p50 === null || p85 === null ? null : { median: duration(p50), p85: duration(p85), completed: count, trend: medianCycleTrend(cycleTime.scatter, asOf) },
    reopenRate: counts.reopenRate === null ? null : { now: percent(counts.reopenRate), trend: weeklyRateTrend(counts.weeks, asOf, (week) => [week.reopened, week.completions]) },
    flowEfficiency:
      cycleTime.flowEfficiency.overall === null
        ? null
        : { now: percent(cycleTime.flowEfficiency.overall), trend: weeklyRateTrend(counts.weeks, asOf, (week) => [week.activeMs, week.leadMs]) },
    bottlenecks: bottlenecks.headline.slice(0, 3).map(findingFigures),
    drift: drift && {
      newVariants: drift.newVariants.length,
      newLoops: drift.newLoops.length,
      moved: drift.movedTransitions.slice(0, 3).map((moved) => ({ from: moved.from, to: moved.to, change: `${moved.change > 0 ? "+" : ""}${Math.round(moved.change * 100)} %` })),
    },
  };
}

/**
 * Items in a step that is not done at the end of the day four weeks ago, read off the
 * cumulative flow; null when its days do not reach that far back.
 */
function wipThen({ flow, steps }: ScanOutput): number | null {
  const day = flow.days - 1 - PERIOD_DAYS;
  if (day < 0) return null;
  const done = new Set(steps.filter((step) => step.class?.category === "done").map((step) => step.step));
  return sum(flow.cumulativeFlow.filter((band) => !done.has(band.step)).map((band) => band.counts[day]!));
}

/**
 * The median cycle time of the items completed in the last four weeks against the four
 * before, from the scatter's points; null when the points do not reach back eight weeks
 * (the scatter keeps the latest completions only) or a period has none.
 */
function medianCycleTrend(scatter: ScanOutput["cycleTime"]["scatter"], asOf: number): Trend | null {
  const currentFrom = asOf - PERIOD_DAYS * DAY_MS;
  const previousFrom = currentFrom - PERIOD_DAYS * DAY_MS;
  const complete = scatter.points.length === scatter.of || (scatter.points[0]?.[0] ?? Number.POSITIVE_INFINITY) <= previousFrom;
  if (!complete) return null;
  const current = median(scatter.points.filter(([at]) => at > currentFrom && at <= asOf).map(([, cycle]) => cycle));
  const previous = median(scatter.points.filter(([at]) => at > previousFrom && at <= currentFrom).map(([, cycle]) => cycle));
  if (current === null || previous === null) return null;
  const arrow = current > previous ? "↑" : current < previous ? "↓" : "→";
  return { arrow, words: arrow === "→" ? "as in the four weeks before" : `${duration(previous)} for items completed in the four weeks before` };
}

const WEEK_MS = 7 * DAY_MS;

/**
 * A rate of the items completed in the last four weeks (this one included) against the four
 * before, from the weekly counts; null when a period completed nothing, or the output is from
 * before the weeks counted these figures.
 */
function weeklyRateTrend(weeks: readonly WeekCount[], asOf: number, parts: (week: WeekCount) => [part: number, whole: number]): Trend | null {
  const currentFrom = weekStartOf(asOf) - 3 * WEEK_MS;
  const previousFrom = currentFrom - 4 * WEEK_MS;
  const rateOf = (from: number, to: number): number | null => {
    let part = 0;
    let whole = 0;
    for (const week of weeks) {
      if (week.weekStart < from || week.weekStart >= to) continue;
      const [weekPart, weekWhole] = parts(week);
      part += weekPart;
      whole += weekWhole;
    }
    return whole > 0 && Number.isFinite(part) ? part / whole : null;
  };
  const current = rateOf(currentFrom, currentFrom + 4 * WEEK_MS);
  const previous = rateOf(previousFrom, currentFrom);
  if (current === null || previous === null) return null;
  const [now, before] = [Math.round(current * 100), Math.round(previous * 100)];
  if (now > before) return { arrow: "↑", words: `${now} % in the last four weeks, up from ${before} % in the four before` };
  if (now < before) return { arrow: "↓", words: `${now} % in the last four weeks, down from ${before} % in the four before` };
  return { arrow: "→", words: `${now} % in the last four weeks, as in the four before` };
}

/** By nearest rank, as every percentile in the scan output. */
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return values[Math.ceil(values.length / 2) - 1]!;
}

/** Minutes under an hour, hours under two days, days beyond. */
export function duration(ms: number): string {
  if (ms < HOUR_MS) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * DAY_MS) return `${(ms / HOUR_MS).toFixed(1)} h`;
  return `${(ms / DAY_MS).toFixed(1)} days`;
}

const percent = (ratio: number): string => `${Math.round(ratio * 100)} %`;

function trendOf(current: number, previous: number, unit: string, when = "in the four weeks before"): Trend {
  const rounded = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
  if (current > previous) return { arrow: "↑", words: `up from ${rounded(previous)} ${unit} ${when}` };
  if (current < previous) return { arrow: "↓", words: `down from ${rounded(previous)} ${unit} ${when}` };
  return { arrow: "→", words: `as ${when}` };
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
