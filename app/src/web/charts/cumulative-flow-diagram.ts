import type { StepCategory } from "../../analysis/classify.js";
import type { DailyFlow } from "../../analysis/flow.js";
import type { ScanOutput } from "../../analysis/scan-output.js";
import { chartFrame, coord, dayLabel, DAY_MS, emptyChart, escapeXml, linearScale, niceTicks, tag, text, tickNumber, timeTicks, xAxis, yAxis, type Box } from "./svg.js";

const WIDTH = 720;
const PLOT: Box = { left: 56, top: 40, width: 640, height: 220 };
const LEGEND_COLUMNS = 3;
const LEGEND_ROW = 18;
/** Longer step names are cut in the legend; the chart's description and the table give them whole. */
const LEGEND_CHARACTERS = 30;

export type StepKind = StepCategory | "unclassified";

/** Top of the stack to bottom: work arrives at the top and settles into done at the bottom. */
const STACK_ORDER: readonly StepKind[] = ["todo", "in_progress", "waiting", "unclassified", "done"];

export interface FlowBand {
  step: string;
  kind: StepKind;
  /** Items in the step at the end of each day. */
  counts: number[];
}

/** The bands from the top of the stack down: to-do steps first, done last; steps of one kind as the output lists them, most entered first. */
export function bandsInStackOrder(flow: DailyFlow, steps: ScanOutput["steps"]): FlowBand[] {
  const kindOf = new Map(steps.map((step): [string, StepKind] => [step.step, step.class?.category ?? "unclassified"]));
  const listedAt = new Map(steps.map((step, index) => [step.step, index]));
  const rank = (band: FlowBand) => STACK_ORDER.indexOf(band.kind) * steps.length + (listedAt.get(band.step) ?? steps.length);
  return flow.cumulativeFlow.map((band) => ({ step: band.step, kind: kindOf.get(band.step) ?? "unclassified", counts: band.counts })).sort((a, b) => rank(a) - rank(b));
}

/** Items in each step at the end of each day, stacked: the gap between two lines is the work between two steps. */
export function cumulativeFlowDiagram(flow: DailyFlow, steps: ScanOutput["steps"]): string {
  const bands = bandsInStackOrder(flow, steps);
  if (bands.length === 0) {
    return emptyChart(`No item was in any step during the ${flow.days} days shown. The diagram stacks how many items sat in each step at the end of each day, so it appears once items have moved.`);
  }
  const last = flow.firstDay + (flow.days - 1) * DAY_MS;
  const x = linearScale([flow.firstDay, last], [PLOT.left, PLOT.left + PLOT.width]);
  const classes = bandClasses(bands);
  const totals = bands[0]!.counts.map((_, day) => bands.reduce((sum, band) => sum + band.counts[day]!, 0));
  const yTicks = niceTicks(0, Math.max(...totals), 5);
  const y = linearScale([0, yTicks.at(-1)!], [PLOT.top + PLOT.height, PLOT.top]);
  const body =
    areasOf(bands, classes, (day) => x(flow.firstDay + day * DAY_MS), y) +
    yAxis(PLOT, yTicks.map((at) => ({ at, label: tickNumber(at) })), y, "Items") +
    xAxis(PLOT, timeTicks(flow.firstDay, last, 7), x, "End of day (UTC)") +
    legendOf(bands, classes);
  const height = PLOT.top + PLOT.height + 56 + Math.ceil(bands.length / LEGEND_COLUMNS) * LEGEND_ROW;
  return chartFrame({ id: "cumulative-flow-diagram", className: "cfd", width: WIDTH, height, title: "Cumulative flow: items in each step", desc: summaryOf(flow, bands), body });
}

/** Each band as an area from the line of the bands below it to that line plus its own counts, drawn from the bottom up. */
function areasOf(bands: readonly FlowBand[], classes: readonly string[], x: (day: number) => number, y: (count: number) => number): string {
  const days = bands[0]!.counts.length;
  let below = new Array<number>(days).fill(0);
  const areas: string[] = [];
  for (const [index, band] of [...bands.entries()].reverse()) {
    const above = below.map((count, day) => count + band.counts[day]!);
    const top = above.map((count, day) => `${day === 0 ? "M" : "L"}${coord(x(day))} ${coord(y(count))}`).join("");
    const bottom = below.map((count, day) => `L${coord(x(day))} ${coord(y(count))}`).reverse().join("");
    areas.push(tag("path", { class: classes[index], d: `${top}${bottom}Z` }, tag("title", {}, escapeXml(band.step))));
    below = above;
  }
  return tag("g", { class: "bands" }, areas.join(""));
}

/** Kinds share a hue (to do blue, in progress orange, waiting purple, unclassified grey, done green); neighbours of one kind alternate shades. */
function bandClasses(bands: readonly FlowBand[]): string[] {
  const seen = new Map<StepKind, number>();
  return bands.map((band) => {
    const ofKind = seen.get(band.kind) ?? 0;
    seen.set(band.kind, ofKind + 1);
    return `band ${band.kind.replace("_", "-")} shade-${ofKind % 3}`;
  });
}

function legendOf(bands: readonly FlowBand[], classes: readonly string[]): string {
  const top = PLOT.top + PLOT.height + 56;
  const columnWidth = PLOT.width / LEGEND_COLUMNS;
  const entries = bands.map((band, index) => {
    const left = PLOT.left + (index % LEGEND_COLUMNS) * columnWidth;
    const y = top + Math.floor(index / LEGEND_COLUMNS) * LEGEND_ROW;
    const name = band.step.length > LEGEND_CHARACTERS ? `${band.step.slice(0, LEGEND_CHARACTERS - 1)}…` : band.step;
    return tag("rect", { class: classes[index], x: left, y: y - 5, width: 12, height: 12 }) + text({ x: left + 18, y: y + 1, "dominant-baseline": "middle" }, name);
  });
  return tag("g", { class: "legend" }, entries.join(""));
}

/** "Items in each of 6 steps at the end of each day from Jun 3 to Aug 31, …. On Aug 31: Backlog 12, …, Done 340." */
function summaryOf(flow: DailyFlow, bands: readonly FlowBand[]): string {
  const last = flow.firstDay + (flow.days - 1) * DAY_MS;
  const now = bands.map((band) => `${band.step} ${band.counts.at(-1)!.toLocaleString("en-US")}`).join(", ");
  return `Items in each of ${bands.length} steps at the end of each day from ${dayLabel(flow.firstDay)} to ${dayLabel(last)}, stacked with to-do steps on top and done steps at the bottom. On ${dayLabel(last)}: ${now}.`;
}
