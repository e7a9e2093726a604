/**
 * A Monte Carlo forecast drawn: the share of trials that ended at each outcome (weeks needed,
 * or items done) as a histogram, with the likelihood lines (50, 85, 95 %) labelled above it.
 */
import { chartFrame, escapeXml, linearScale, niceTicks, tag, text, tickNumber, xAxis, yAxis, type Box } from "./svg.js";

export interface ForecastChart {
  /** Unique on the page: the chart's title and description are referred to by it. */
  id: string;
  title: string;
  /** The chart in words, for screen readers: what the lines say. */
  description: string;
  /** Trials by outcome, whole outcomes ascending; at least one. */
  outcomes: readonly { value: number; trials: number }[];
  /** The likelihood lines, each at an outcome, labelled ("85 %: by 14 Mar 2027"); one row of labels each. */
  markers: readonly { likelihood: 50 | 85 | 95; value: number; label: string }[];
  /** What an outcome is, with its unit, written under the axis. */
  axisTitle: string;
  /** An outcome as the axis and a bar's tooltip write it. */
  tick: (value: number) => string;
}

const WIDTH = 720;
const LABEL_ROW = 14;
/** Room above the plot for three rows of line labels, and the y axis' title under them. */
const PLOT: Box = { left: 56, top: 72, width: 640, height: 200 };
const HEIGHT = PLOT.top + PLOT.height + 48;
/** More bars than this would be too thin to see: neighbouring outcomes then share a bar. */
export const MAX_BARS = 60;

export function forecastChartSvg(chart: ForecastChart): string {
  if (chart.outcomes.length === 0) throw new RangeError("a forecast chart needs at least one outcome");
  const scale = outcomeScale(chart);
  const slot = PLOT.width / scale.bins;
  const x = (value: number) => PLOT.left + ((value - scale.lo + 0.5) / scale.binSize) * slot;
  const base = PLOT.top + PLOT.height;
  const total = chart.outcomes.reduce((sum, outcome) => sum + outcome.trials, 0);
  const bars = binned(chart.outcomes, scale);
  const percentOf = (trials: number) => (100 * trials) / total;
  const yTicks = niceTicks(0, Math.max(...bars.map((bar) => percentOf(bar.trials))), 4);
  const y = linearScale([0, yTicks.at(-1)!], [base, PLOT.top]);

  const rects = bars.map((bar) => {
    const outcomes = bar.first === bar.last ? chart.tick(bar.first) : `${chart.tick(bar.first)} – ${chart.tick(bar.last)}`;
    const tooltip = tag("title", {}, escapeXml(`${outcomes}: ${bar.trials.toLocaleString("en-US")} trials (${tickNumber(percentOf(bar.trials))} %)`));
    return tag("rect", { class: "bar", x: PLOT.left + bar.bin * slot + 0.5, y: y(percentOf(bar.trials)), width: slot - 1, height: base - y(percentOf(bar.trials)) }, tooltip);
  });
  const lines = chart.markers.map((marker, row) => {
    const at = x(marker.value);
    const labelY = (row + 1) * LABEL_ROW;
    // A label runs away from its line towards the middle, so it stays inside the chart.
    const end = at > PLOT.left + PLOT.width * 0.6;
    return tag(
      "g",
      // Styled as the other charts' percentile rules, so 85 % looks the same on every page.
      { class: `rule p${marker.likelihood}` },
      tag("line", { x1: at, x2: at, y1: labelY - LABEL_ROW + 4, y2: base }) + text({ x: end ? at - 4 : at + 4, y: labelY, "text-anchor": end ? "end" : "start" }, marker.label),
    );
  });
  const xTicks = niceTicks(scale.lo, scale.hi, 6)
    .filter((value) => Number.isInteger(value) && value >= scale.lo && value <= scale.hi)
    .map((at) => ({ at, label: chart.tick(at) }));

  const body =
    yAxis(PLOT, yTicks.map((at) => ({ at, label: `${tickNumber(at)} %` })), y, "Share of trials") +
    rects.join("") +
    xAxis(PLOT, xTicks, x, chart.axisTitle) +
    lines.join("");
  return chartFrame({ id: chart.id, className: "forecast-chart", width: WIDTH, height: HEIGHT, title: chart.title, desc: chart.description, body });
}

interface OutcomeScale {
  lo: number;
  hi: number;
  /** How many outcomes a bar stands for. */
  binSize: number;
  bins: number;
}

/** From the lowest to the highest outcome or line, at most MAX_BARS bars. */
function outcomeScale({ outcomes, markers }: ForecastChart): OutcomeScale {
  const lines = markers.map((marker) => marker.value);
  const lo = Math.min(outcomes[0]!.value, ...lines);
  const hi = Math.max(outcomes.at(-1)!.value, ...lines);
  const binSize = Math.ceil((hi - lo + 1) / MAX_BARS);
  return { lo, hi, binSize, bins: Math.floor((hi - lo) / binSize) + 1 };
}

interface Bar {
  bin: number;
  /** The lowest and highest outcome in the bar. */
  first: number;
  last: number;
  trials: number;
}

function binned(outcomes: ForecastChart["outcomes"], scale: OutcomeScale): Bar[] {
  const bars = new Map<number, Bar>();
  for (const { value, trials } of outcomes) {
    const bin = Math.floor((value - scale.lo) / scale.binSize);
    const bar = bars.get(bin);
    if (bar) {
      bar.last = value;
      bar.trials += trials;
    } else bars.set(bin, { bin, first: value, last: value, trials });
  }
  return [...bars.values()];
}
