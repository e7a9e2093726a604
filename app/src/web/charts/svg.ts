/**
 * What every chart shares: escaping, elements, scales and ticks, axes, labelled reference
 * lines, and the frame that makes an SVG an accessible image.
 *
 * Charts are strings drawn on the server. The page's CSP allows no inline style, so colours
 * come from classes (the chart block at the end of static/app.css) or presentation
 * attributes (`fill`, `stroke`), never from `style=`. Sizes are in viewBox units: the CSS
 * scales a chart to the width it is given, down to a phone's.
 */

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe in an element or a quoted attribute. */
export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);

/** A coordinate with at most one decimal: finer is invisible and only makes the page longer. */
export const coord = (value: number): string => String(Math.round(value * 10) / 10);

export type Attrs = Readonly<Record<string, string | number | undefined>>;

/** An element. Attribute values are escaped (numbers rounded by `coord`), undefined ones left out; `children` is markup already safe. */
export function tag(name: string, attrs: Attrs, children?: string): string {
  let open = `<${name}`;
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) open += ` ${key}="${typeof value === "number" ? coord(value) : escapeXml(value)}"`;
  }
  return children === undefined ? `${open}/>` : `${open}>${children}</${name}>`;
}

/** A text element; its content is escaped. */
export const text = (attrs: Attrs, content: string): string => tag("text", attrs, escapeXml(content));

/** The plot area inside a chart's viewBox. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Frame {
  /** Unique on the page: the title's and description's ids derive from it. */
  id: string;
  /** Added to `chart`, for the chart kind's own CSS. */
  className: string;
  width: number;
  height: number;
  /** A short name, and a description that says what the chart shows in figures a reader would take from it. */
  title: string;
  desc: string;
  body: string;
}

/** The `<svg>`: an image whose accessible name is its title and description; sized by its viewBox alone. */
export function chartFrame({ id, className, width, height, title, desc, body }: Frame): string {
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  return tag(
    "svg",
    { xmlns: "http://www.w3.org/2000/svg", viewBox: `0 0 ${width} ${height}`, class: `chart ${className}`, role: "img", "aria-labelledby": `${titleId} ${descId}` },
    tag("title", { id: titleId }, escapeXml(title)) + tag("desc", { id: descId }, escapeXml(desc)) + body,
  );
}

/** What a chart with nothing to draw shows instead: a sentence, not empty axes. */
export const emptyChart = (message: string): string => tag("p", { class: "chart-empty" }, escapeXml(message));

export type Scale = (value: number) => number;

/** Maps [d0, d1] onto [r0, r1]; an empty domain maps to the middle of the range. */
export function linearScale([d0, d1]: readonly [number, number], [r0, r1]: readonly [number, number]): Scale {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const factor = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * factor;
}

/** Round steps (1, 2 or 5 times a power of ten) from at or below `min` to at or above `max`, about `count` of them. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min, min + 1];
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((multiple) => multiple * power >= rough) ?? 10) * power;
  const ticks: number[] = [];
  // Counted in steps, not added up, so 0.1 + 0.2 never shows as 0.30000000000000004.
  for (let n = Math.floor(min / step); n <= Math.ceil(max / step); n += 1) ticks.push(Number((n * step).toPrecision(12)));
  return ticks;
}

/** A number as an axis writes it: grouped thousands, no needless decimals. */
export const tickNumber = (value: number): string => value.toLocaleString("en-US", { maximumFractionDigits: 2 });

export interface Tick {
  at: number;
  label: string;
}

const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export interface DurationUnit {
  name: "minutes" | "hours" | "days";
  ms: number;
}

/** The unit a duration axis counts in, chosen as `duration()` writes its longest value: minutes under an hour, hours under two days, days beyond. */
export function durationUnit(longestMs: number): DurationUnit {
  if (longestMs < HOUR_MS) return { name: "minutes", ms: 60_000 };
  if (longestMs < 2 * DAY_MS) return { name: "hours", ms: HOUR_MS };
  return { name: "days", ms: DAY_MS };
}

/** "Mar 5" (UTC). */
export function dayLabel(at: number): string {
  const date = new Date(at);
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
}

/**
 * Ticks on whole days (UTC) between two instants, no more than `count`: every day or two,
 * Mondays a week or two apart, or the first of every one, two, three, six or twelve months.
 */
export function timeTicks(from: number, to: number, count: number): Tick[] {
  const spanDays = (to - from) / DAY_MS;
  const dayStep = [1, 2, 7, 14].find((step) => spanDays / step <= count);
  const ticks: Tick[] = [];
  if (dayStep !== undefined) {
    const firstDay = Math.ceil(from / DAY_MS);
    // Day 0 (1970-01-01) was a Thursday, so day 4 was a Monday.
    const start = dayStep >= 7 ? firstDay + ((((4 - firstDay) % 7) + 7) % 7) : firstDay;
    for (let day = start; day * DAY_MS <= to; day += dayStep) ticks.push({ at: day * DAY_MS, label: dayLabel(day * DAY_MS) });
    return ticks;
  }
  const monthStep = [1, 2, 3, 6, 12].find((step) => spanDays / (30.4 * step) <= count) ?? 12 * Math.ceil(spanDays / (365 * count));
  const monthStart = (month: number) => Date.UTC(Math.floor(month / 12), month % 12);
  const fromDate = new Date(from);
  let month = fromDate.getUTCFullYear() * 12 + fromDate.getUTCMonth();
  if (monthStart(month) < from) month += 1;
  // Quarters start in January, April, July and October; years in January.
  for (month = Math.ceil(month / monthStep) * monthStep; monthStart(month) <= to; month += monthStep) {
    const year = Math.floor(month / 12);
    ticks.push({ at: monthStart(month), label: monthStep >= 12 ? String(year) : `${MONTHS[month % 12]} ${year}` });
  }
  return ticks;
}

/** The y axis: a grid line and a label per tick, and the axis title (with its unit) above the labels. */
export function yAxis(plot: Box, ticks: readonly Tick[], y: Scale, title: string): string {
  const right = plot.left + plot.width;
  const lines = ticks.map(({ at, label }) => tag("line", { class: "grid", x1: plot.left, x2: right, y1: y(at), y2: y(at) }) + text({ class: "tick", x: plot.left - 6, y: y(at), "text-anchor": "end", "dominant-baseline": "middle" }, label));
  return tag("g", { class: "axis y-axis" }, lines.join("") + text({ class: "axis-title", x: 0, y: plot.top - 12 }, title));
}

/** The x axis: its base line, a mark and a label per tick, and the axis title (with its unit) under the labels. */
export function xAxis(plot: Box, ticks: readonly Tick[], x: Scale, title: string): string {
  const base = plot.top + plot.height;
  const marks = ticks.map(({ at, label }) => tag("line", { class: "tick-mark", x1: x(at), x2: x(at), y1: base, y2: base + 5 }) + text({ class: "tick", x: x(at), y: base + 18, "text-anchor": "middle" }, label));
  const axisTitle = text({ class: "axis-title", x: plot.left + plot.width / 2, y: base + 38, "text-anchor": "middle" }, title);
  return tag("g", { class: "axis x-axis" }, tag("line", { class: "baseline", x1: plot.left, x2: plot.left + plot.width, y1: base, y2: base }) + marks.join("") + axisTitle);
}

/**
 * Positions for labels wanted at `ys`, moved apart just enough to be `gap` from each other
 * and kept within [min, max], in the order given.
 */
export function spreadLabels(ys: readonly number[], gap: number, min: number, max: number): number[] {
  const order = ys.map((_, index) => index).sort((a, b) => ys[a]! - ys[b]!);
  const placed = new Array<number>(ys.length);
  let last = Number.NEGATIVE_INFINITY;
  for (const index of order) {
    last = Math.max(ys[index]!, last + gap, min);
    placed[index] = last;
  }
  // Pushed past the bottom: move the run back up, keeping the gaps.
  let limit = max;
  for (const index of [...order].reverse()) {
    if (placed[index]! <= limit) break;
    placed[index] = limit;
    limit -= gap;
  }
  return placed;
}

export interface Rule {
  /** The value, in the y scale's domain. */
  at: number;
  label: string;
  className: string;
}

/** Horizontal lines across the plot, each labelled in the right margin, the labels kept apart so each stays legible. */
export function horizontalRules(plot: Box, rules: readonly Rule[], y: Scale): string {
  const right = plot.left + plot.width;
  const labelYs = spreadLabels(rules.map((rule) => y(rule.at)), 14, plot.top, plot.top + plot.height);
  return rules
    .map((rule, index) =>
      tag(
        "g",
        { class: `rule ${rule.className}` },
        tag("line", { x1: plot.left, x2: right, y1: y(rule.at), y2: y(rule.at) }) + text({ x: right + 6, y: labelYs[index]!, "dominant-baseline": "middle" }, rule.label),
      ),
    )
    .join("");
}

/**
 * Dots as one path of zero-length round-capped strokes (the CSS gives the stroke its width):
 * thousands of dots stay a few bytes each, where a circle apiece would weigh the page down.
 */
export function dotsPath(points: readonly (readonly [number, number])[], className: string): string {
  if (points.length === 0) return "";
  return tag("path", { class: `dots ${className}`, d: points.map(([x, y]) => `M${coord(x)} ${coord(y)}h0`).join("") });
}

/** The nearest-rank percentile of values sorted ascending, as every percentile in the scan output. */
export function percentileOfSorted(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}
