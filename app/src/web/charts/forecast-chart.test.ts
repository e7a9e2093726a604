import { describe, expect, it } from "vitest";
import { forecastChartSvg, MAX_BARS, type ForecastChart } from "./forecast-chart.js";

function chart(overrides: Partial<ForecastChart> = {}): ForecastChart {
  return {
    id: "when",
    title: "When 30 items will be done",
    description: "85 % likely by 14 Mar 2027.",
    outcomes: [
      { value: 3, trials: 200 },
      { value: 4, trials: 500 },
      { value: 5, trials: 300 },
    ],
    markers: [
      { likelihood: 50, value: 4, label: "50 %: 4 weeks" },
      { likelihood: 85, value: 5, label: "85 %: 5 weeks" },
    ],
    axisTitle: "Weeks from now",
    tick: (weeks) => `${weeks} wk`,
    ...overrides,
  };
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
}

function barsOf(svg: string): Rect[] {
  return [...svg.matchAll(/<rect class="bar" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"><title>([^<]*)<\/title>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    width: Number(m[3]),
    height: Number(m[4]),
    title: m[5]!,
  }));
}

const markersOf = (svg: string) => [...svg.matchAll(/<g class="rule p(\d+)"><line x1="([\d.]+)"/g)].map((m) => ({ likelihood: Number(m[1]), x: Number(m[2]) }));

describe("the forecast chart", () => {
  it("draws a bar for each outcome, as tall as its share of the trials", () => {
    const bars = barsOf(forecastChartSvg(chart()));
    expect(bars).toHaveLength(3);
    const [three, four, five] = bars.map((bar) => bar.height);
    expect(three! / four!).toBeCloseTo(200 / 500, 2);
    expect(five! / four!).toBeCloseTo(300 / 500, 2);
    // Bars stand on one baseline, left to right in outcome order.
    expect(new Set(bars.map((bar) => bar.y + bar.height)).size).toBe(1);
    expect(bars[0]!.x).toBeLessThan(bars[1]!.x);
    expect(bars[1]!.title).toBe("4 wk: 500 trials (50 %)");
  });

  it("draws each likelihood line over its outcome's bar, with its label", () => {
    const svg = forecastChartSvg(chart());
    const bars = barsOf(svg);
    const [fifty, eightyFive] = markersOf(svg);
    expect(fifty!.likelihood).toBe(50);
    expect(fifty!.x).toBeGreaterThan(bars[1]!.x);
    expect(fifty!.x).toBeLessThan(bars[1]!.x + bars[1]!.width);
    expect(eightyFive!.likelihood).toBe(85);
    expect(eightyFive!.x).toBeGreaterThan(bars[2]!.x);
    expect(eightyFive!.x).toBeLessThan(bars[2]!.x + bars[2]!.width);
    expect(svg).toContain(">50 %: 4 weeks</text>");
    expect(svg).toContain(">85 %: 5 weeks</text>");
  });

  it("labels the axis with its ends and what an outcome is", () => {
    const svg = forecastChartSvg(chart());
    expect(svg).toContain(">3 wk</text>");
    expect(svg).toContain(">5 wk</text>");
    expect(svg).toContain(">Weeks from now</text>");
  });

  it("is an image with a title and a description screen readers read", () => {
    const svg = forecastChartSvg(chart());
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="when-title when-desc"/);
    expect(svg).not.toContain("aria-hidden");
    expect(svg).toContain('<title id="when-title">When 30 items will be done</title>');
    expect(svg).toContain('<desc id="when-desc">85 % likely by 14 Mar 2027.</desc>');
  });

  it("escapes every text it writes", () => {
    const svg = forecastChartSvg(chart({ title: "<script>", axisTitle: 'a "b" & c', markers: [{ likelihood: 95, value: 4, label: "<b>" }], tick: () => "x<y" }));
    expect(svg).not.toMatch(/<script>|<b>|x<y/);
    expect(svg).toContain("&lt;script&gt;");
    expect(svg).toContain("a &quot;b&quot; &amp; c");
  });

  it("lets neighbouring outcomes share a bar when there are too many to draw one each", () => {
    const outcomes = Array.from({ length: 600 }, (_, n) => ({ value: 100 + n, trials: 1 }));
    const bars = barsOf(forecastChartSvg(chart({ outcomes, markers: [] })));
    expect(bars.length).toBeLessThanOrEqual(MAX_BARS);
    expect(bars.reduce((sum, bar) => sum + Number(/: ([\d,]+) trials/.exec(bar.title)![1]!.replace(",", "")), 0)).toBe(600);
    expect(bars[0]!.title).toMatch(/^100 wk – 109 wk: 10 trials/);
  });

  it("uses classes for colour, never inline style or script", () => {
    const svg = forecastChartSvg(chart());
    expect(svg).not.toMatch(/style=|<script|fill=|stroke=/);
  });

  it("refuses to draw nothing: the page says why there is no forecast instead", () => {
    expect(() => forecastChartSvg(chart({ outcomes: [] }))).toThrow(RangeError);
  });
});
