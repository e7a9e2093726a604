import { describe, expect, it } from "vitest";
import { BAR_LENGTH, cellBar, columnBars } from "./bars.js";

const fillOf = (svg: string): number => Number(/class="cell-bar-fill" width="([\d.]+)"/.exec(svg)![1]);

describe("cell bars", () => {
  it("draw each value as long as its share of the column's largest", () => {
    const bars = columnBars([40, 10, 30, 0]);
    expect(bars.map(fillOf)).toEqual([BAR_LENGTH, BAR_LENGTH / 4, (BAR_LENGTH * 3) / 4, 0]);
  });

  it("draw nothing for a column of zeros, and never past the cell", () => {
    expect(columnBars([0, 0]).map(fillOf)).toEqual([0, 0]);
    expect(fillOf(cellBar({ value: 12, max: 0 }))).toBe(0);
    expect(fillOf(cellBar({ value: 15, max: 10 }))).toBe(BAR_LENGTH);
  });

  it("are hidden from screen readers when the number is in the next cell", () => {
    const [bar] = columnBars([3]);
    expect(bar).toContain('aria-hidden="true"');
    expect(bar).not.toContain('role="img"');
  });

  it("say their number, escaped, when they stand alone", () => {
    const [bar] = columnBars([7], (value) => `${value} items <"done" & dusted>`);
    expect(bar).toContain('role="img"');
    expect(bar).toContain('aria-label="7 items &lt;&quot;done&quot; &amp; dusted&gt;"');
    expect(bar).not.toContain("aria-hidden");
  });

  it("carry no inline style, only classes the stylesheet colours", () => {
    const [bar] = columnBars([1]);
    expect(bar).not.toMatch(/style=|fill=/);
    expect(bar).toMatch(/class="cell-bar-track"[^>]*\/>.*class="cell-bar-fill"/);
  });
});
