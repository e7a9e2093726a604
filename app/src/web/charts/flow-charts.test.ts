/**
 * The flow page's charts, read the way a reader reads them: a line or a bar is checked
 * against the chart's own axis labels, not against the code that drew it.
 */
import { describe, expect, it } from "vitest";
import type { CycleTimes } from "../../analysis/cycle-time.js";
import { DAY_MS, type EventLog, type LogEvent, type LogItem } from "../../analysis/event-log.js";
import type { DailyFlow } from "../../analysis/flow.js";
import { computeScanOutput } from "../../analysis/scan-output.js";
import { AGING_POINTS, type AgingStep } from "../../analysis/time-in-status.js";
import { duration } from "../overview-figures.js";
import { agingWipChart } from "./aging-wip-chart.js";
import { bandsInStackOrder, cumulativeFlowDiagram } from "./cumulative-flow-diagram.js";
import { cycleTimeBins, cycleTimeHistogram } from "./cycle-time-histogram.js";
import { cycleTimeScatter } from "./cycle-time-scatter.js";
import { throughputFigures, throughputRunChart, weeklyThroughput } from "./throughput-run-chart.js";

const HOUR_MS = 3_600_000;
const T0 = Date.UTC(2026, 2, 2);
const BOARD = ["Backlog", "To Do", "In Progress", "In Review", "Done"];

/**
 * A board of 150 items, one created every 14 hours, each going Backlog → To Do → In Progress
 * → In Review → Done with waits that vary from item to item; the log ends after 90 days, so
 * the latest items are still open, at every step.
 */
function boardLog(): EventLog {
  const asOf = T0 + 90 * DAY_MS;
  const items: LogItem[] = [];
  const events: LogEvent[] = [];
  for (let n = 0; n < 150; n += 1) {
    const key = `B-${n}`;
    const created = T0 + n * 14 * HOUR_MS;
    const waits = [(n * 37) % 60, (n * 53) % 96, 12 + ((n * 29) % 150), 2 + ((n * 17) % 40)].map((hours) => hours * HOUR_MS);
    let at = created;
    let step = 0;
    for (const wait of waits) {
      if (at + wait > asOf) break;
      at += wait;
      events.push({ item: key, at, kind: "step", from: BOARD[step]!, to: BOARD[step + 1]!, actor: null });
      step += 1;
    }
    items.push({ key, createdAt: created, type: "story", priority: null, labels: [], currentStep: BOARD[step]!, currentAssignee: null });
  }
  return { stepSource: "status", items, events, asOf };
}

const output = computeScanOutput(boardLog(), { computedAt: 0 });

/** Every `<name …>` element whose class list holds `className`, as its attributes. */
function elements(svg: string, name: string, className: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${name} ([^>]*)>`, "g"))]
    .map((match) => Object.fromEntries([...match[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, key, value]) => [key!, value!])))
    .filter((attrs) => (attrs.class ?? "").split(" ").includes(className));
}

/** Where the chart's y axis puts a value, read off its lowest and highest tick labels. */
function yOf(svg: string, value: number): number {
  const axis = /<g class="axis y-axis">(.*?)<\/g>/.exec(svg)![1]!;
  const ticks = [...axis.matchAll(/<text class="tick"[^>]* y="([^"]+)"[^>]*>([^<]+)<\/text>/g)].map(([, y, label]) => ({ y: Number(y), value: Number(label!.replace(/,/g, "")) }));
  const [low, high] = [ticks[0]!, ticks.at(-1)!];
  return low.y + ((value - low.value) * (high.y - low.y)) / (high.value - low.value);
}

/** The points of a path drawn with M/L/h0 commands. */
const pathPoints = (d: string): [number, number][] => [...d.matchAll(/[ML]([\d.-]+) ([\d.-]+)/g)].map(([, x, y]) => [Number(x), Number(y)]);

const sectionCharts = () => [cycleTimeScatter(output.cycleTime), cycleTimeHistogram(output.cycleTime.scatter), throughputRunChart(output.flow), cumulativeFlowDiagram(output.flow, output.steps), agingWipChart(output.agingWip)];

describe("every flow chart", () => {
  it("is an accessible image, with a title and a description that carries its figures, and no inline style or script", () => {
    for (const svg of sectionCharts()) {
      expect(svg).toMatch(/^<svg [^>]*role="img"[^>]*aria-labelledby="([\w-]+-title) ([\w-]+-desc)"/);
      const [, titleId, descId] = /aria-labelledby="(\S+) (\S+)"/.exec(svg)!;
      expect(svg).toMatch(new RegExp(`<title id="${titleId}">[^<]+</title><desc id="${descId}">[^<]*\\d[^<]*</desc>`));
      expect(svg).not.toMatch(/style=|<script|<style/);
    }
  });
});

describe("cycleTimeScatter", () => {
  const { cycleTime } = output;
  const svg = cycleTimeScatter(cycleTime);

  it("draws one dot per completed item, at its cycle time on the axis", () => {
    const dots = pathPoints(elements(svg, "path", "dots")[0]!.d!);
    expect(dots).toHaveLength(cycleTime.scatter.points.length);
    expect(cycleTime.scatter.points.length).toBe(cycleTime.cycleMs.count);
    cycleTime.scatter.points.forEach(([, ms], index) => expect(Math.abs(dots[index]![1] - yOf(svg, ms / DAY_MS))).toBeLessThan(0.3));
  });

  it("draws the 50, 70, 85 and 95 % lines at their values, each labelled with what it means", () => {
    expect(svg).toContain("Cycle time (days)");
    for (const p of [50, 70, 85, 95] as const) {
      const ms = cycleTime.cycleMs[`p${p}`]!;
      const rule = new RegExp(`<g class="rule p${p}"><line [^>]*y1="([\\d.]+)"[^>]*/><text [^>]*>([^<]+)</text></g>`).exec(svg)!;
      expect(Math.abs(Number(rule[1]) - yOf(svg, ms / DAY_MS)), `p${p}`).toBeLessThan(0.3);
      expect(rule[2]).toBe(`${p} % within ${duration(ms)}`);
    }
    expect(svg).toContain(`<desc id="cycle-time-scatter-desc">Median ${duration(cycleTime.cycleMs.p50!)}; 70 % within`);
    expect(svg).toContain(`${cycleTime.cycleMs.count} items.</desc>`);
  });

  it("says when its dots are only the latest completions", () => {
    const latest: CycleTimes = { ...cycleTime, cycleMs: { ...cycleTime.cycleMs, count: 7_312 }, scatter: { points: cycleTime.scatter.points.slice(-3), of: 7_312 } };
    expect(cycleTimeScatter(latest)).toContain("7,312 items (dots for the latest 3 of 7,312).");
  });

  it("teaches what will appear instead of drawing empty axes when nothing has a cycle time", () => {
    const none = cycleTimeScatter({ ...cycleTime, scatter: { points: [], of: 0 } });
    expect(none).not.toContain("<svg");
    expect(none).toMatch(/^<p class="chart-empty">No item in this window has been both started and completed yet\./);
  });
});

describe("cycleTimeHistogram", () => {
  it("draws bars as tall as their counts, over every completed item", () => {
    const { scatter } = output.cycleTime;
    const svg = cycleTimeHistogram(scatter);
    const binned = cycleTimeBins(scatter)!;
    const counts = [...binned.bins.map((bin) => bin.count), ...(binned.overflow ? [binned.overflow.count] : [])];
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(scatter.points.length);
    const bars = elements(svg, "rect", "bar");
    expect(bars).toHaveLength(counts.length);
    bars.forEach((bar, index) => expect(Math.abs(Number(bar.y) - yOf(svg, counts[index]!))).toBeLessThan(0.3));
    bars.forEach((bar, index) => expect(Math.abs(Number(bar.height) - (yOf(svg, 0) - yOf(svg, counts[index]!)))).toBeLessThan(0.3));
  });

  it("bins in whole days up to one and a half times the 95th percentile, and gathers the longest in one overflow bar", () => {
    // 100 items of 1 to 10 days, and 4 that took 60: the 95th percentile is 10 days.
    const points: [number, number][] = Array.from({ length: 100 }, (_, n) => [T0 + n * DAY_MS, (1 + (n % 10)) * DAY_MS - 1]);
    for (let n = 0; n < 4; n += 1) points.push([T0 + (100 + n) * DAY_MS, 60 * DAY_MS]);
    const binned = cycleTimeBins({ points, of: points.length })!;
    expect(binned.widthMs).toBe(DAY_MS);
    expect(binned.bins).toHaveLength(15);
    expect(binned.bins.slice(0, 10).map((bin) => bin.count)).toEqual(Array(10).fill(10));
    expect(binned.overflow).toEqual({ fromMs: 15 * DAY_MS, count: 4 });
    const svg = cycleTimeHistogram({ points, of: points.length });
    expect(svg).toContain(">≥ 15</text>");
    expect(svg).toContain("Cycle time (days), in bins of 1 day");
    expect(svg).toContain("4 took 15 days or longer.");
    expect(elements(svg, "rect", "overflow")).toHaveLength(1);
  });

  it("teaches what will appear when nothing has a cycle time", () => {
    expect(cycleTimeHistogram({ points: [], of: 0 })).toMatch(/^<p class="chart-empty">No item in this window/);
  });
});

describe("throughputRunChart", () => {
  const { flow } = output;
  const svg = throughputRunChart(flow);

  it("draws a bar for each day with completions, as tall as the count", () => {
    const busy = flow.throughput.flatMap((count, day) => (count > 0 ? [{ count, day }] : []));
    const bars = elements(svg, "rect", "bar").slice(0, -1); // the last is the legend's swatch
    expect(bars).toHaveLength(busy.length);
    bars.forEach((bar, index) => expect(Math.abs(Number(bar.height) - (yOf(svg, 0) - yOf(svg, busy[index]!.count)))).toBeLessThan(0.3));
    expect(svg).toContain("Items completed a day");
  });

  it("draws the median day as a labelled line at its value, and the seven-day average ending at the last week's mean", () => {
    const { median } = throughputFigures(flow);
    const rule = /<g class="rule median"><line [^>]*y1="([\d.]+)"[^>]*\/><text [^>]*>([^<]+)<\/text>/.exec(svg)!;
    expect(Math.abs(Number(rule[1]) - yOf(svg, median))).toBeLessThan(0.3);
    expect(rule[2]).toBe(`Median ${median} a day`);
    const lastWeek = flow.throughput.slice(-7).reduce((sum, count) => sum + count, 0) / 7;
    const average = pathPoints(elements(svg, "path", "average")[0]!.d!);
    expect(average).toHaveLength(flow.days - 6);
    expect(Math.abs(average.at(-1)![1] - yOf(svg, lastWeek))).toBeLessThan(0.3);
  });

  it("sums the weeks that end on the last day, covering every day once", () => {
    const weeks = weeklyThroughput(flow);
    expect(weeks.reduce((sum, week) => sum + week.items, 0)).toBe(flow.throughput.reduce((sum, count) => sum + count, 0));
    expect(weeks.at(-1)!.to).toBe(flow.firstDay + (flow.days - 1) * DAY_MS);
    expect(weeks.at(-1)!.from).toBe(flow.firstDay + (flow.days - 7) * DAY_MS);
  });

  it("teaches what will appear when nothing was completed", () => {
    const quiet: DailyFlow = { ...flow, throughput: flow.throughput.map(() => 0) };
    expect(throughputRunChart(quiet)).toMatch(/^<p class="chart-empty">No item was completed in the 90 days shown\./);
  });
});

describe("cumulativeFlowDiagram", () => {
  const { flow, steps } = output;
  const svg = cumulativeFlowDiagram(flow, steps);

  it("stacks to-do steps on top and done at the bottom, as its legend lists them", () => {
    expect(bandsInStackOrder(flow, steps).map((band) => band.step)).toEqual(BOARD);
    const legend = /<g class="legend">(.*)<\/g>/.exec(svg)![1]!;
    expect([...legend.matchAll(/<text [^>]*>([^<]+)<\/text>/g)].map(([, name]) => name)).toEqual(BOARD);
    // Areas are drawn from the bottom up.
    expect([...svg.matchAll(/<path class="band [^"]*" d="[^"]*"><title>([^<]+)<\/title>/g)].map(([, name]) => name)).toEqual([...BOARD].reverse());
  });

  it("tops the stack each day at the items in all steps that day", () => {
    // The top band (Backlog) is drawn last; its outline runs along its top first, a point a day.
    const top = pathPoints(elements(svg, "path", "band").at(-1)!.d!).slice(0, flow.days);
    for (const day of [0, 45, flow.days - 1]) {
      const total = flow.cumulativeFlow.reduce((sum, band) => sum + band.counts[day]!, 0);
      expect(Math.abs(top[day]![1] - yOf(svg, total)), `day ${day}`).toBeLessThan(0.3);
    }
  });

  it("writes step names as text, never as markup", () => {
    const hostile = '<img src=x onerror="alert(1)"> & co';
    const renamed = { ...flow, cumulativeFlow: flow.cumulativeFlow.map((band) => (band.step === "In Review" ? { ...band, step: hostile } : band)) };
    const drawn = cumulativeFlowDiagram(renamed, steps);
    expect(drawn).not.toContain("<img");
    expect(drawn).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co");
  });

  it("teaches what will appear when no item was in any step", () => {
    expect(cumulativeFlowDiagram({ ...flow, cumulativeFlow: [] }, steps)).toMatch(/^<p class="chart-empty">No item was in any step/);
  });
});

describe("agingWipChart", () => {
  const review: AgingStep = {
    step: "In Review",
    agesMs: [30, 12, 9, 5, 2, 1].map((days) => days * DAY_MS),
    items: 6,
    bandsMs: { p50: 2 * DAY_MS, p70: 4 * DAY_MS, p85: 8 * DAY_MS, p95: 14 * DAY_MS },
    beyondP85: 3,
  };
  const queue: AgingStep = { step: "To Do", agesMs: [3 * DAY_MS], items: 1, bandsMs: { p50: null, p70: null, p85: null, p95: null }, beyondP85: 0 };
  const svg = agingWipChart([review, queue]);

  it("draws a dot for each open item at its age, marking those beyond the step's 85th percentile", () => {
    // The legend's two sample dots come first.
    const [reviewOnTrack, reviewLate, queueDots, ...rest] = elements(svg, "path", "dots").slice(2);
    expect(rest).toEqual([]);
    expect([reviewOnTrack!.class, reviewLate!.class, queueDots!.class]).toEqual(["dots item", "dots item late", "dots item"]);
    expect(pathPoints(reviewOnTrack!.d!)).toHaveLength(3);
    expect(pathPoints(queueDots!.d!)).toHaveLength(1);
    const lateYs = pathPoints(reviewLate!.d!).map(([, y]) => y);
    [30, 12, 9].forEach((days, index) => expect(Math.abs(lateYs[index]! - yOf(svg, days))).toBeLessThan(0.3));
    expect(svg).toContain("Time in the step so far (days)");
  });

  it("shades each step's finished stays up to their 50, 70, 85 and 95 % marks", () => {
    for (const zone of ["p50", "p70", "p85", "p95"] as const) {
      // The legend's swatches are 12 wide; a column's zones span most of its 320.
      const rect = elements(svg, "rect", zone).filter((attrs) => Number(attrs.width) > 100);
      // Only In Review has finished stays; To Do gets no shading rather than a made-up one.
      expect(rect).toHaveLength(1);
      expect(Math.abs(Number(rect[0]!.y) - yOf(svg, review.bandsMs[zone]! / DAY_MS)), zone).toBeLessThan(0.3);
    }
  });

  it("names each column with its open items, and sums them up in its description", () => {
    expect(svg).toContain(">In Review (6)</text>");
    expect(svg).toContain(">To Do (1)</text>");
    expect(svg).toContain("7 open items in 2 steps; 3 have been in their step longer than 85 % of finished stays there (In Review 3 of 6); the oldest has been 30.0 days in In Review.");
  });

  it("says when a step's dots are only its oldest items", () => {
    const crowded: AgingStep = { ...review, items: 640, agesMs: Array.from({ length: AGING_POINTS }, (_, n) => (AGING_POINTS - n) * HOUR_MS) };
    expect(agingWipChart([crowded])).toContain(`dots for the oldest ${AGING_POINTS} items only in In Review.`);
    expect(agingWipChart([crowded])).toContain(">In Review (640)</text>");
  });

  it("draws the board's real open items", () => {
    const drawn = agingWipChart(output.agingWip);
    const dots = elements(drawn, "path", "dots").slice(2).reduce((sum, path) => sum + pathPoints(path.d!).length, 0);
    expect(dots).toBe(output.agingWip.reduce((sum, step) => sum + step.agesMs.length, 0));
    expect(output.agingWip.length).toBeGreaterThan(1);
  });

  it("teaches what will appear when nothing is open", () => {
    expect(agingWipChart([])).toMatch(/^<p class="chart-empty">No item is in progress right now\./);
  });
});
