import type { BottleneckFinding } from "../analysis/bottlenecks.js";
import type { ScanOutput } from "../analysis/scan-output.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Throughput compares the last four weeks with the four before, as the bottleneck trend does. */
const PERIOD_DAYS = 28;

type Trend = { arrow: "↑" | "↓" | "→"; words: string };

/** A connection's headline figures, read from its stored scan output and written out for the overview. */
export interface HeadlineFigures {
  sample: { items: number; completed: number; thin: boolean };
  throughput: { last: number; previous: number; trend: Trend };
  wip: number;
  cycleTime: { median: string; p85: string; completed: number } | null;
  reopenRate: string | null;
  flowEfficiency: string | null;
  bottlenecks: { step: string; waitClass: string; itemDays: string; share: string; items: number; median: string; trend: Trend; thin: boolean }[];
  drift: { newVariants: number; newLoops: number; moved: { from: string; to: string; change: string }[] } | null;
}

const WAIT_CLASS_WORDS: Readonly<Record<BottleneckFinding["waitClass"], string>> = {
  team_queue: "team queue",
  active_work: "active work",
  external_wait: "customer or vendor wait",
  automation_wait: "automation wait",
  finished: "finished",
  unclassified: "not classified",
};

export function headlineFigures(output: ScanOutput): HeadlineFigures {
  const { sample, counts, cycleTime, bottlenecks, drift, flow } = output;
  const daily = flow.throughput;
  const last = sum(daily.slice(-PERIOD_DAYS));
  const previous = sum(daily.slice(-2 * PERIOD_DAYS, -PERIOD_DAYS));
  const { p50, p85, count } = cycleTime.cycleMs;
  return {
    sample: { items: sample.items, completed: sample.completed, thin: sample.completed < sample.thinBelow },
    throughput: { last, previous, trend: trendOf(last, previous, "items") },
    wip: counts.wip,
    cycleTime: p50 === null || p85 === null ? null : { median: duration(p50), p85: duration(p85), completed: count },
    reopenRate: counts.reopenRate === null ? null : percent(counts.reopenRate),
    flowEfficiency: cycleTime.flowEfficiency.overall === null ? null : percent(cycleTime.flowEfficiency.overall),
    bottlenecks: bottlenecks.headline.slice(0, 3).map((finding) => ({
      step: finding.step,
      waitClass: WAIT_CLASS_WORDS[finding.waitClass],
      itemDays: finding.itemDays.toFixed(1),
      share: percent(finding.share),
      items: finding.items,
      median: finding.medianMs === null ? "—" : duration(finding.medianMs),
      trend: trendOf(finding.trend.current, finding.trend.previous, "item-days"),
      thin: finding.thin,
    })),
    drift: drift && {
      newVariants: drift.newVariants.length,
      newLoops: drift.newLoops.length,
      moved: drift.movedTransitions.slice(0, 3).map((moved) => ({ from: moved.from, to: moved.to, change: `${moved.change > 0 ? "+" : ""}${Math.round(moved.change * 100)} %` })),
    },
  };
}

/** Minutes under an hour, hours under two days, days beyond. */
export function duration(ms: number): string {
  if (ms < HOUR_MS) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * DAY_MS) return `${(ms / HOUR_MS).toFixed(1)} h`;
  return `${(ms / DAY_MS).toFixed(1)} days`;
}

const percent = (ratio: number): string => `${Math.round(ratio * 100)} %`;

function trendOf(current: number, previous: number, unit: string): Trend {
  const rounded = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
  if (current > previous) return { arrow: "↑", words: `up from ${rounded(previous)} ${unit} in the four weeks before` };
  if (current < previous) return { arrow: "↓", words: `down from ${rounded(previous)} ${unit} in the four weeks before` };
  return { arrow: "→", words: `as in the four weeks before` };
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
