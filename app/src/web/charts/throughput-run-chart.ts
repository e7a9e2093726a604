import type { DailyFlow } from "../../analysis/flow.js";
import { chartFrame, coord, dayLabel, DAY_MS, emptyChart, horizontalRules, linearScale, niceTicks, percentileOfSorted, tag, text, tickNumber, timeTicks, xAxis, yAxis, type Box } from "./svg.js";

const WIDTH = 720;
const HEIGHT = 300;
const PLOT: Box = { left: 56, top: 40, width: 500, height: 200 };
/** The average runs over a week, so weekends do not read as slumps. */
const AVERAGE_DAYS = 7;

export interface ThroughputFigures {
  total: number;
  /** The median day's completions (nearest rank), zero days included. */
  median: number;
  /** The trailing seven-day average of each day from the seventh on; null before. */
  average: (number | null)[];
}

export function throughputFigures({ throughput }: DailyFlow): ThroughputFigures {
  const total = throughput.reduce((sum, count) => sum + count, 0);
  const median = percentileOfSorted([...throughput].sort((a, b) => a - b), 50) ?? 0;
  const average = throughput.map((_, day) => (day + 1 < AVERAGE_DAYS ? null : throughput.slice(day + 1 - AVERAGE_DAYS, day + 1).reduce((sum, count) => sum + count, 0) / AVERAGE_DAYS));
  return { total, median, average };
}

/** Completions a week, in the weeks that end on the last day shown (the oldest may be shorter). */
export function weeklyThroughput({ firstDay, throughput }: DailyFlow): { from: number; to: number; items: number }[] {
  const weeks: { from: number; to: number; items: number }[] = [];
  for (let end = throughput.length; end > 0; end -= 7) {
    const start = Math.max(0, end - 7);
    weeks.unshift({ from: firstDay + start * DAY_MS, to: firstDay + (end - 1) * DAY_MS, items: throughput.slice(start, end).reduce((sum, count) => sum + count, 0) });
  }
  return weeks;
}

/** Items completed each day, with the seven-day average and the median day. */
export function throughputRunChart(flow: DailyFlow): string {
  const figures = throughputFigures(flow);
  if (figures.total === 0) {
    return emptyChart(`No item was completed in the ${flow.days} days shown. Throughput counts the items that reach a done step each day, so the chart fills in as items finish.`);
  }
  const from = flow.firstDay;
  const to = flow.firstDay + flow.days * DAY_MS;
  const x = linearScale([from, to], [PLOT.left, PLOT.left + PLOT.width]);
  const yTicks = niceTicks(0, Math.max(...flow.throughput), 5);
  const y = linearScale([0, yTicks.at(-1)!], [PLOT.top + PLOT.height, PLOT.top]);
  const dayWidth = PLOT.width / flow.days;
  const bars = flow.throughput
    .map((count, day) => (count === 0 ? "" : tag("rect", { class: "bar", x: x(from + day * DAY_MS) + dayWidth * 0.1, y: y(count), width: dayWidth * 0.8, height: y(0) - y(count) })))
    .join("");
  const averagePath = figures.average
    .map((value, day) => (value === null ? "" : `${day + 1 === AVERAGE_DAYS ? "M" : "L"}${coord(x(from + (day + 0.5) * DAY_MS))} ${coord(y(value))}`))
    .join("");
  const body =
    yAxis(PLOT, yTicks.map((at) => ({ at, label: tickNumber(at) })), y, "Items completed a day") +
    xAxis(PLOT, timeTicks(from, to, 7), x, "Day (UTC)") +
    bars +
    (averagePath === "" ? "" : tag("path", { class: "average", d: averagePath })) +
    horizontalRules(PLOT, [{ at: figures.median, label: `Median ${tickNumber(figures.median)} a day`, className: "median" }], y) +
    legend(averagePath !== "");
  return chartFrame({ id: "throughput-run-chart", className: "run-chart", width: WIDTH, height: HEIGHT, title: "Items completed each day", desc: summaryOf(flow, figures), body });
}

/** The key to the bars and the average, above the plot. */
function legend(withAverage: boolean): string {
  const y = PLOT.top - 16;
  const left = PLOT.left + 220;
  const bars = tag("rect", { class: "bar", x: left, y: y - 5, width: 10, height: 10 }) + text({ x: left + 16, y, "dominant-baseline": "middle" }, "Completed that day");
  const average = withAverage ? tag("line", { class: "average", x1: left + 175, x2: left + 195, y1: y, y2: y }) + text({ x: left + 201, y, "dominant-baseline": "middle" }, `${AVERAGE_DAYS}-day average`) : "";
  return tag("g", { class: "legend" }, bars + average);
}

/** "412 items completed in the 90 days from Jun 3 to Aug 31; median 4 a day; 5.1 a day on average in the last 7 days." */
function summaryOf(flow: DailyFlow, { total, median, average }: ThroughputFigures): string {
  const last = flow.firstDay + (flow.days - 1) * DAY_MS;
  const parts = [`${total.toLocaleString("en-US")} items completed in the ${flow.days} days from ${dayLabel(flow.firstDay)} to ${dayLabel(last)}`, `median ${tickNumber(median)} a day`];
  const recent = average.at(-1);
  if (recent !== null && recent !== undefined) parts.push(`${tickNumber(Math.round(recent * 10) / 10)} a day on average in the last ${AVERAGE_DAYS} days`);
  return `${parts.join("; ")}.`;
}
