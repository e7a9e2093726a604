import type { CycleTimes } from "../../analysis/cycle-time.js";
import { NO_CYCLE_TIMES, scatterCoverage } from "./cycle-time-scatter.js";
import { chartFrame, DAY_MS, emptyChart, linearScale, niceTicks, percentileOfSorted, tag, text, tickNumber, yAxis, type Box, type DurationUnit } from "./svg.js";

const WIDTH = 720;
const HEIGHT = 320;
const PLOT: Box = { left: 56, top: 40, width: 640, height: 220 };
const HOUR_MS = 3_600_000;
/** Bin widths a reader counts in: minutes, hours, days, weeks, months. */
const BIN_WIDTHS_MS = [5, 15, 30].map((minutes) => minutes * 60_000).concat([1, 2, 6, 12].map((hours) => hours * HOUR_MS), [1, 2, 7, 14, 30, 90, 365].map((days) => days * DAY_MS));
/** At most this many bins before the overflow bin. */
const MAX_BINS = 20;
/** Bins reach to this many times the 95th percentile; longer cycle times share one overflow bin, so a few outliers cannot squash the rest. */
const CAP_FACTOR = 1.5;

export interface CycleTimeBins {
  widthMs: number;
  /** The unit the bin edges are written in: the largest the width is a whole number of. */
  unit: DurationUnit;
  bins: { fromMs: number; toMs: number; count: number }[];
  /** Items at or beyond the last bin's end; null when there are none. */
  overflow: { fromMs: number; count: number } | null;
  items: number;
}

/** The scatter's cycle times counted in bins of a round width, up to 1.5 times their 95th percentile. */
export function cycleTimeBins(scatter: CycleTimes["scatter"]): CycleTimeBins | null {
  const sorted = scatter.points.map(([, ms]) => ms).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const capMs = Math.max(percentileOfSorted(sorted, 95)! * CAP_FACTOR, BIN_WIDTHS_MS[0]!);
  const widthMs = BIN_WIDTHS_MS.find((width) => capMs / width <= MAX_BINS) ?? Math.ceil(capMs / MAX_BINS / (365 * DAY_MS)) * 365 * DAY_MS;
  const unit: DurationUnit = widthMs < HOUR_MS ? { name: "minutes", ms: 60_000 } : widthMs < DAY_MS ? { name: "hours", ms: HOUR_MS } : { name: "days", ms: DAY_MS };
  const bins = Array.from({ length: Math.ceil(capMs / widthMs) }, (_, index) => ({ fromMs: index * widthMs, toMs: (index + 1) * widthMs, count: 0 }));
  const endMs = bins.length * widthMs;
  let beyond = 0;
  for (const ms of sorted) {
    if (ms >= endMs) beyond += 1;
    else bins[Math.floor(ms / widthMs)]!.count += 1;
  }
  return { widthMs, unit, bins, overflow: beyond > 0 ? { fromMs: endMs, count: beyond } : null, items: sorted.length };
}

/** How many completed items took how long: bars of round widths, and one for the longest few. */
export function cycleTimeHistogram(scatter: CycleTimes["scatter"]): string {
  const binned = cycleTimeBins(scatter);
  if (!binned) return emptyChart(NO_CYCLE_TIMES);
  const { bins, overflow, unit } = binned;
  // The overflow bar stands apart, one bin's width to the right.
  const slots = bins.length + (overflow ? 2 : 0);
  const slot = PLOT.width / slots;
  const counts = [...bins.map((bin) => bin.count), overflow?.count ?? 0];
  const yTicks = niceTicks(0, Math.max(...counts), 5);
  const y = linearScale([0, yTicks.at(-1)!], [PLOT.top + PLOT.height, PLOT.top]);
  const base = PLOT.top + PLOT.height;
  const edge = (ms: number) => tickNumber(ms / unit.ms);
  const longestCount = Math.max(...counts).toLocaleString("en-US").length;
  // Counts are written over the bars when they fit (7 units a character): the table beside the chart has them all.
  const showCounts = longestCount * 7 <= slot;
  const bar = (index: number, count: number, className: string) =>
    tag("rect", { class: className, x: PLOT.left + index * slot + 1, y: y(count), width: slot - 2, height: base - y(count) }) +
    (showCounts && count > 0 ? text({ class: "count", x: PLOT.left + (index + 0.5) * slot, y: y(count) - 4, "text-anchor": "middle" }, count.toLocaleString("en-US")) : "");
  // About ten edge labels at most, on every n-th edge.
  const every = Math.ceil((bins.length + 1) / 10);
  const edgeLabels = bins
    .map((bin, index) => ({ index, ms: bin.fromMs }))
    .concat([{ index: bins.length, ms: bins.length * binned.widthMs }])
    .filter(({ index }) => index % every === 0)
    .map(({ index, ms }) => text({ class: "tick", x: PLOT.left + index * slot, y: base + 18, "text-anchor": "middle" }, edge(ms)));
  const overflowLabel = overflow ? text({ class: "tick", x: PLOT.left + (slots - 0.5) * slot, y: base + 18, "text-anchor": "middle" }, `≥ ${edge(overflow.fromMs)}`) : "";
  const body =
    yAxis(PLOT, yTicks.map((at) => ({ at, label: tickNumber(at) })), y, "Items") +
    bins.map((bin, index) => bar(index, bin.count, "bar")).join("") +
    (overflow ? bar(slots - 1, overflow.count, "bar overflow") : "") +
    tag("g", { class: "axis x-axis" }, tag("line", { class: "baseline", x1: PLOT.left, x2: PLOT.left + PLOT.width, y1: base, y2: base }) + edgeLabels.join("") + overflowLabel) +
    text({ class: "axis-title", x: PLOT.left + PLOT.width / 2, y: base + 38, "text-anchor": "middle" }, `Cycle time (${unit.name}), in bins of ${binWidth(binned)}`);
  return chartFrame({ id: "cycle-time-histogram", className: "histogram", width: WIDTH, height: HEIGHT, title: "How long completed items took", desc: summaryOf(binned, scatter), body });
}

/** "1 day", "6 hours": the bins' width. */
export function binWidth({ widthMs, unit }: Pick<CycleTimeBins, "widthMs" | "unit">): string {
  const count = widthMs / unit.ms;
  return `${count} ${count === 1 ? unit.name.slice(0, -1) : unit.name}`;
}

/** Each bin as "2 to 3 days", the overflow bin as "45 days or longer", with its count. */
export function binRows({ bins, overflow, unit }: CycleTimeBins): { range: string; count: number }[] {
  const rows = bins.map((bin) => ({ range: `${tickNumber(bin.fromMs / unit.ms)} to ${tickNumber(bin.toMs / unit.ms)} ${unit.name}`, count: bin.count }));
  if (overflow) rows.push({ range: `${tickNumber(overflow.fromMs / unit.ms)} ${unit.name} or longer`, count: overflow.count });
  return rows;
}

/** "340 completed items in bins of 1 day; most often 2 to 3 days (85 items); 12 took 15 days or longer." */
function summaryOf(binned: CycleTimeBins, scatter: CycleTimes["scatter"]): string {
  const rows = binRows(binned);
  const commonest = rows.slice(0, binned.bins.length).reduce((best, row) => (row.count > best.count ? row : best));
  const coverage = scatterCoverage(scatter);
  const parts = [
    `${binned.items.toLocaleString("en-US")} completed items${coverage ? ` (the ${coverage})` : ""} in bins of ${binWidth(binned)}`,
    `most often ${commonest.range} (${commonest.count.toLocaleString("en-US")} items)`,
  ];
  if (binned.overflow) parts.push(`${binned.overflow.count.toLocaleString("en-US")} took ${rows.at(-1)!.range}`);
  return `${parts.join("; ")}.`;
}
