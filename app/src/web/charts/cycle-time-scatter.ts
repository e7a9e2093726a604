import type { CycleTimes, DurationPercentiles } from "../../analysis/cycle-time.js";
import { duration } from "../overview-figures.js";
import { chartFrame, DAY_MS, dotsPath, durationUnit, emptyChart, horizontalRules, linearScale, niceTicks, tickNumber, timeTicks, xAxis, yAxis, type Box } from "./svg.js";

const WIDTH = 720;
const HEIGHT = 330;
/** The right margin holds the percentile lines' labels. */
const PLOT: Box = { left: 56, top: 40, width: 470, height: 230 };

/** What the cycle time charts say when no item has a cycle time. */
export const NO_CYCLE_TIMES =
  "No item in this window has been both started and completed yet. Cycle time runs from an item's first step of active work to its completion, so the charts appear once items finish.";

/** "latest 5,000 of 7,312" when the scatter holds only the latest completions, null when it holds them all. */
export function scatterCoverage({ points, of }: CycleTimes["scatter"]): string | null {
  return of > points.length ? `latest ${points.length.toLocaleString("en-US")} of ${of.toLocaleString("en-US")}` : null;
}

/** The percentiles the scan output gives, as "85 % within 12.3 days" lines a reader can check against the dots. */
export function percentileLines(percentiles: DurationPercentiles): { p: number; ms: number; label: string }[] {
  const lines = [
    { p: 50, ms: percentiles.p50 },
    { p: 70, ms: percentiles.p70 },
    { p: 85, ms: percentiles.p85 },
    { p: 95, ms: percentiles.p95 },
  ];
  return lines.flatMap(({ p, ms }) => (ms === null ? [] : [{ p, ms, label: `${p} % within ${duration(ms)}` }]));
}

/** Each completed item's cycle time against the day it was completed, with the times 50, 70, 85 and 95 % of items finished within. */
export function cycleTimeScatter(cycleTime: CycleTimes): string {
  const { points } = cycleTime.scatter;
  if (points.length === 0) return emptyChart(NO_CYCLE_TIMES);
  const lines = percentileLines(cycleTime.cycleMs);
  const longestMs = Math.max(...points.map(([, ms]) => ms), ...lines.map((line) => line.ms));
  const unit = durationUnit(longestMs);
  const yTicks = niceTicks(0, longestMs / unit.ms, 5);
  const y = linearScale([0, yTicks.at(-1)!], [PLOT.top + PLOT.height, PLOT.top]);
  const from = Math.floor(points[0]![0] / DAY_MS) * DAY_MS;
  const to = (Math.floor(points.at(-1)![0] / DAY_MS) + 1) * DAY_MS;
  const x = linearScale([from, to], [PLOT.left, PLOT.left + PLOT.width]);
  const body =
    yAxis(PLOT, yTicks.map((at) => ({ at, label: tickNumber(at) })), y, `Cycle time (${unit.name})`) +
    xAxis(PLOT, timeTicks(from, to, 7), x, "Completed on") +
    dotsPath(points.map(([at, ms]) => [x(at), y(ms / unit.ms)]), "item") +
    horizontalRules(PLOT, lines.map((line) => ({ at: line.ms / unit.ms, label: line.label, className: `p${line.p}` })), y);
  return chartFrame({ id: "cycle-time-scatter", className: "scatter", width: WIDTH, height: HEIGHT, title: "Cycle time of each completed item", desc: summaryOf(cycleTime), body });
}

/** "Median 4.2 days; 70 % within …; 7,312 items (dots for the latest 5,000 of 7,312)." */
function summaryOf(cycleTime: CycleTimes): string {
  const lines = percentileLines(cycleTime.cycleMs).map((line) => (line.p === 50 ? `Median ${duration(line.ms)}` : line.label));
  const coverage = scatterCoverage(cycleTime.scatter);
  const items = `${cycleTime.cycleMs.count.toLocaleString("en-US")} items`;
  return `${[...lines, items].join("; ")}${coverage ? ` (dots for the ${coverage})` : ""}.`;
}
