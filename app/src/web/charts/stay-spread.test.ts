import { describe, expect, it } from "vitest";
import { BAR_LENGTH } from "./bars.js";
import { staySpread } from "./stay-spread.js";

const widthOf = (svg: string, part: string) => Number(new RegExp(`class="${part}" width="([\\d.]+)"`).exec(svg)?.[1]);

describe("a step's stays as a cell bar", () => {
  it("draws the median, 85th and 95th percentiles on the column's scale", () => {
    const svg = staySpread({ count: 40, p50: 1_000, p85: 3_000, p95: 5_000 }, 10_000, "Half within 1 s");
    expect(widthOf(svg, "stay-p50")).toBe(BAR_LENGTH * 0.1);
    expect(widthOf(svg, "stay-p85")).toBe(BAR_LENGTH * 0.3);
    expect(widthOf(svg, "stay-p95")).toBe(BAR_LENGTH * 0.5);
    expect(svg).toContain('role="img" aria-label="Half within 1 s"');
    expect(svg).not.toContain("style=");
  });

  it("draws an empty track for a step without finished stays, and escapes its label", () => {
    const svg = staySpread({ count: 0, p50: null, p85: null, p95: null }, 10_000, 'No stays in "<Review>"');
    expect(svg).not.toContain("stay-p50");
    expect(svg).toContain("aria-label=\"No stays in &quot;&lt;Review&gt;&quot;\"");
  });
});
